"""The verifier's one way to the network: shared/fetch's SSRF-safe Fetcher, handed in as a callable."""
from __future__ import annotations

from typing import Callable

from services.verification import metrics
from services.verification.fetch_budget import BudgetSpent, charged
from shared.fetch import Fetched, FetchFailed, Fetcher, FetchRefused  # noqa: F401 - re-exported for the verifier
from shared.settings import Settings

Fetch = Callable[..., Fetched]  # fetch(url, *, purpose=..., accept=(...), max_bytes=..., deadline_s=...) -> Fetched


class Unfetched(Exception):
    """A document the verifier needed did not arrive: `reason` is "refused" (an address this verifier may not
    fetch), "failed" (unreachable, timed out, too large), "budget" (not fetched: the credential's fetch budget
    is spent) or "http_error" (then `status` is the answer's)."""

    def __init__(self, reason: str, status: int | None = None):
        self.reason, self.status = reason, status
        super().__init__(reason + self.answer)

    @property
    def answer(self) -> str:
        """' (HTTP 404)' when the host answered with an error status, else '': the end of a message."""
        return f" (HTTP {self.status})" if self.status else ""


def fetch_document(fetch: Fetch, url: str, *, kind: str, purpose: str, accept: tuple[str, ...], max_bytes: int) -> bytes:
    """The body of a 200 answer, each attempt counted in credbridge_verification_fetches_total under `kind`.

    Raises Unfetched otherwise; what that means for a verdict (indeterminate, failed, revoked) is the caller's.
    """
    return fetch_answer(fetch, url, kind=kind, purpose=purpose, accept=accept, max_bytes=max_bytes).body


def fetch_answer(fetch: Fetch, url: str, *, kind: str, purpose: str, accept: tuple[str, ...], max_bytes: int) -> Fetched:
    """fetch_document's 200 answer whole, for callers that must know where it came from (its final_url)."""
    try:
        got = charged(fetch, url, purpose=purpose, accept=accept, max_bytes=max_bytes)
    except BudgetSpent:
        metrics.fetch(kind, "budget")
        raise Unfetched("budget") from None
    except FetchRefused:
        metrics.fetch(kind, "refused")
        raise Unfetched("refused") from None
    except FetchFailed:
        metrics.fetch(kind, "failed")
        raise Unfetched("failed") from None
    if got.status != 200:
        metrics.fetch(kind, "http_error")
        raise Unfetched("http_error", got.status)
    metrics.fetch(kind, "ok")
    return got


def fetcher(settings: Settings) -> Fetch:
    """The safe fetch callable for these settings (one requests session; build it after a fork)."""
    return Fetcher(settings).get
