"""How much the issuer's standing weighs a credential's evidence: the tenant's credibility list, tiers, a role's policy.

Tiers, best first:
  * accredited  — the tenant's credibility list says so, naming the accrediting body;
  * recognised  — on the list as recognised, or in the tenant's trust registry (verification's
                  issuer.trusted check passed), or else endorsed (a verified OB 3.0 endorsement,
                  services/verification/endorsements.py) by an endorser in the trust registry or
                  recognised or accredited on the list;
  * known       — on the list as known: seen and acknowledged, not vouched for;
  * unknown     — none of these (self-issued credentials land here too).
A role's `credibility` policy gives each tier a weight (0–1, multiplying the credit a credential earns) and
optionally the least tier an essential requirement accepts; a role without a policy weighs every tier 1, so
its scores are as before. Pure: the list and the report's check are handed in.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field, replace
from typing import Iterable

from services.verification import trust

ACCREDITED, RECOGNISED, KNOWN, UNKNOWN = "accredited", "recognised", "known", "unknown"
TIERS = (ACCREDITED, RECOGNISED, KNOWN, UNKNOWN)
RANK = {tier: i for i, tier in enumerate(TIERS)}
LISTED_TIERS = (ACCREDITED, RECOGNISED, KNOWN)
DEFAULT_WEIGHTS = {ACCREDITED: 1.0, RECOGNISED: 1.0, KNOWN: 1.0, UNKNOWN: 1.0}
MAX_ENTRIES = 5000
CSV_COLUMNS = ("kind", "value", "tier", "accredited_by")


@dataclass(frozen=True)
class Entry:
    """One issuer (by id, DID or domain, read as the trust registry reads them) and its tier."""
    kind: str
    value: str
    tier: str
    accredited_by: str | None = None

    def to_dict(self) -> dict:
        return {"kind": self.kind, "value": self.value, "tier": self.tier, "accredited_by": self.accredited_by}


@dataclass(frozen=True)
class Standing:
    tier: str
    why: str


@dataclass(frozen=True)
class CredibilityList:
    entries: tuple[Entry, ...] = ()

    @classmethod
    def from_dicts(cls, docs: Iterable[dict]) -> "CredibilityList":
        return cls(tuple(Entry(d["kind"], d["value"], d["tier"], d.get("accredited_by")) for d in docs))

    def standing(self, issuer_id: str | None, *, trusted_check: str | None,
                 endorsements: Iterable[dict] = ()) -> Standing:
        """The issuer's tier and why; `trusted_check` is the status of the report's issuer.trusted check,
        `endorsements` the report's (each {endorser: {id, name}, verdict, endorser_trusted})."""
        own = self._own(issuer_id, trusted_check=trusted_check)
        if RANK[own.tier] <= RANK[RECOGNISED]:
            return own
        for e in endorsements:
            vouched = self._endorser(e)
            if vouched is not None:
                return vouched
        return own

    def _endorser(self, endorsement: dict) -> Standing | None:
        if not isinstance(endorsement, dict) or endorsement.get("verdict") != "verified":
            return None
        given = endorsement.get("endorser")
        endorser: dict = given if isinstance(given, dict) else {}
        name = endorser.get("name") or endorser.get("id") or "an unnamed endorser"
        standing = self._own(endorser.get("id"), trusted_check="passed" if endorsement.get("endorser_trusted") else None)
        if RANK[standing.tier] > RANK[RECOGNISED]:
            return None
        return Standing(RECOGNISED, f"endorsed by {name} ({standing.why})")

    def _own(self, issuer_id: str | None, *, trusted_check: str | None) -> Standing:
        best = self._listed(issuer_id)
        if best is not None:
            if best.tier == ACCREDITED:
                return Standing(ACCREDITED, f"accredited by {best.accredited_by}")
            return Standing(best.tier, "on your credibility list")
        if trusted_check == "passed":
            return Standing(RECOGNISED, "in your trust registry")
        return Standing(UNKNOWN, "issuer not in your registry")

    def _listed(self, issuer_id: str | None) -> Entry | None:
        if not issuer_id:
            return None
        # The trust registry's own reading of a did:web's or an https URL's host (trust.issuer_domain), so
        # the two lists can never disagree on which host an id is anchored to.
        did = issuer_id.split("#", 1)[0] if issuer_id.startswith("did:") else None
        host = trust.issuer_domain(issuer_id)
        found = [e for e in self.entries
                 if (e.kind == "issuer" and e.value == issuer_id) or (e.kind == "did" and e.value == did)
                 or (e.kind == "domain" and host is not None and (host == e.value or host.endswith("." + e.value)))]
        return min(found, key=lambda e: (RANK[e.tier], e.kind, e.value)) if found else None


class EntryError(ValueError):
    """What is wrong with one entry, and in which of its fields."""

    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field_name = field_name


def parse_entry(doc: dict) -> Entry:
    """An entry as the API gives it, or EntryError saying what is wrong (the trust registry's rules for values)."""
    kind, value, tier = doc.get("kind"), doc.get("value"), doc.get("tier")
    if not isinstance(kind, str) or not isinstance(value, str):
        raise EntryError("value", "kind and value must be strings")
    if tier not in LISTED_TIERS:
        raise EntryError("tier", f"tier must be one of {', '.join(LISTED_TIERS)}")
    body = doc.get("accredited_by")
    body = body.strip() if isinstance(body, str) and body.strip() else None
    if tier == ACCREDITED and body is None:
        raise EntryError("accredited_by", "an accredited issuer names its accrediting body (accredited_by)")
    if body is not None and len(body) > trust.MAX_VALUE:
        raise EntryError("accredited_by", "accredited_by is too long")
    try:
        value = trust.normalise(kind, value)
    except ValueError as exc:
        raise EntryError("kind" if "kind" in str(exc) else "value", str(exc)) from exc
    return Entry(kind, value, tier, body if tier == ACCREDITED else None)


def rows_from_csv(text: str) -> list[dict]:
    """An accreditation list as CSV (header kind,value,tier,accredited_by) as entry dicts; ValueError if unreadable."""
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or not {"kind", "value", "tier"} <= {f.strip() for f in reader.fieldnames}:
        raise ValueError(f"the CSV needs a header row with {', '.join(CSV_COLUMNS)}")
    return [{k.strip(): (v or "").strip() for k, v in row.items() if k} for row in reader]


def with_standing(credentials: Iterable, *, listed: CredibilityList) -> list:
    """The credentials (evidence.Credential) with their issuer's tier and why filled in."""
    found = []
    for c in credentials:
        standing = listed.standing(c.issuer_id, trusted_check=c.issuer_trusted, endorsements=c.endorsements)
        found.append(replace(c, tier=standing.tier, tier_why=standing.why))
    return found


@dataclass(frozen=True)
class Policy:
    """A role's credibility policy: a weight per tier and the least tier an essential requirement accepts."""
    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    essential_minimum: str | None = None

    @classmethod
    def from_dict(cls, doc: dict | None) -> "Policy | None":
        if not doc:
            return None
        return cls({**DEFAULT_WEIGHTS, **(doc.get("weights") or {})}, doc.get("essential_minimum"))

    def weigh(self, standing: Standing | None, *, essential: bool) -> tuple[float, str]:
        """The factor the credential's credit is multiplied by, and what the explanation says of it."""
        if standing is None:
            return 1.0, ""
        if essential and self.essential_minimum and RANK[standing.tier] > RANK[self.essential_minimum]:
            return 0.0, (f"its issuer is {standing.tier} ({standing.why}), below the {self.essential_minimum} "
                         f"this role asks of essential requirements")
        weight = self.weights.get(standing.tier, 1.0)
        if weight >= 1:
            return 1.0, ""
        return weight, f"its issuer is {standing.tier} ({standing.why}), weighted {weight:g}"
