"""Write-back's Greenhouse client gets its Harvest v3 token from shared/oauth.py's cache: one token per connection
for an hour whichever attempt or client asks, a revoked one replaced once, the cache the process's by default."""
from __future__ import annotations


import pytest

from services.writeback.clients import ConnectionContext
from shared import oauth
from tests.support.fake_ats_write import FakeAtsWrites
from tests.unit.writeback_world import CALLBACK_SECRET, World


@pytest.fixture
def ats():
    with FakeAtsWrites(callback_secret=CALLBACK_SECRET) as fake:
        yield fake


@pytest.fixture
def world(ats):
    world = World(ats)
    world.configure("greenhouse")
    return world


def token_requests(ats) -> int:
    return sum(1 for r in ats.requests if r["path"] == "/token")


def test_every_attempt_of_a_connection_reuses_one_token_until_it_nears_expiry(world, ats):
    for n, application in enumerate(("a1", "a2", "a3")):
        world.application("greenhouse", application_id=application, candidate_id=f"c{n}")
        world.score(75, met=3, application_id=application)
    assert world.run_due() == ["written"] * 3 and token_requests(ats) == 1
    world.later(3600 - oauth.MARGIN_S + 1)
    world.score(50, met=2, application_id="a1")
    assert world.run_due() == ["written"] and token_requests(ats) == 2


def test_a_token_greenhouse_revoked_early_is_replaced_once_and_the_write_goes_on(world, ats):
    world.application("greenhouse")
    world.score(75, met=3)
    world.run_due()
    ats.tokens.clear()   # revoked before its hour is up
    world.score(50, met=2)
    assert world.run_due() == ["written"] and token_requests(ats) == 2
    assert ats.gh_fields["a1"] == {"credbridge_score": 50}


def test_a_client_built_without_a_cache_uses_the_process_wide_one():
    assert ConnectionContext(config=None, http=None).tokens is oauth.TOKENS


def test_a_token_answer_without_an_access_token_fails_the_write_visibly(world, ats, monkeypatch):
    monkeypatch.setattr(ats, "_token", lambda headers, body: (200, {}, {"token_type": "bearer"}))
    world.application("greenhouse")
    world.score(75, met=3)
    assert world.run_due() == ["failed"]
    record = world.repo.get("t1", "a1")
    assert record["due_at"] is None and "access_token" in record["last_error"]
