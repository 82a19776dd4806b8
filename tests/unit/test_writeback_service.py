"""Write-back through the real clients to a fake ATS on loopback: idempotent, rate-limit aware, retried, visible."""
from __future__ import annotations

import pytest

from tests.support.fake_ats_write import FakeAtsWrites
from tests.unit.writeback_world import CALLBACK_SECRET, World


@pytest.fixture
def ats():
    with FakeAtsWrites(callback_secret=CALLBACK_SECRET) as fake:
        yield fake


@pytest.fixture
def world(ats):
    return World(ats)


def greenhouse_app(world):
    world.configure("greenhouse")
    world.application("greenhouse", candidate_id="c1")


def lever_app(world):
    world.configure("lever")
    world.application("lever", candidate_id="contact-1", enrich={"kind": "lever.opportunity", "ref": "opp-1"})


# --- Greenhouse ------------------------------------------------------------------------------------
def test_a_greenhouse_score_lands_in_the_custom_field_a_note_and_the_verified_tag(world, ats):
    greenhouse_app(world)
    world.score(75, met=3)
    assert world.run_due() == ["written"]
    assert ats.gh_fields["a1"] == {"credbridge_score": 75}
    [note] = ats.gh_notes["c1"]
    assert note["body"].startswith("credbridge verified-credential score: 75/100") and note["user_id"] == "4080"
    assert ats.greenhouse_tags("c1") == {"credbridge: verified 3/4"}


def test_the_same_score_again_writes_nothing_to_greenhouse(world, ats):
    greenhouse_app(world)
    world.score(75, met=3)
    world.run_due()
    writes = len(ats.writes())
    world.score(75, met=3)          # a re-score with the same outcome (a later computed_at)
    assert world.run_due() == ["unchanged"]
    assert len(ats.writes()) == writes


def test_a_lower_score_after_a_revocation_updates_the_same_field_and_swaps_the_tag(world, ats):
    greenhouse_app(world)
    world.score(75, met=3)
    world.run_due()
    world.score(50, met=2)
    assert world.run_due() == ["written"]
    assert ats.gh_fields["a1"] == {"credbridge_score": 50}
    assert ats.greenhouse_tags("c1") == {"credbridge: verified 2/4"}
    assert [n["body"].split(" — ")[0] for n in ats.gh_notes["c1"]] == [
        "credbridge verified-credential score: 75/100", "credbridge verified-credential score: 50/100"]


def test_an_older_score_arriving_late_never_overwrites_a_newer_one(world, ats):
    greenhouse_app(world)
    world.score(75, met=3)
    world.score(50, met=2)
    late = world.repo.get("t1", "a1")["desired"]
    world._computed = 0             # the next score carries an older computed_at than the stored one
    world.score(99, met=4)
    assert world.repo.get("t1", "a1")["desired"] == late
    world.run_due()
    assert ats.gh_fields["a1"] == {"credbridge_score": 50}


def test_wrong_greenhouse_credentials_fail_visibly_and_are_not_retried(world, ats):
    world.configure("greenhouse", secrets={"client_id": "gh-client", "client_secret": "wrong"})
    world.application("greenhouse")
    world.score(75, met=3)
    assert world.run_due() == ["failed"]
    record = world.repo.get("t1", "a1")
    assert record["due_at"] is None and "refused the credentials" in record["last_error"]


# --- Lever -----------------------------------------------------------------------------------------
def test_a_lever_score_is_a_note_and_a_tag_on_the_opportunity_as_the_acting_user(world, ats):
    lever_app(world)
    world.score(75, met=3)
    assert world.run_due() == ["written"]
    [note] = ats.lever_notes["opp-1"].values()
    assert note["value"].startswith("credbridge verified-credential score: 75/100") and note["user"] == ["user-7"]
    assert ats.lever_tags["opp-1"] == {"credbridge: verified 3/4"}


def test_a_changed_lever_score_replaces_its_note_and_tag_without_leaving_duplicates(world, ats):
    lever_app(world)
    world.score(75, met=3)
    world.run_due()
    world.score(50, met=2)
    world.run_due()
    [note] = ats.lever_notes["opp-1"].values()
    assert "50/100" in note["value"]
    assert ats.lever_tags["opp-1"] == {"credbridge: verified 2/4"}


def test_a_lever_attempt_cut_short_after_adding_the_note_resumes_without_a_second_note(world, ats):
    lever_app(world)
    world.score(75, met=3)
    ats.fail_once_on("/addTags")   # the note is created, then the tag call fails
    assert world.run_due() == ["retrying"]
    world.later(2)
    assert world.run_due() == ["written"]
    assert len(ats.lever_notes["opp-1"]) == 1 and ats.lever_tags["opp-1"] == {"credbridge: verified 3/4"}


# --- generic ---------------------------------------------------------------------------------------
def test_the_generic_callback_is_signed_like_the_generic_webhook_and_carries_the_explanation(world, ats):
    world.configure("generic")
    world.application("generic")
    world.score(75, met=3)
    assert world.run_due() == ["written"]
    [callback] = ats.callbacks
    assert callback["score"] == 75 and callback["application_id"] == "a1" and len(callback["requirements"]) == 4
    assert callback["tags"] == ["credbridge: verified 3/4"]


def test_a_generic_callback_signed_with_another_secret_is_refused_and_reported(world, ats):
    ats.callback_secret = "the receiver's other secret"
    world.configure("generic")
    world.application("generic")
    world.score(75, met=3)
    assert world.run_due() == ["failed"]
    assert ats.callbacks == []


# --- retries and rate limits -----------------------------------------------------------------------
def test_a_429_waits_for_retry_after_without_counting_an_attempt_and_then_writes(world, ats):
    greenhouse_app(world)
    world.score(75, met=3)
    ats.rate_limit_next(1, retry_after_s=30)
    assert world.run_due() == ["rate_limited"]
    record = world.repo.get("t1", "a1")
    assert record["attempts"] == 0 and (record["due_at"] - world.now).total_seconds() == 30
    world.later(10)
    assert world.run_due() == []                     # not before Retry-After
    world.later(20)
    assert world.run_due() == ["written"]


def test_a_rate_limited_connection_holds_back_only_its_own_tenant(world, ats):
    greenhouse_app(world)
    world.configure("greenhouse", tenant="t2")
    world.application("greenhouse", tenant="t2", application_id="b1", candidate_id="c2")
    world.score(75, met=3)
    ats.rate_limit_next(1, retry_after_s=60)
    assert world.run_due() == ["rate_limited"]
    world.score(60, met=2, tenant="t2", application_id="b1")
    world.later(1)
    assert world.run_due() == ["written"]            # t2's write went out while t1 waits
    assert ats.gh_fields == {"b1": {"credbridge_score": 60}}


def test_server_errors_are_retried_with_doubling_delays_then_reported_failed(world, ats):
    greenhouse_app(world)
    world.score(75, met=3)
    ats.fail_next(100)
    delays = []
    for _ in range(3):
        world.run_due()
        record = world.repo.get("t1", "a1")
        if record["due_at"] is None:
            break
        delays.append((record["due_at"] - world.now).total_seconds())
        world.now = record["due_at"]
    assert delays == [2.0, 4.0]
    assert world.outcomes == ["retrying", "retrying", "failed"]
    assert "answered 500" in world.repo.get("t1", "a1")["last_error"]


def test_a_score_whose_application_was_never_seen_waits_for_it_then_writes(world, ats):
    world.configure("greenhouse")
    world.score(75, met=3)
    assert world.run_due() == ["awaiting_origin"]
    world.application("greenhouse", candidate_id="c1")
    assert world.run_due() == ["written"]


def test_a_connection_that_did_not_opt_in_gets_nothing_written(world, ats):
    world.application("greenhouse")
    world.score(75, met=3)
    assert world.run_due() == [] and ats.writes() == []
