"""Workable, Ashby, SmartRecruiters and Teamtailor write-back through the real clients to their fakes on loopback."""
from __future__ import annotations

import pytest

from tests.support.fake_ats_write import FakeAtsWrites
from tests.unit.writeback_world import CALLBACK_SECRET, World

PROVIDERS = ("workable", "ashby", "smartrecruiters", "teamtailor")


@pytest.fixture
def ats():
    with FakeAtsWrites(callback_secret=CALLBACK_SECRET) as fake:
        yield fake


@pytest.fixture
def world(ats):
    return World(ats)


def application(world, provider: str, **options) -> None:
    world.configure(provider, **options)
    world.application(provider, application_id="a1", candidate_id="c1")


def shown(ats, provider: str) -> dict:
    """What a recruiter sees on candidate c1 / application a1, per ATS."""
    if provider == "workable":
        return {"notes": [c["body"] for c in ats.workable.comments.get("c1", [])],
                "score": [r["score"] for r in ats.workable.ratings.get("c1", [])]}
    if provider == "ashby":
        return {"notes": [n["content"] for n in ats.ashby.notes.get("c1", [])],
                "score": list(ats.ashby.fields.get("a1", {}).values())}
    if provider == "smartrecruiters":
        return {"notes": ats.smartrecruiters.notes_of("c1"), "tags": sorted(ats.smartrecruiters.tags.get("c1", ()))}
    return {"notes": ats.teamtailor.notes_of("c1"), "score": [ats.teamtailor.value_of("c1")]}


# --- what appears where ----------------------------------------------------------------------------
def test_workable_shows_the_explanation_as_a_comment_by_the_member_and_the_score_as_their_rating(world, ats):
    application(world, "workable")
    world.score(75, met=3)
    assert world.run_due() == ["written"]
    [comment] = ats.workable.comments["c1"]
    assert comment["member_id"] == "member-13" and comment["body"].startswith("credbridge verified-credential score: 75/100")
    assert ats.workable.ratings["c1"] == [{"member_id": "member-13", "score": "definitely",
                                           "comment": "credbridge verified-credential score: 75/100"}]


def test_ashby_shows_the_score_in_its_number_field_and_an_html_note_without_notifying_anyone(world, ats):
    application(world, "ashby")
    world.score(75, met=3)
    assert world.run_due() == ["written"]
    assert ats.ashby.fields["a1"] == {"cf-score-0001": 75}
    [note] = ats.ashby.notes["c1"]
    assert note["content"].startswith("<p><b>credbridge verified-credential score: 75/100") and "<li>" in note["content"]
    assert note["sendNotifications"] is False


def test_ashby_refusing_a_write_with_http_200_and_success_false_is_a_failure_not_a_success(world, ats):
    application(world, "ashby", score_field="cf-not-a-field")
    world.score(75, met=3)
    assert world.run_due() == ["failed"]
    record = world.repo.get("t1", "a1")
    assert "invalid_field_id" in record["last_error"] and record["due_at"] is None and ats.ashby.fields == {}


def test_smartrecruiters_keeps_the_recruiters_own_tags_and_shares_one_note_on_the_candidate(world, ats):
    ats.smartrecruiters.tags["c1"] = {"python-pool"}
    application(world, "smartrecruiters")
    world.score(75, met=3)
    assert world.run_due() == ["written"]
    assert shown(ats, "smartrecruiters")["tags"] == ["credbridge: verified 3/4", "python-pool"]
    [note] = ats.smartrecruiters.notes_of("c1")
    assert note.startswith("credbridge verified-credential score: 75/100") and note.endswith("#[CANDIDATE:c1]")


def test_teamtailor_shows_the_score_in_the_custom_field_and_a_note_by_the_acting_user(world, ats):
    application(world, "teamtailor")
    world.score(75, met=3)
    assert world.run_due() == ["written"]
    [value] = ats.teamtailor.values.values()
    assert value == {"field": "77", "owner": "c1", "value": 75}
    [note] = ats.teamtailor.notes.values()
    assert note["user"] == "user-5" and note["note"].startswith("credbridge verified-credential score: 75/100")
    assert {r["headers"].get("X-Api-Version") for r in ats.writes()} == {"20240404"}


# --- the same behaviour everywhere -----------------------------------------------------------------
@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_re_score_updates_what_the_ats_shows_in_place_and_the_same_score_again_writes_nothing(world, ats, provider):
    application(world, provider)
    world.score(75, met=3)
    world.run_due()
    world.score(40, met=1)          # a credential was revoked
    assert world.run_due() == ["written"]
    after = shown(ats, provider)
    assert "40/100" in after["notes"][-1]
    if provider in ("smartrecruiters", "teamtailor"):
        assert len(after["notes"]) == 1                       # the note credbridge owns was replaced
    else:
        assert len(after["notes"]) == 2                       # notes there are history: one per change of score
    if provider == "smartrecruiters":
        assert after["tags"] == ["credbridge: verified 1/4"]
    elif provider == "workable":
        assert after["score"] == ["definitely", "negative"]
    else:
        assert after["score"] == [40]                         # the same field, updated
    writes = len(ats.writes())
    world.score(40, met=1)
    assert world.run_due() == ["unchanged"] and len(ats.writes()) == writes


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_429_makes_the_connection_wait_for_retry_after_and_then_the_write_goes_through(world, ats, provider):
    application(world, provider)
    world.score(75, met=3)
    ats.rate_limit_next(1, retry_after_s=20)
    assert world.run_due() == ["rate_limited"]
    assert world.repo.get("t1", "a1")["attempts"] == 0
    world.later(5)
    assert world.run_due() == []
    world.later(15)
    assert world.run_due() == ["written"]
    assert "75/100" in shown(ats, provider)["notes"][0]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_refused_key_fails_visibly_at_once_and_is_not_retried(world, ats, provider):
    application(world, provider, secrets={"api_key": "a key the ATS does not know"})
    world.score(75, met=3)
    assert world.run_due() == ["failed"]
    record = world.repo.get("t1", "a1")
    assert record["due_at"] is None and "refused the credentials (401)" in record["last_error"]
    world.later(3600)
    assert world.run_due() == [] and len(ats.writes()) == 1      # the refused call, and nothing after it


@pytest.mark.parametrize("provider", ["smartrecruiters", "teamtailor"])
def test_an_attempt_cut_short_after_the_new_note_resumes_without_leaving_two(world, ats, provider):
    application(world, provider)
    world.score(75, met=3)
    world.run_due()
    world.score(50, met=2)
    old_note = world.repo.get("t1", "a1")["remote"]["note_id"]
    # The step after the new note fails: deleting the old one (Teamtailor), putting the tags back (SmartRecruiters).
    ats.fail_once_on(f"/v1/notes/{old_note}" if provider == "teamtailor" else "/tags")
    assert world.run_due() == ["retrying"]
    world.later(2)
    assert world.run_due() == ["written"]
    [note] = shown(ats, provider)["notes"]
    assert "50/100" in note


def test_a_teamtailor_value_deleted_by_hand_is_created_again_rather_than_failing(world, ats):
    application(world, "teamtailor")
    world.score(75, met=3)
    world.run_due()
    ats.teamtailor.values.clear()
    world.score(50, met=2)
    assert world.run_due() == ["written"]
    assert ats.teamtailor.value_of("c1") == 50


@pytest.mark.parametrize("provider", ["ashby", "smartrecruiters", "teamtailor"])
def test_an_application_whose_candidate_the_ats_never_named_fails_visibly_instead_of_guessing(world, ats, provider):
    world.configure(provider)
    world.application(provider, application_id="a1", candidate_id="pending:a1")   # ingest's placeholder
    world.score(75, met=3)
    assert world.run_due() == ["failed"] and ats.writes() == []
    assert "candidate" in world.repo.get("t1", "a1")["last_error"]


def test_an_answer_without_the_id_a_later_step_needs_is_a_refusal_not_a_success():
    from services.writeback.clients.steps import required_id
    from services.writeback.policy import Permanent
    assert required_id(7, "x") == "7" and required_id("n-1", "x") == "n-1"
    for missing in (None, "", True, {"id": 1}):
        with pytest.raises(Permanent, match="without an id"):
            required_id(missing, "x")


def test_a_workable_answer_saying_the_interval_is_spent_holds_the_connection_until_its_reset(world, ats):
    application(world, "workable")
    world.configure("workable", tenant="t2")
    world.application("workable", tenant="t2", application_id="b1", candidate_id="c2")
    reset = int(world.now.timestamp()) + 10
    ats.workable.spent_until = reset            # X-Rate-Limit-Remaining: 0, X-Rate-Limit-Reset: <unix time>
    world.score(75, met=3)
    assert world.run_due() == ["written"]
    assert world.repo.blocked_until("t1", "workable").timestamp() == reset
    ats.workable.spent_until = None
    world.score(60, met=2)
    world.score(50, met=2, tenant="t2", application_id="b1")
    assert world.run_due() == ["written"]               # only t2: t1 waits for its reset rather than spend a 429
    assert [r["score"] for r in ats.workable.ratings["c2"]] == ["positive"]
    world.later(10)
    assert world.run_due() == ["written"]
    assert [r["score"] for r in ats.workable.ratings["c1"]] == ["definitely", "positive"]
