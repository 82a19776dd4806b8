"""Completing a thin delivery from the ATS API: the provider adapter's `enrich`, run with the safe fetcher and retries."""
from __future__ import annotations

from typing import Callable

from services.ingest.providers import EnrichError
from services.ingest.pulling import BudgetSpent, Retrier
from shared.fetch import FetchFailed, FetchRefused


class EnrichFailed(Exception):
    """The ATS API did not give the application, even after retrying; `reason` is for the recruiter."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _retryable(exc: Exception) -> bool:
    return isinstance(exc, FetchFailed) or (isinstance(exc, EnrichError) and exc.retryable)


def enrich_payload(payload: dict, *, enrich: Callable[..., dict], connection, getter: Callable[[float], Callable],
                   retrier: Retrier) -> dict:
    """The applications.received payload completed with what the ATS API says (adapter: `enrich(payload, *, connection, get)`).

    `getter(deadline_s)` gives the adapter's `get`, bounded by what is left of the application's time budget.
    """
    try:
        fields = retrier.run(lambda deadline_s: enrich(payload, connection=connection, get=getter(deadline_s)),
                             retryable=_retryable)
    except FetchRefused as exc:
        raise EnrichFailed(f"the ATS API was refused by the fetch policy: {exc}") from exc
    except FetchFailed as exc:
        raise EnrichFailed(f"the ATS API could not be reached after retrying: {exc}") from exc
    except EnrichError as exc:
        raise EnrichFailed(f"the ATS API did not give the application: {exc.reason}") from exc
    except BudgetSpent as exc:
        raise EnrichFailed("the time allowed for this application's fetches ran out") from exc
    return merged(payload, fields)


def merged(payload: dict, fields: dict) -> dict:
    """Nested application/candidate fields are completed, lists are extended, and enrichment is done."""
    out = dict(payload)
    for key, value in fields.items():
        if key in ("application", "candidate") and isinstance(value, dict):
            out[key] = {**payload.get(key, {}), **{k: v for k, v in value.items() if v is not None}}
        elif key in ("credentials", "links") and isinstance(value, list):
            out[key] = [*payload.get(key, []), *value]
        elif key not in ("provider", "delivery_id", "enrich"):
            out[key] = value
    out["enrich"] = None
    return out
