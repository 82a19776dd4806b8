"""Workable, Ashby, SmartRecruiters and Teamtailor write-back on the real database: the dispatcher, the stored
configuration (secrets sealed), the connection's rate-limit wait and `credbridge writeback status`, against the
fakes of their write APIs on loopback."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from services.writeback.config import WritebackConfig, check
from services.writeback.connector import Connector
from services.writeback.dispatcher import Dispatcher
from services.writeback.handlers import handle_application, handle_score
from services.writeback.repository import WritebackRepository
from services.writeback.service import Policy
from shared.events import new_event
from shared.fetch import Fetcher
from shared.tenants import TenantRepository
from tests.support.fake_ats_write import FakeAtsWrites
from tests.support.fake_ats_write_more import ASHBY_NUMBER_FIELD, TEAMTAILOR_FIELD
from tests.support.waiting import wait_for

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
KEYS = {"workable": "wk-token", "ashby": "ashby-key", "smartrecruiters": "sr-token", "teamtailor": "tt-key"}


@pytest.fixture
def tenants(db, settings):
    repo = TenantRepository(db, settings)
    repo.ensure_indexes()
    return repo


@pytest.fixture
def repo(db, tenants):
    r = WritebackRepository(db, tenants)
    r.ensure_indexes()
    return r


@pytest.fixture
def ats():
    with FakeAtsWrites() as fake:
        yield fake


@pytest.fixture
def dispatcher(settings, repo, tenants):
    fetcher = Fetcher(replace(settings, fetch_allow_loopback=1, fetch_deadline_s=3))
    running = Dispatcher(repo=repo, connect=Connector(repo=repo, tenants=tenants, fetcher=fetcher),
                         policy_=Policy(max_attempts=3, backoff_s=0.2), poll_s=0.1)
    running.start()
    yield running
    running.stop()
    running.join(timeout=20)
    fetcher.close()


def connect(provider: str, *, repo, tenants, ats, key: str | None = None) -> str:
    tenant = f"t_{provider}"
    tenants.tenants.insert_one({"_id": tenant, "name": "Acme"})
    tenants.add_connection(tenant, provider, secret="s")
    options = {"workable": dict(acting_user="member-13", tags=False),
               "ashby": dict(score_field=ASHBY_NUMBER_FIELD, tags=False),
               "smartrecruiters": dict(score=False),
               "teamtailor": dict(score_field=TEAMTAILOR_FIELD, acting_user="user-5", tags=False)}[provider]
    repo.save_config(check(WritebackConfig(tenant=tenant, provider=provider, enabled=True, base_url=ats.base_url,
                                           secrets={"api_key": key or KEYS[provider]}, **options)))
    handle_application(new_event("application.received", tenant=tenant, payload={
        "provider": provider, "delivery_id": "d1", "application": {"id": "a1", "job_id": "j1"},
        "candidate": {"id": "c1"}, "enrich": None}), repo=repo)
    return tenant


def score(tenant: str, value: int, *, met: int, minute: int, repo, dispatcher) -> None:
    reqs = [{"id": f"r{i}", "competency": f"Skill {i}", "status": "met" if i < met else "missing", "reason": "…"}
            for i in range(4)]
    handle_score(new_event("score.computed", tenant=tenant, payload={
        "application_id": "a1", "role_id": "j1", "status": "scored", "score": value, "score_version": "2026-12.1",
        "computed_at": (T0 + timedelta(minutes=minute)).isoformat(), "reason": f"{met} of 4 met",
        "requirements": reqs}), repo=repo, wake=dispatcher.wake)


def notes(ats, provider: str) -> list[str]:
    return {"workable": lambda: [c["body"] for c in ats.workable.comments.get("c1", [])],
            "ashby": lambda: [n["content"] for n in ats.ashby.notes.get("c1", [])],
            "smartrecruiters": lambda: ats.smartrecruiters.notes_of("c1"),
            "teamtailor": lambda: ats.teamtailor.notes_of("c1")}[provider]()


def written(repo, tenant: str, value: int):
    record = repo.get(tenant, "a1")
    return record if record and record.get("outcome") == "written" and record.get("desired", {}).get("score") == value \
        else None


@pytest.mark.parametrize("provider", sorted(KEYS))
def test_a_score_then_a_lower_one_after_a_429_land_in_the_ats_with_one_current_note_or_history(
        provider, repo, tenants, ats, dispatcher):
    tenant = connect(provider, repo=repo, tenants=tenants, ats=ats)
    score(tenant, 75, met=3, minute=1, repo=repo, dispatcher=dispatcher)
    wait_for(lambda: written(repo, tenant, 75), timeout_s=20, what=f"the first score in {provider}")
    ats.rate_limit_next(1, retry_after_s=1)
    score(tenant, 25, met=1, minute=2, repo=repo, dispatcher=dispatcher)
    wait_for(lambda: repo.blocked_until(tenant, provider), timeout_s=10, what="the connection told to wait")
    record = wait_for(lambda: written(repo, tenant, 25), timeout_s=20, what=f"the lower score in {provider}")
    shown = notes(ats, provider)
    assert "25/100" in shown[-1] and len(shown) == (1 if provider in ("smartrecruiters", "teamtailor") else 2)
    assert record["attempts"] == 0 and {w["kind"] for w in record["remote"]["where"]} >= {"note"}


@pytest.mark.parametrize("provider", sorted(KEYS))
def test_a_refused_key_is_listed_by_writeback_status_and_never_retried(
        provider, repo, tenants, ats, dispatcher, settings, monkeypatch, capsys):
    tenant = connect(provider, repo=repo, tenants=tenants, ats=ats, key="revoked")
    score(tenant, 75, met=3, minute=1, repo=repo, dispatcher=dispatcher)
    wait_for(lambda: (repo.get(tenant, "a1") or {}).get("outcome") == "failed", timeout_s=20, what="the failure")
    calls = len(ats.writes())
    from services.cli import main
    monkeypatch.setenv("MONGO_URI", settings.mongo_uri)
    monkeypatch.setenv("MONGO_DB", settings.mongo_db)
    assert main(["writeback", "status", tenant]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["counts"] == {provider: {"failed": 1}}
    [failure] = status["not_written"]
    assert "refused the credentials (401)" in failure["last_error"] and "revoked" not in json.dumps(status)
    dispatcher.wake()
    assert repo.get(tenant, "a1")["due_at"] is None and len(ats.writes()) == calls == 1


def test_after_the_key_is_fixed_writeback_replay_retries_only_the_failed_write_backs(
        repo, tenants, ats, dispatcher, settings, monkeypatch, capsys):
    tenant = connect("teamtailor", repo=repo, tenants=tenants, ats=ats, key="revoked")
    score(tenant, 75, met=3, minute=1, repo=repo, dispatcher=dispatcher)
    wait_for(lambda: (repo.get(tenant, "a1") or {}).get("outcome") == "failed", timeout_s=20, what="the failure")
    repo.want(tenant, "a2", provider="teamtailor", desired={"score": 1}, computed_at=T0, now=T0 + timedelta(days=9))
    from services.cli import main
    monkeypatch.setenv("MONGO_URI", settings.mongo_uri)
    monkeypatch.setenv("MONGO_DB", settings.mongo_db)
    assert main(["connection", "writeback", tenant, "teamtailor", "--api-key", "tt-key"]) == 0
    capsys.readouterr()
    assert main(["writeback", "replay", tenant, "--provider", "lever"]) == 0
    assert json.loads(capsys.readouterr().out)["replayed"] == 0
    assert main(["writeback", "replay", tenant]) == 0
    assert json.loads(capsys.readouterr().out)["replayed"] == 1      # a1; a2 is pending, not failed
    wait_for(lambda: written(repo, tenant, 75), timeout_s=20, what="the replayed write-back")
    assert ats.teamtailor.value_of("c1") == 75
