"""What a recruiter sees in the ATS for one score: the number, a note explaining it, a tag; and its fingerprint."""
from __future__ import annotations

import hashlib
import html
import json
from dataclasses import asdict, dataclass, field

TAG_PREFIX = "credbridge:"
NOTE_TITLE = "credbridge verified-credential score"


@dataclass(frozen=True)
class Requirement:
    id: str
    competency: str
    status: str          # met / partial / missing / pending
    reason: str


@dataclass(frozen=True)
class Score:
    """The final score of one application, as scores.computed announced it."""
    application_id: str
    role_id: str | None
    status: str
    score: int | None
    score_version: str
    computed_at: str
    reason: str = ""
    requirements: tuple[Requirement, ...] = ()

    @classmethod
    def from_payload(cls, payload: dict) -> "Score":
        reqs = tuple(Requirement(id=str(r.get("id", "")), competency=str(r.get("competency", "")),
                                 status=str(r.get("status", "")), reason=str(r.get("reason", "")))
                     for r in payload.get("requirements") or [])
        return cls(application_id=payload["application_id"], role_id=payload.get("role_id"),
                   status=payload["status"], score=payload.get("score"), score_version=payload["score_version"],
                   computed_at=payload["computed_at"], reason=payload.get("reason") or "", requirements=reqs)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, doc: dict) -> "Score":
        return cls(**{**doc, "requirements": tuple(Requirement(**r) for r in doc.get("requirements") or ())})


@dataclass(frozen=True)
class Content:
    """Exactly what is written; its fingerprint decides whether anything needs writing at all."""
    score: int | None             # None: no number to put in a score field (unscored)
    note: str | None              # plain text; None when notes are not configured
    tags: tuple[str, ...] = ()
    status: str = "scored"
    summary: dict = field(default_factory=dict)   # for the signed callback: the score and its requirements

    @property
    def fingerprint(self) -> str:
        # When it was computed is not what the ATS shows: a re-score with the same outcome writes nothing.
        summary = {k: v for k, v in self.summary.items() if k != "computed_at"}
        body = json.dumps({"score": self.score, "note": self.note, "tags": list(self.tags), "status": self.status,
                           "summary": summary}, sort_keys=True)
        return hashlib.sha256(body.encode()).hexdigest()

    def note_html(self) -> str | None:
        """The note in the small HTML subset ATS notes accept (Ashby: <p>, <ul>, <li>, <b>); everything escaped."""
        if self.note is None:
            return None
        lines = self.note.split("\n")
        head, items = lines[0], [ln[2:] for ln in lines[1:] if ln.startswith("- ")]
        tail = [ln for ln in lines[1:] if ln and not ln.startswith("- ")]
        parts = [f"<p><b>{html.escape(head)}</b></p>"]
        if items:
            parts.append("<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in items) + "</ul>")
        parts += [f"<p>{html.escape(t)}</p>" for t in tail]
        return "".join(parts)


def verified_tag(score: Score) -> str | None:
    """`credbridge: verified 3/4`: requirements met by verified credentials, of all the role's requirements."""
    if score.status != "scored" or not score.requirements:
        return None
    met = sum(1 for r in score.requirements if r.status == "met")
    return f"{TAG_PREFIX} verified {met}/{len(score.requirements)}"


def note_text(score: Score) -> str:
    number = f"{score.score}/100" if score.score is not None else score.status
    lines = [f"{NOTE_TITLE}: {number}" + (f" — {score.reason}" if score.reason else "")]
    lines += [f"- {r.competency or r.id} ({r.status}): {r.reason}" for r in score.requirements]
    lines.append(f"Score version {score.score_version}. Only verified credentials count; "
                 "a new note is written when the score changes.")
    return "\n".join(lines)


def render(score: Score, *, want_score: bool, want_note: bool, want_tags: bool) -> Content:
    """The content a connection's configuration asks for (pure)."""
    tag = verified_tag(score) if want_tags else None
    summary = {"application_id": score.application_id, "role_id": score.role_id, "status": score.status,
               "score": score.score, "score_version": score.score_version, "computed_at": score.computed_at,
               "reason": score.reason,
               "requirements": [{"id": r.id, "competency": r.competency, "status": r.status, "reason": r.reason}
                                for r in score.requirements]}
    return Content(score=score.score if want_score else None, note=note_text(score) if want_note else None,
                   tags=(tag,) if tag else (), status=score.status, summary=summary)
