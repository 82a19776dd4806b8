"""One write-back attempt for one due record: decide what to write, write it, and schedule what comes next."""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable

from services.writeback import metrics, policy
from services.writeback.clients import Client, Origin
from services.writeback.config import WritebackConfig
from services.writeback.content import Score, render
from services.writeback.repository import WritebackRepository

log = logging.getLogger(__name__)

Connect = Callable[[WritebackConfig, Origin], Client]
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Policy:
    max_attempts: int = 8           # transient failures before the record is reported failed
    backoff_s: float = 2.0          # first retry delay; doubles
    origin_attempts: int = 10       # how long (in back-offs) a score waits for its application's origin


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def attempt(record: dict, *, repo: WritebackRepository, connect: Connect, policy_: Policy = Policy(),
            clock: Clock = _utcnow) -> str:
    """Performs one leased record's write-back and stores the outcome; returns the outcome word (a metric label)."""
    now = clock()
    tenant, application_id = record["tenant"], record["application_id"]
    origin = repo.origin(tenant, application_id)
    if origin is None:
        return _wait_for_origin(record, repo=repo, now=now, policy_=policy_)
    provider = origin.provider
    config = repo.config(tenant, provider)
    if not config.enabled:
        return _finish(record, repo, provider, "disabled", due_at=None)
    blocked = repo.blocked_until(tenant, provider)
    if blocked is not None and _aware(blocked) > now:
        # Another request on this connection spent its budget: wait with it, without counting an attempt.
        return _finish(record, repo, provider, "rate_limited", due_at=_aware(blocked), count=False)
    content = render(Score.from_dict(record["desired"]), want_score=config.score, want_note=config.note,
                     want_tags=config.tags)
    if content.fingerprint == record.get("written_hash"):
        metrics.WRITES.labels(provider=provider, outcome="unchanged").inc()
        return _finish(record, repo, provider, "written", due_at=None, count=False, label="unchanged")
    started = time.monotonic()
    try:
        remote = connect(config, origin).write(origin=origin, content=content, remote=record.get("remote") or {},
                                               checkpoint=lambda r: repo.checkpoint(record, r))
    except policy.RateLimited as exc:
        until = datetime.fromtimestamp(exc.until, timezone.utc)
        repo.block(tenant, provider, until=until)
        return _finish(record, repo, provider, "rate_limited", due_at=until, error=str(exc))
    except policy.Transient as exc:
        attempts = record.get("attempts", 0) + 1
        if attempts >= policy_.max_attempts:
            return _finish(record, repo, provider, "failed", due_at=None, error=str(exc), attempts=attempts)
        delay = policy.backoff_s(attempts, base_s=policy_.backoff_s)
        return _finish(record, repo, provider, "retrying", due_at=now + timedelta(seconds=delay), error=str(exc),
                       attempts=attempts)
    except policy.Permanent as exc:
        return _finish(record, repo, provider, "failed", due_at=None, error=str(exc))
    finally:
        metrics.WRITE_SECONDS.labels(provider=provider).observe(time.monotonic() - started)
    return _finish(record, repo, provider, "written", due_at=None,
                   extra={"remote": remote, "written_hash": content.fingerprint, "written_at": now,
                          "written_score": content.score})


def _wait_for_origin(record: dict, *, repo: WritebackRepository, now: datetime, policy_: Policy) -> str:
    attempts = record.get("attempts", 0) + 1
    if attempts >= policy_.origin_attempts:
        return _finish(record, repo, "unknown", "failed", due_at=None, attempts=attempts,
                       error="credbridge never saw this application's webhook, so it does not know its ATS")
    return _finish(record, repo, "unknown", "awaiting_origin", attempts=attempts,
                   due_at=now + timedelta(seconds=policy.backoff_s(attempts, base_s=policy_.backoff_s)))


def _finish(record: dict, repo: WritebackRepository, provider: str, outcome: str, *, due_at: datetime | None,
            error: str | None = None, attempts: int | None = None, count: bool = True, extra: dict | None = None,
            label: str | None = None) -> str:
    fields: dict = {"outcome": outcome, "last_error": error, "provider": provider, "attempted_at": _utcnow(),
                    **(extra or {})}
    if attempts is not None:
        fields["attempts"] = attempts
    elif outcome == "written":
        fields["attempts"] = 0
    repo.finish(record, fields=fields, due_at=due_at)
    if count:
        metrics.WRITES.labels(provider=provider, outcome=outcome).inc()
    if outcome in ("failed", "retrying"):
        log.warning("write-back not done", extra={"provider": provider, "outcome": outcome, "error": error})
    return label or outcome


def _aware(value: datetime) -> datetime:
    # BSON dates come back naive (UTC) unless the client is tz-aware.
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
