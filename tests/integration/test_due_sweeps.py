"""Sweeps for work that fell due cost what is due, not what is stored (bench/repro/secantusdb_open_range.py)."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

from services.matching.repository import MatchingRepository
from services.verification.repository import VerdictRepository
from services.writeback.repository import WritebackRepository
from shared.tenants import TenantRepository

STORED = 4000  # documents with nothing due (the field unset), as most are


def _fastest_ms(call) -> float:
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        call()
        best = min(best, time.perf_counter() - t)
    return best * 1000


def _open_range_ms(coll, field: str, now: datetime) -> float:
    return _fastest_ms(lambda: list(coll.find({field: {"$lte": now}}).sort(field, 1).limit(100)))


def _assert_cheaper_than_the_open_range(coll, field: str, sweep) -> None:
    coll.insert_many([{"_id": f"stored-{i}", "tenant": "t1", "application_id": f"a{i}", "credential_id": f"c{i}"}
                      for i in range(STORED)])
    now = datetime.now(timezone.utc)
    assert sweep(now) == []
    # Relative, so a busy machine does not decide it: the open range walks all STORED entries on secantusdb.
    assert _fastest_ms(lambda: sweep(now)) * 5 < _open_range_ms(coll, field, now)


def test_matchings_deadline_sweep_does_not_walk_the_scores_that_are_not_pending(db):
    repo = MatchingRepository(db)
    repo.ensure_indexes()
    _assert_cheaper_than_the_open_range(repo.scores, "pending_until",
                                        lambda now: repo.scores_past_deadline(now, limit=100))


def test_the_recheck_sweep_does_not_walk_the_verdicts_that_need_no_recheck(db):
    repo = VerdictRepository(db)
    repo.ensure_indexes()
    _assert_cheaper_than_the_open_range(repo.verdicts, "recheck_at",
                                        lambda now: repo.claim_due(now, limit=100, lease=timedelta(seconds=60)))


def test_the_writeback_sweep_does_not_walk_the_finished_write_backs(db, settings):
    repo = WritebackRepository(db, TenantRepository(db, settings))
    repo.ensure_indexes()
    _assert_cheaper_than_the_open_range(repo.records, "due_at", lambda now: repo.due(now=now, limit=100))
