"""Retry, back-off and rate-limit policy for ATS writes: pure functions of a response's status, headers and the clock.

What each ATS documents: 429 Too Many Requests with `Retry-After` (seconds or an HTTP date, RFC 9110 §10.2.3);
`X-RateLimit-Limit` / `X-RateLimit-Remaining` / `X-RateLimit-Reset` (Greenhouse Harvest, Teamtailor) and
`X-Rate-Limit-*` (Workable); a reset is either seconds from now or a unix time, told apart by size.
"""
from __future__ import annotations

from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Mapping

MAX_BACKOFF_S = 3600.0
# A reset value this large is a unix time, not a number of seconds (no ATS asks for a 30-year wait).
_EPOCH_THRESHOLD = 1_000_000_000
DEFAULT_RATE_LIMIT_WAIT_S = 10.0


class WriteError(Exception):
    """A write that did not happen; `reason` is a short fixed word (metrics, status), the message says more."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


class RateLimited(WriteError):
    """The ATS asked us to slow down: the connection waits until `until` (unix seconds); not a failed attempt."""

    def __init__(self, until: float, message: str = "the ATS answered 429"):
        super().__init__("rate_limited", message)
        self.until = until


class Transient(WriteError):
    """Worth trying again later: a timeout, a connection error, a 5xx, 408."""


class Permanent(WriteError):
    """Retrying cannot help until someone changes something (credentials, configuration, the ATS record)."""


@dataclass(frozen=True)
class Limits:
    """What the last response said about the connection's budget."""
    remaining: int | None
    reset_at: float | None


def retry_after(headers: Mapping[str, str], *, now: float) -> float | None:
    """The unix time `Retry-After` names, or None when absent or unreadable."""
    raw = (headers.get("Retry-After") or "").strip()
    if not raw:
        return None
    if raw.isdigit():
        return now + float(raw)
    try:
        return parsedate_to_datetime(raw).timestamp()
    except (TypeError, ValueError, IndexError):
        return None


def limits(headers: Mapping[str, str], *, now: float) -> Limits:
    """X-RateLimit-Remaining/Reset (or Workable's X-Rate-Limit-*), when the ATS sends them."""
    remaining = _int(headers.get("X-RateLimit-Remaining") or headers.get("X-Rate-Limit-Remaining"))
    reset = _int(headers.get("X-RateLimit-Reset") or headers.get("X-Rate-Limit-Reset"))
    reset_at = None if reset is None else float(reset) if reset >= _EPOCH_THRESHOLD else now + reset
    return Limits(remaining=remaining, reset_at=reset_at)


def blocked_until(headers: Mapping[str, str], *, now: float) -> float | None:
    """When a connection that just spent its last request may send again; None if it still has budget."""
    seen = limits(headers, now=now)
    if seen.remaining is not None and seen.remaining <= 0:
        return seen.reset_at if seen.reset_at is not None and seen.reset_at > now else now + 1.0
    return None


def classify(status: int, headers: Mapping[str, str], *, now: float, what: str) -> WriteError | None:
    """None for a 2xx; otherwise the error that status stands for."""
    if 200 <= status < 300:
        return None
    if status == 429:
        until = retry_after(headers, now=now) or limits(headers, now=now).reset_at or now + DEFAULT_RATE_LIMIT_WAIT_S
        return RateLimited(max(until, now), f"{what}: the ATS answered 429")
    if status >= 500 or status in (408, 425):
        return Transient("server_error", f"{what}: the ATS answered {status}")
    if status in (401, 403):
        return Permanent("unauthorized", f"{what}: the ATS refused the credentials ({status})")
    if status == 404:
        return Permanent("not_found", f"{what}: the ATS has no such record (404)")
    return Permanent("rejected", f"{what}: the ATS refused the request ({status})")


def backoff_s(attempt: int, *, base_s: float) -> float:
    """Delay before attempt `attempt + 1` (attempt counts from 1): doubling, capped at an hour."""
    return min(base_s * 2 ** max(attempt - 1, 0), MAX_BACKOFF_S)


def _int(raw: str | None) -> int | None:
    try:
        return int(float(raw)) if raw not in (None, "") else None
    except ValueError:
        return None
