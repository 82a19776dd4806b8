"""What one application's page shows: the score view the API gives, and for each credential the full
verification report behind it (every check, validity dates, links) and the requirements it was used for."""
from __future__ import annotations

from typing import Callable

from services.matching import service
from services.matching.evidence import parse_time
from services.matching.repository import MatchingRepository
from services.matching.web import words


def application_view(tenant: str, application_id: str, *, repo: MatchingRepository,
                     writeback: Callable[[str, str], dict | None] | None) -> dict:
    view = service.score_view(tenant, application_id, repo=repo)  # NotFound for another tenant's application
    stored = repo.get_application(tenant, application_id) or {}
    reports = _reports(tenant, application_id, stored, repo=repo)
    used: dict[str, list[str]] = {}
    for r in view.get("requirements") or []:
        for c in r.get("credentials") or []:
            used.setdefault(c["credential_id"], []).append(r.get("competency") or r["id"])
    credentials = [_credential(c, reports.get(c["credential_id"]) or {}, used=used.get(c["credential_id"], []))
                   for c in view.get("credentials") or []]
    role = repo.get_role(tenant, view["role_id"]) if view.get("role_id") else None
    return {"score": view, "role": role, "candidate_id": stored.get("candidate_id"), "credentials": credentials,
            "requirements": [_requirement(r) for r in view.get("requirements") or []],
            "unretrieved": view.get("unretrieved") or [],
            "writeback": writeback(tenant, application_id) if writeback is not None else None}


def report_of(tenant: str, application_id: str, credential_id: str, *, repo: MatchingRepository) -> dict:
    stored = repo.get_application(tenant, application_id)
    if stored is None:
        raise service.NotFound(f"no application {application_id!r}")
    found = _reports(tenant, application_id, stored, repo=repo).get(credential_id)
    if found is None:
        raise service.NotFound(f"no credential {credential_id!r} for that application")
    return found


def _reports(tenant: str, application_id: str, stored: dict, *, repo: MatchingRepository) -> dict[str, dict]:
    evidence = repo.evidence_for(tenant, application_id, credential_ids=stored.get("credential_ids") or [])
    return {e["credential_id"]: e.get("report") or {} for e in evidence}


def _requirement(r: dict) -> dict:
    status = str(r.get("status"))
    return {**r, "mark": words.MARK_WORDS.get(status, status), "symbol": words.MARK_SYMBOLS.get(status, "")}


def _credential(c: dict, report: dict, *, used: list[str]) -> dict:
    checks = [k for k in report.get("checks") or [] if isinstance(k, dict)]
    standing = c.get("status")
    achievement = report.get("achievement") or {}
    issuer = c.get("issuer") or {}
    return {
        **c, "used_for": used, "format": report.get("format"), "checked_at": parse_time(report.get("checked_at")),
        "valid_from": parse_time(report.get("valid_from")), "valid_until": parse_time(report.get("valid_until")),
        "headline": "Verified" if standing == "verified" else (
            c.get("reason") or words.failure_headline(standing, checks)),
        "standing_words": words.STANDING_WORDS.get(standing or "", standing),
        "counts": standing == "verified",
        "unregistered": words.unregistered(report),
        "checks": [{"code": k.get("code"), "status": k.get("status"),
                    "answer": words.CHECK_STATUS_WORDS.get(str(k.get("status")), k.get("status")),
                    "question": words.check_question(str(k.get("code"))), "message": k.get("message")} for k in checks],
        "links": _links(achievement, issuer),
        "description": achievement.get("description"), "criteria": achievement.get("criteria"),
    }


def _links(achievement: dict, issuer: dict) -> list[dict]:
    """Where the original is published: the achievement's page and the issuer's profile, when they are web pages."""
    found = []
    for label, url in (("the achievement, as its issuer publishes it", achievement.get("id")),
                       ("the achievement's criteria", achievement.get("criteria")),
                       ("the issuer's profile", issuer.get("id"))):
        if isinstance(url, str) and url.startswith("https://") and len(url) <= 2000:
            found.append({"label": label, "url": url})
    return found
