"""Greenhouse job descriptions over Harvest v3 (v1 was retired on 2026-08-31): a Bearer token from the connection's
OAuth client credentials, then the job's posts from GET /v3/job_posts?job_ids=; against a fake on loopback through
the safe fetcher."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from services.ingest.jobs import apis
from services.ingest.jobs.describer import REFRESH_S, RETRY_S, Job, describe_job, http_over
from services.ingest.providers import EnrichError
from shared.fetch import Fetcher
from shared.oauth import TokenCache
from shared.settings import Settings
from shared.tenants import Connection
from tests.support.fake_ats_jobs import ACTING_USER, CLIENT_ID, CLIENT_SECRET, JOB, KEY, TITLE, FakeJobAPIs

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def ats():
    with FakeJobAPIs() as fake:
        yield fake


@pytest.fixture(scope="module")
def http():
    fetcher = Fetcher(Settings(fetch_allow_loopback=1))
    yield http_over(fetcher)
    fetcher.close()


def connection(ats, *, client=(CLIENT_ID, CLIENT_SECRET), api_key=None) -> Connection:
    client_id, client_secret = client or (None, None)
    return Connection(tenant="t1", provider="greenhouse", secrets=("s",), api_key=api_key, client_id=client_id,
                      client_secret=client_secret, options={"base_url": ats.base_url, "auth_url": f"{ats.base_url}/token",
                                                            "acting_user": ACTING_USER})


class Tenants:
    def __init__(self, ats, **conn):
        self.ats, self.conn = ats, conn

    def connection(self, tenant: str, provider: str) -> Connection:
        return connection(self.ats, **self.conn)


class Fetches:
    def __init__(self) -> None:
        self.docs: dict = {}

    def get(self, job: Job) -> dict | None:
        return None

    def store(self, job: Job, **fields) -> None:
        self.docs[job.key] = fields


def fetch(ats, http, *, tokens=None, job_id=JOB["greenhouse"], **conn):
    return apis.greenhouse(job_id, connection=connection(ats, **conn), http=http, tokens=tokens or TokenCache())


def calls(ats) -> list[tuple[str, str]]:
    return [(method, path) for method, path, _body in ats.calls]


def test_the_advert_is_the_public_posts_content_read_with_a_token_from_the_client_credentials(ats, http):
    posting = fetch(ats, http)
    assert (posting.title, posting.source) == (TITLE, "greenhouse.job_posts")
    assert "You must know Python and SQL." in posting.text and "current staff" not in posting.text
    assert calls(ats) == [("POST", "/token"), ("GET", f"/v3/job_posts?job_ids={JOB['greenhouse']}")]
    assert ats.calls[0][2] == f"grant_type=client_credentials&sub={ACTING_USER}"


def test_one_token_serves_every_job_until_it_nears_expiry(ats, http):
    tokens = TokenCache()
    for _ in range(3):
        fetch(ats, http, tokens=tokens)
    assert calls(ats).count(("POST", "/token")) == 1


def test_a_revoked_token_is_replaced_once_and_the_fetch_goes_on(ats, http):
    tokens = TokenCache()
    fetch(ats, http, tokens=tokens)
    ats.revoke_tokens()
    assert fetch(ats, http, tokens=tokens).title == TITLE
    assert calls(ats).count(("POST", "/token")) == 2


def test_a_401_to_a_new_token_is_the_credentials_and_is_not_retried(ats, http):
    tokens = TokenCache()
    ats.tokens = _Forgetful()   # every token Greenhouse issues is refused
    with pytest.raises(EnrichError) as refused:
        fetch(ats, http, tokens=tokens)
    assert not refused.value.retryable and "401" in refused.value.reason
    assert calls(ats).count(("POST", "/token")) == 2 and len(calls(ats)) == 4   # one refresh, no loop


def test_wrong_client_credentials_are_a_failure_not_worth_retrying(ats, http):
    with pytest.raises(EnrichError) as refused:
        fetch(ats, http, client=(CLIENT_ID, "wrong"))
    assert not refused.value.retryable and "token endpoint" in refused.value.reason
    assert calls(ats) == [("POST", "/token")]


def test_a_token_answer_without_an_access_token_is_not_a_token(ats, http, monkeypatch):
    monkeypatch.setattr(ats, "_greenhouse", lambda method, path, headers, body: (200, {"token_type": "bearer"}))
    with pytest.raises(EnrichError, match="token endpoint.*access_token") as refused:
        fetch(ats, http)
    assert not refused.value.retryable


def test_a_rate_limited_list_is_tried_again_in_minutes(ats, http):
    ats.rate_limit_next(1)
    fetches, job = Fetches(), Job("t1", "greenhouse", JOB["greenhouse"])
    assert describe_job(job, tenants=Tenants(ats), http=http, fetches=fetches, publish=list, now=NOW) == "failed"
    assert fetches.docs[job.key]["retry_at"] == NOW + timedelta(seconds=RETRY_S)


def test_a_connection_with_only_a_v1_api_key_says_v1_is_retired_and_calls_nothing(ats, http):
    with pytest.raises(EnrichError) as retired:
        fetch(ats, http, client=None, api_key=KEY)
    assert not retired.value.retryable
    assert "Harvest v1" in retired.value.reason and "credbridge connection oauth" in retired.value.reason
    assert ats.calls == []


def test_the_describer_remembers_a_v1_only_connection_for_a_day_and_makes_no_request(ats, http):
    fetches, job = Fetches(), Job("t1", "greenhouse", JOB["greenhouse"])
    tenants = Tenants(ats, client=None, api_key=KEY)
    assert describe_job(job, tenants=tenants, http=http, fetches=fetches, publish=list, now=NOW) == "failed"
    stored = fetches.docs[job.key]
    assert stored["retry_at"] == NOW + timedelta(seconds=REFRESH_S) and "v3 client credentials" in stored["reason"]
    assert ats.calls == []


def test_a_connection_without_client_credentials_says_so(ats, http):
    with pytest.raises(EnrichError, match="no Harvest v3 client credentials"):
        fetch(ats, http, client=None)


def test_a_job_id_that_is_not_a_number_is_never_sent(ats, http):
    with pytest.raises(EnrichError, match="is a number"):
        fetch(ats, http, job_id="4011&job_ids=1")
    with pytest.raises(EnrichError, match="is a number"):
        fetch(ats, http, job_id="４０１１")   # full-width digits are digits to str.isdigit, not to Greenhouse
    assert ats.calls == []


def test_a_job_without_posts_or_with_empty_ones_has_no_advert(ats, http):
    with pytest.raises(EnrichError, match="no job post") as none:
        fetch(ats, http, job_id="999")
    assert not none.value.retryable
    ats.job_posts["998"] = [{"id": 1, "title": "Draft", "live": False, "content": "  "}]
    with pytest.raises(EnrichError, match="no job post"):
        fetch(ats, http, job_id="998")


def test_an_unpublished_post_is_the_advert_only_when_there_is_no_live_one(ats, http):
    ats.job_posts["997"] = [{"id": 1, "title": "Old", "live": False, "internal": False, "content": "<p>Old text</p>"},
                            {"id": 2, "title": "Staff", "live": True, "internal": True, "content": "<p>Staff</p>"}]
    assert fetch(ats, http, job_id="997").title == "Staff"
    ats.job_posts["996"] = [{"id": 1, "title": "Old", "live": False, "content": "<p>Old text</p>"}]
    assert fetch(ats, http, job_id="996").title == "Old"


def test_a_wrapped_answer_is_not_mistaken_for_the_list(ats, http):
    ats.job_posts.clear()
    tokens = TokenCache()
    original = ats._greenhouse

    def wrapped(method, path, headers, body):
        status, answer = original(method, path, headers, body)
        return (status, {"job_posts": answer}) if path.startswith("/v3/") else (status, answer)

    ats._greenhouse = wrapped
    with pytest.raises(EnrichError, match="not an array"):
        fetch(ats, http, tokens=tokens)


class _Forgetful(set):
    """A token store that never holds a token."""

    def add(self, _token) -> None:
        pass
