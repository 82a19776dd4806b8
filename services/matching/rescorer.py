"""Re-scores in the background: a role's applications after the role changes (recording progress on the role), and
pending applications whose awaited verdict is past its verification deadline."""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Callable

from services.matching import metrics
from services.matching.batch_scoring import rescore_applications
from services.matching.repository import WALK_WINDOW_S, MatchingRepository
from services.matching.service import VERIFY_DEADLINE_S, Clock, Publish, utcnow

log = logging.getLogger(__name__)

BATCH_SIZE = 100
INTERVAL_S = 1.0
# After a pass that left work (a role's re-scoring unfinished, or a full batch of overdue applications), the thread
# rests this many times as long as the pass took, then goes on: while the consumer loop beside it is busy, a role's
# re-scoring runs at about half the thread's speed instead of one batch per INTERVAL_S, and the loop keeps the other
# half. While the loop is idle the thread does not rest.
REST_RATIO = 1.0


@dataclass(frozen=True)
class RescoreProgress:
    done: int
    complete: bool


def rescore_role(tenant: str, role_id: str, *, repo: MatchingRepository, publish: Publish,
                 batch_size: int = BATCH_SIZE, clock: Clock = utcnow,
                 verify_deadline_s: float = VERIFY_DEADLINE_S) -> RescoreProgress:
    """Re-scores the next batch of the role's applications; call again until the progress is complete.

    Applications are walked in the order they were stored behind a cursor stored on the role
    (MatchingRepository.walk_applications), so progress survives a restart and a PUT mid-way (which resets the
    cursor) starts the walk over for the new revision.
    """
    role = repo.role_for_rescoring(tenant, role_id)
    plan = (role or {}).get("rescoring") or {}
    if role is None or not plan.get("active"):
        return RescoreProgress(done=plan.get("done", 0), complete=True)
    revision, cursor = role["revision"], plan["cursor"]
    page = repo.walk_applications(tenant, plan["job_ids"], after=cursor, window_s=plan.get("window_s", WALK_WINDOW_S),
                                  limit=batch_size, until=clock())
    if page.exhausted:
        repo.finish_rescoring(tenant, role_id, revision=revision, cursor=cursor)
        return RescoreProgress(done=plan["done"], complete=True)
    batch = page.application_ids
    # Applications a handler already scored against this revision need no second pass.
    current = repo.scored_at_revision(tenant, role_id, application_ids=batch, role_revision=revision) if batch \
        else set()
    _rescore(tenant, [a for a in batch if a not in current], repo=repo, publish=publish, clock=clock,
             verify_deadline_s=verify_deadline_s)
    # If the role changed meanwhile this does nothing, and the next pass starts the new plan.
    repo.advance_rescoring(tenant, role_id, revision=revision, cursor=cursor, new_cursor=page.after, done=len(batch),
                           window_s=page.window_s)
    return RescoreProgress(done=plan["done"] + len(batch), complete=False)


def rescore_overdue(*, repo: MatchingRepository, publish: Publish, clock: Clock = utcnow,
                    verify_deadline_s: float = VERIFY_DEADLINE_S, limit: int = BATCH_SIZE) -> int:
    """Re-scores up to `limit` pending applications whose awaited verdict is past its deadline; returns how many.

    A verdict that never comes sends no event, so this sweep is what ends the wait: the re-score finds
    the credential unavailable and scores the application on what it has (or, if another credential is
    still within its deadline, stores the next deadline to wait for).
    """
    overdue = repo.scores_past_deadline(clock(), limit=limit)
    by_tenant: dict[str, list[str]] = {}
    for tenant, application_id in overdue:
        by_tenant.setdefault(tenant, []).append(application_id)
    for tenant, application_ids in by_tenant.items():
        _rescore(tenant, application_ids, repo=repo, publish=publish, clock=clock, verify_deadline_s=verify_deadline_s)
    return len(overdue)


def _rescore(tenant: str, application_ids: list[str], *, repo: MatchingRepository, publish: Publish,
             clock: Clock, verify_deadline_s: float) -> None:
    # The role (or the clock, for a deadline) is an input too: bump the revisions so these scores outrank
    # any computed before; one bump, one read of each input and one bulk write for the batch.
    if application_ids:
        rescore_applications(tenant, repo.bump_applications(tenant, list(dict.fromkeys(application_ids))), repo=repo,
                             publish=publish, clock=clock, verify_deadline_s=verify_deadline_s)


class Rescorer(threading.Thread):
    """Re-scores one batch for each role with an unfinished re-scoring plan, then one batch of applications past
    their verification deadline; at once when started, then again while a pass leaves work: after REST_RATIO times
    the pass's own duration if the worker's consumer loop is busy (`busy`), at once if it is idle; else after
    INTERVAL_S."""

    def __init__(self, *, repo: MatchingRepository, publish: Publish, interval_s: float = INTERVAL_S,
                 batch_size: int = BATCH_SIZE, verify_deadline_s: float = VERIFY_DEADLINE_S, clock: Clock = utcnow,
                 rest_ratio: float = REST_RATIO, busy: Callable[[], bool] = lambda: True):
        super().__init__(name="matching-rescorer", daemon=True)
        self.repo, self.publish, self.clock = repo, publish, clock
        self.interval_s, self.batch_size, self.verify_deadline_s = interval_s, batch_size, verify_deadline_s
        self.rest_ratio, self.busy = rest_ratio, busy
        self._stopping = threading.Event()

    def run(self) -> None:
        while True:  # a first pass at once: a re-scoring a restart interrupted goes on without waiting
            started = time.monotonic()
            left = self.tick()
            if self._stopping.wait(self.pause(left=left, took_s=time.monotonic() - started)):
                return

    def pause(self, *, left: int, took_s: float) -> float:
        """How long to rest after a pass that took `took_s` and left work for `left` roles (or the sweep)."""
        if not left:
            return self.interval_s
        # The rest leaves the consumer loop beside this thread its share of the interpreter; idle, it needs none.
        return min(self.interval_s, took_s * self.rest_ratio) if self.busy() else 0.0

    def stop(self) -> None:
        self._stopping.set()

    def tick(self) -> int:
        """One pass over the roles being re-scored and the overdue applications; returns how many of them (roles,
        and the overdue sweep if its batch was full) have work left. A role that failed counts as none: it is
        retried after a whole interval, not at once."""
        roles = self.repo.roles_to_rescore()
        metrics.RESCORE_BACKLOG.set(len(roles))
        left = 0
        for tenant, role_id in roles:
            if self._stopping.is_set():
                break
            left += self._work_on(tenant, role_id)
        return left + self._sweep_overdue()

    def _work_on(self, tenant: str, role_id: str) -> bool:
        try:
            progress = rescore_role(tenant, role_id, repo=self.repo, publish=self.publish, batch_size=self.batch_size,
                                    clock=self.clock, verify_deadline_s=self.verify_deadline_s)
            metrics.ROLES_RESCORED.labels(outcome="ok").inc()
            return not progress.complete
        except Exception:  # noqa: BLE001 - the thread's policy: one failing role must not stop the others, or the thread
            metrics.ROLES_RESCORED.labels(outcome="error").inc()
            log.exception("re-scoring a role failed; retrying next pass", extra={"tenant": tenant, "role_id": role_id})
            return False

    def _sweep_overdue(self) -> bool:
        try:
            return rescore_overdue(repo=self.repo, publish=self.publish, clock=self.clock,
                                   verify_deadline_s=self.verify_deadline_s, limit=self.batch_size) >= self.batch_size
        except Exception:  # noqa: BLE001 - the thread's policy, as for roles: the next pass tries again
            log.exception("scoring applications past their verification deadline failed; retrying next pass")
            return False
