"""The verification deadline: how long an application waits for a credential's verdict before it is scored without it.

Matching learns which credentials an application has from applications.ready: its `credential_ids` name
every credential ingest submitted for verification (one credentials.submitted each), so an application
whose verdicts have not arrived yet is known to be waiting even before any credential event. Each listed
credential without a verdict keeps the application `pending` until its deadline, `deadline_s` after
matching first saw it listed. Past that it is `unavailable` (a verdict lost, a verification stuck) and the
application is scored on what it has; a verdict that arrives later still counts and re-scores it.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from services.matching.evidence import UNAVAILABLE, Credential, parse_time


def awaited(credential_id: str, *, since: datetime | None, now: datetime, deadline_s: float | None) -> Credential:
    """A listed credential with no verdict yet: awaited until its deadline, unavailable after it.

    Without a deadline (a view that only lists credentials) or a moment it was first listed, it is awaited.
    """
    if deadline_s is None or since is None:
        return Credential(credential_id=credential_id)
    due = since + timedelta(seconds=deadline_s)
    if now < due:
        return Credential(credential_id=credential_id, awaited_until=due)
    return Credential(credential_id=credential_id, standing=UNAVAILABLE,
                      reason=f"no verification verdict within {duration(deadline_s)} of its submission; "
                             "scored without it (a later verdict re-scores the application)")


def listed_since(application: dict, credential_id: str) -> datetime | None:
    """When matching first saw the credential listed; applications stored before that was recorded use their creation."""
    seen = application.get("credentials_seen") or {}
    return parse_time(seen.get(credential_id)) or parse_time(application.get("created_at"))


def duration(seconds: float) -> str:
    """Seconds in the largest whole unit that states them exactly: '15 minutes', '2 hours', '90 seconds'."""
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = int(seconds // size)
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds:g} second{'s' if seconds != 1 else ''}"
