"""The pure parts of write-back: reading rate-limit headers, sorting failures, and what the ATS is shown."""
from __future__ import annotations

import pytest

from services.writeback import policy
from services.writeback.config import ConfigError, WritebackConfig, check, merged
from services.writeback.content import Score, render

NOW = 1_800_000_000.0


def test_retry_after_in_seconds_and_as_an_http_date_both_name_a_time():
    assert policy.retry_after({"Retry-After": "30"}, now=NOW) == NOW + 30
    # RFC 9110 §10.2.3: an HTTP-date is an absolute time.
    assert policy.retry_after({"Retry-After": "Fri, 15 Jan 2027 08:00:00 GMT"}, now=NOW - 60) == NOW
    assert policy.retry_after({"Retry-After": "soon"}, now=NOW) is None


def test_a_reset_header_is_read_as_seconds_when_small_and_as_a_unix_time_when_large():
    assert policy.limits({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "8"}, now=NOW).reset_at == NOW + 8
    assert policy.limits({"X-Rate-Limit-Remaining": "3", "X-Rate-Limit-Reset": "1800000100"}, now=NOW) == \
        policy.Limits(remaining=3, reset_at=1_800_000_100.0)


def test_a_connection_is_held_back_only_once_it_has_no_requests_left():
    assert policy.blocked_until({"X-RateLimit-Remaining": "1", "X-RateLimit-Reset": "5"}, now=NOW) is None
    assert policy.blocked_until({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "5"}, now=NOW) == NOW + 5
    assert policy.blocked_until({}, now=NOW) is None


@pytest.mark.parametrize(("status", "kind", "reason"), [
    (429, policy.RateLimited, "rate_limited"), (503, policy.Transient, "server_error"),
    (408, policy.Transient, "server_error"), (401, policy.Permanent, "unauthorized"),
    (404, policy.Permanent, "not_found"), (422, policy.Permanent, "rejected")])
def test_each_failing_status_is_sorted_into_wait_retry_or_give_up(status, kind, reason):
    error = policy.classify(status, {"Retry-After": "7"}, now=NOW, what="x")
    assert isinstance(error, kind) and error.reason == reason
    if kind is policy.RateLimited:
        assert error.until == NOW + 7


def test_backoff_doubles_and_stops_at_an_hour():
    assert [policy.backoff_s(n, base_s=2) for n in (1, 2, 3)] == [2, 4, 8]
    assert policy.backoff_s(40, base_s=2) == policy.MAX_BACKOFF_S


def _score(**overrides) -> Score:
    base = dict(application_id="a1", role_id="r", status="scored", score=75, score_version="v", computed_at="t1",
                reason="3 of 4 met")
    return Score.from_payload({**base, "requirements": [
        {"id": "py", "competency": "Python <script>", "status": "met", "reason": "ok"},
        {"id": "k8s", "competency": "Kubernetes", "status": "missing", "reason": "none"}], **overrides})


def test_the_tag_counts_requirements_met_by_verified_credentials():
    assert render(_score(), want_score=True, want_note=True, want_tags=True).tags == ("credbridge: verified 1/2",)
    unscored = render(_score(status="unscored", score=None), want_score=True, want_note=True, want_tags=True)
    assert unscored.tags == () and unscored.score is None


def test_the_same_outcome_computed_again_has_the_same_fingerprint_and_a_new_number_does_not():
    first = render(_score(), want_score=True, want_note=True, want_tags=True)
    again = render(_score(computed_at="t2"), want_score=True, want_note=True, want_tags=True)
    lower = render(_score(score=50), want_score=True, want_note=True, want_tags=True)
    assert first.fingerprint == again.fingerprint != lower.fingerprint


def test_the_html_note_escapes_what_issuers_and_roles_wrote():
    html = render(_score(), want_score=False, want_note=True, want_tags=False).note_html()
    assert "<script>" not in html and "Python &lt;script&gt;" in html and html.startswith("<p><b>")


def test_a_configuration_that_cannot_work_is_refused_with_what_is_missing():
    with pytest.raises(ConfigError, match="client_id, client_secret, acting_user"):
        check(WritebackConfig(tenant="t", provider="greenhouse", enabled=True))
    with pytest.raises(ConfigError, match="no score field"):
        check(WritebackConfig(tenant="t", provider="lever", enabled=True, secrets={"api_key": "k"}))
    with pytest.raises(ConfigError, match="workable write-back needs api_key, base_url, acting_user"):
        check(WritebackConfig(tenant="t", provider="workable", enabled=True, tags=False))
    with pytest.raises(ConfigError, match="no tags in this version"):
        check(WritebackConfig(tenant="t", provider="workable", enabled=True))
    with pytest.raises(ConfigError, match="needs --score-field"):
        check(WritebackConfig(tenant="t", provider="ashby", enabled=True, tags=False, secrets={"api_key": "k"}))
    with pytest.raises(ConfigError, match="needs acting_user"):
        check(WritebackConfig(tenant="t", provider="teamtailor", enabled=True, tags=False, score_field="42",
                              secrets={"api_key": "k"}))
    with pytest.raises(ConfigError, match="no score field"):
        check(WritebackConfig(tenant="t", provider="smartrecruiters", enabled=True, secrets={"api_key": "k"}))
    with pytest.raises(ConfigError, match="only for a greenhouse connection"):
        check(WritebackConfig(tenant="t", provider="lever", assessment=True, score=False))
    assert check(WritebackConfig(tenant="t", provider="greenhouse", enabled=True, assessment=True,
                                 secrets={"api_key": "partner"})).assessment      # no Harvest credentials needed
    with pytest.raises(ConfigError, match="absolute"):
        check(WritebackConfig(tenant="t", provider="generic", callback_url="ftp://x"))


def test_changing_one_option_keeps_the_others_and_the_stored_secrets():
    current = WritebackConfig(tenant="t", provider="lever", score=False, secrets={"api_key": "lever-secret-key"}, acting_user="u")
    changed = merged(current, enabled=True, tags=False, secrets={"api_key": None})
    assert (changed.enabled, changed.tags, changed.acting_user, changed.secrets) == (True, False, "u", {"api_key": "lever-secret-key"})
    assert "lever-secret-key" not in str(changed.public()) and changed.public()["secrets_stored"] == ["api_key"]
