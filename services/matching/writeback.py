"""Where and when an application's score was last written back into its ATS (read from the write-back service's
`writebacks` collection, which that service owns; matching only shows it beside the score)."""
from __future__ import annotations

from pymongo.database import Database

_FIELDS = ("provider", "outcome", "written_at", "written_score", "attempted_at", "last_error", "attempts", "due_at")


def last_write_back(db: Database, tenant: str, application_id: str) -> dict | None:
    """None when the application's connection does not write back (or nothing was attempted yet)."""
    doc = db["writebacks"].find_one({"_id": f"{tenant}\x1f{application_id}"})
    if doc is None:
        return None
    view = {k: doc.get(k) for k in _FIELDS}
    view["score"] = view.pop("written_score")
    view["next_attempt_at"] = view.pop("due_at")
    view["where"] = (doc.get("remote") or {}).get("where", []) if doc.get("written_at") else []
    return view
