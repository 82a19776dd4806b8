"""The tenant's credibility list of issuers (tiers for weighing evidence): read it, replace it, import it as CSV."""
from __future__ import annotations

from marshmallow import ValidationError

from shared.problems import Problem

from services.matching import credibility, schemas, service
from services.matching.repository import MatchingRepository

_LIST = schemas.CredibilityListSchema()


def get_list(tenant: str, *, repo: MatchingRepository) -> dict:
    return {"issuers": repo.get_credibility(tenant)}


def put_list(tenant: str, *, body: dict, repo: MatchingRepository) -> dict:
    """Replaces the list (validated by CredibilityListSchema) and re-scores every role's applications with it."""
    issuers = sorted(body["issuers"], key=lambda e: (e["kind"], e["value"]))
    repo.put_credibility(tenant, issuers)
    service.replan_roles(tenant, repo=repo)
    return get_list(tenant, repo=repo)


def from_csv(text: str) -> dict:
    """An accreditation list the employer provides as CSV (kind,value,tier,accredited_by), as a validated body."""
    try:
        rows = credibility.rows_from_csv(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Problem(400, "Bad Request", f"The CSV cannot be read: {exc}") from exc
    for row in rows:
        row["accredited_by"] = row.get("accredited_by") or None
    try:
        return _LIST.load({"issuers": rows})
    except ValidationError as exc:
        # Row numbers as a spreadsheet shows them: the header is row 1.
        errors = exc.messages.get("issuers", {}) if isinstance(exc.messages, dict) else {}
        rows_wrong = {f"row {int(i) + 2}": e for i, e in errors.items()} if isinstance(errors, dict) else errors
        raise Problem(422, "Unprocessable Content", "Some rows of the CSV are not valid entries.",
                      errors={"issuers": rows_wrong}) from exc
