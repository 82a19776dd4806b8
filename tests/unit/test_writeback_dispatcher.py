"""The dispatcher: a connection at its concurrency cap waits, and other tenants' writes go out meanwhile."""
from __future__ import annotations

import threading
from datetime import datetime, timezone

from services.writeback.config import WritebackConfig
from services.writeback.dispatcher import Dispatcher
from services.writeback.service import Policy
from tests.unit.writeback_fakes import FakeWritebackRepository

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


class HeldClient:
    """Writes block until released, so the test sees what is in flight."""

    def __init__(self):
        self.started: list[str] = []
        self.release = threading.Event()
        self.lock = threading.Lock()

    def write(self, *, origin, content, remote, checkpoint):
        with self.lock:
            self.started.append(f"{origin.tenant}/{origin.application_id}")
        self.release.wait(5)
        return {"where": []}


def _world(held: HeldClient, *, cap: int) -> tuple[FakeWritebackRepository, Dispatcher]:
    repo = FakeWritebackRepository()
    for tenant in ("busy", "quiet"):
        repo.save_config(WritebackConfig(tenant=tenant, provider="generic", enabled=True, callback_url="http://x",
                                         concurrency=cap))
    payload = {"application_id": "", "role_id": "r", "status": "scored", "score": 1, "score_version": "v",
               "computed_at": NOW.isoformat()}
    for tenant, apps in (("busy", ["a1", "a2", "a3", "a4"]), ("quiet", ["b1"])):
        for app in apps:
            repo.record_origin(tenant, app, provider="generic", candidate_id=None, refs={})
            repo.want(tenant, app, provider="generic", desired={**payload, "application_id": app},
                      computed_at=NOW, now=NOW)
    return repo, Dispatcher(repo=repo, connect=lambda config, origin: held, policy_=Policy(), pool_size=4,
                            clock=lambda: NOW)


def test_a_connection_at_its_cap_leaves_room_for_another_tenant():
    held = HeldClient()
    repo, dispatcher = _world(held, cap=2)
    try:
        assert dispatcher.tick() == 3        # two of busy's four (its cap) and quiet's one
        assert dispatcher.tick() == 0        # busy is saturated: its other two wait
    finally:
        held.release.set()
        dispatcher.run_until_idle(timeout_s=5)
        dispatcher._executor.shutdown(wait=True)
    assert sorted(held.started[:3]) == ["busy/a1", "busy/a2", "quiet/b1"]
    assert {r["outcome"] for r in repo.records.values()} == {"written"}
