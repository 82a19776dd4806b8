"""Job descriptions from the six ATSs' job APIs (fakes on loopback, through the safe fetcher): fetched once per job,
off the application's path, their HTML read as text, published for matching; failures are remembered, not retried
on every application."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from services.ingest.jobs import apis
from services.ingest.jobs.describer import (REFRESH_S, RETRY_S, Job, JobDescriber, describe_job, http_over)
from services.ingest.jobs.text import html_to_text
from shared.events import Event, new_event
from shared.fetch import Fetcher
from shared.settings import Settings
from shared.tenants import Connection
from tests.support.fake_ats_jobs import ACTING_USER, CLIENT_ID, CLIENT_SECRET, JOB, KEY, TITLE, FakeJobAPIs

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=timezone.utc)


class Tenants:
    """The tenant store as the describer reads it: one connection per provider."""

    def __init__(self, base_url: str, *, api_key: str | None = KEY,
                 client: tuple[str, str] | None = (CLIENT_ID, CLIENT_SECRET)):
        self.base_url, self.api_key, self.client, self.reads = base_url, api_key, client, 0

    def connection(self, tenant: str, provider: str) -> Connection | None:
        self.reads += 1
        if tenant != "t1":
            return None
        if provider == "greenhouse":   # Harvest v3: OAuth client credentials, no API key
            client_id, client_secret = self.client or (None, None)
            return Connection(tenant=tenant, provider=provider, secrets=("s",), api_key=None if self.client else
                              self.api_key, client_id=client_id, client_secret=client_secret, options={
                                  "base_url": self.base_url, "auth_url": f"{self.base_url}/token",
                                  "acting_user": ACTING_USER})
        return Connection(tenant=tenant, provider=provider, secrets=("s",), options={"base_url": self.base_url},
                          api_key=self.api_key)


class Fetches:
    def __init__(self) -> None:
        self.docs: dict[str, dict] = {}

    def get(self, job: Job) -> dict | None:
        return self.docs.get(job.key)

    def store(self, job: Job, *, state: str, retry_at: datetime, digest: str | None = None,
              reason: str | None = None) -> None:
        old = self.docs.get(job.key, {})
        self.docs[job.key] = {**old, "state": state, "retry_at": retry_at, "reason": reason,
                              **({"digest": digest} if digest is not None else {})}


@pytest.fixture(scope="module")
def ats():
    with FakeJobAPIs() as fake:
        yield fake


@pytest.fixture(scope="module")
def http():
    fetcher = Fetcher(Settings(fetch_allow_loopback=1))
    yield http_over(fetcher)
    fetcher.close()


def describe(job: Job, *, ats, http, fetches=None, now=NOW, tenants=None) -> tuple[str, list[Event]]:
    published: list[Event] = []
    outcome = describe_job(job, tenants=tenants or Tenants(ats.base_url), http=http, fetches=fetches or Fetches(),
                           publish=published.extend, now=now)
    return outcome, published


@pytest.mark.parametrize("provider", sorted(apis.APIS))
def test_each_ats_job_api_gives_the_advert_as_text_with_its_markup_and_scripts_gone(provider, ats, http):
    outcome, (event,) = describe(Job("t1", provider, JOB[provider]), ats=ats, http=http)
    assert outcome == "described" and event.type == "job.described"
    text = event.payload["text"]
    assert "You must know Python and SQL." in text and "Kubernetes is required" in text
    assert "data pipelines & APIs" in text and "<" not in text and "Cobol" not in text
    assert (event.payload["title"], event.payload["job_id"], event.payload["provider"]) == (TITLE, JOB[provider],
                                                                                           provider)
    assert event.payload["source"].startswith(provider)


def test_a_job_is_fetched_once_and_its_unchanged_advert_is_not_published_again(ats, http):
    fetches, job = Fetches(), Job("t1", "lever", JOB["lever"])
    before = len(ats.calls)
    assert describe(job, ats=ats, http=http, fetches=fetches)[0] == "described"
    assert describe(job, ats=ats, http=http, fetches=fetches, now=NOW + timedelta(hours=1)) == ("cached", [])
    assert len(ats.calls) - before == 1
    # A day later it is fetched again (an advert edited in the ATS shows), and the same text is not re-announced.
    assert describe(job, ats=ats, http=http, fetches=fetches, now=NOW + timedelta(seconds=REFRESH_S + 1)) == (
        "described", [])


def test_a_failing_job_api_is_tried_again_after_a_while_not_on_every_application(ats, http):
    fetches, job = Fetches(), Job("t1", "teamtailor", JOB["teamtailor"])
    ats.fail_next(1)
    assert describe(job, ats=ats, http=http, fetches=fetches)[0] == "failed"
    assert fetches.get(job)["retry_at"] == NOW + timedelta(seconds=RETRY_S)
    assert describe(job, ats=ats, http=http, fetches=fetches, now=NOW + timedelta(seconds=10))[0] == "cached"
    assert describe(job, ats=ats, http=http, fetches=fetches, now=NOW + timedelta(seconds=RETRY_S))[0] == "described"


def test_a_job_the_ats_does_not_know_or_a_wrong_key_is_remembered_as_unavailable_for_a_day(ats, http):
    fetches = Fetches()
    gone = Job("t1", "lever", "no-such-job")
    assert describe(gone, ats=ats, http=http, fetches=fetches)[0] == "failed"
    assert fetches.get(gone)["retry_at"] == NOW + timedelta(seconds=REFRESH_S)
    assert "404" in fetches.get(gone)["reason"]
    wrong = Job("t1", "workable", JOB["workable"])
    assert describe(wrong, ats=ats, http=http, fetches=fetches, tenants=Tenants(ats.base_url, api_key="nope"))[0] == (
        "failed")
    assert "401" in fetches.get(wrong)["reason"]


def test_a_connection_without_an_api_key_makes_no_request_and_says_why(ats, http):
    fetches, before = Fetches(), len(ats.calls)
    job = Job("t1", "ashby", JOB["ashby"])
    assert describe(job, ats=ats, http=http, fetches=fetches, tenants=Tenants(ats.base_url, api_key=None))[0] == (
        "unavailable")
    assert len(ats.calls) == before and "no API key" in fetches.get(job)["reason"]


def test_the_job_api_is_called_only_through_the_safe_fetcher_so_a_private_base_url_is_refused(ats):
    # Production rules (no loopback): a base URL pointing inside the network is never fetched.
    fetcher = Fetcher(Settings())
    try:
        fetches, before = Fetches(), len(ats.calls)
        job = Job("t1", "smartrecruiters", JOB["smartrecruiters"])
        assert describe(job, ats=ats, http=http_over(fetcher), fetches=fetches)[0] == "failed"
    finally:
        fetcher.close()
    assert len(ats.calls) == before and fetches.get(job)["retry_at"] == NOW + timedelta(seconds=REFRESH_S)


def test_an_ashby_job_without_a_posting_or_an_ashby_error_is_not_a_description(ats, http):
    ats.jobs[("POST", "/job.info")] = ("basic", {"success": True, "results": {"id": "j", "jobPostingIds": []}})
    try:
        fetches = Fetches()
        job = Job("t1", "ashby", JOB["ashby"])
        assert describe(job, ats=ats, http=http, fetches=fetches)[0] == "failed"
        assert "no job posting" in fetches.get(job)["reason"]
    finally:
        ats.jobs[("POST", "/job.info")] = ("basic", {"success": True, "results": {
            "id": JOB["ashby"], "jobPostingIds": ["missing"]}})
    fetches = Fetches()
    assert describe(job, ats=ats, http=http, fetches=fetches)[0] == "failed"
    assert "success=false" in fetches.get(job)["reason"]


def test_the_generic_format_has_no_job_api(ats, http):
    assert describe(Job("t1", "generic", "job-1"), ats=ats, http=http) == ("unsupported", [])


def ready(job_id: str | None, *, provider: str = "lever", tenant: str = "t1") -> Event:
    return new_event("application.ready", tenant=tenant, payload={
        "provider": provider, "delivery_id": "d1", "application": {"id": "a1", "job_id": job_id or "x"},
        "candidate": {"id": "c1", "emails": []}, "credential_ids": []})


def test_the_worker_notes_each_job_once_after_its_applications_are_published_and_describes_it_on_its_own_thread():
    described: list[Job] = []
    clock = [0.0]
    describer = JobDescriber(describe=lambda job: described.append(job) or "described", clock=lambda: clock[0])
    sent: list[Event] = []
    publish = describer.noting(sent.extend)
    publish([ready("post-7"), ready("post-7")])
    publish([ready("post-8", provider="generic")])
    clock[0] += 60
    publish([ready("post-7")])
    describer.start()
    try:
        describer.drain()
    finally:
        describer.stop()
    assert len(sent) == 4 and described == [Job("t1", "lever", "post-7")]


def test_noting_never_blocks_a_full_queue_drops_the_note_for_the_next_application():
    describer = JobDescriber(describe=lambda job: "described", max_queued=1)
    describer.note("t1", "lever", "j1")
    describer.note("t1", "lever", "j2")  # dropped, not waited for
    describer.note("t1", "lever", "j2")
    assert describer._queue.qsize() == 1 and Job("t1", "lever", "j2") not in describer._noted


def test_html_is_read_as_a_reader_sees_it_and_escaped_markup_stays_text():
    assert html_to_text("<p>A &lt;b&gt;bold&lt;/b&gt; claim</p><style>p{}</style><br/>Next") == (
        "A <b>bold</b> claim\nNext")
    assert html_to_text("plain  text\twith   spaces") == "plain text with spaces"
    assert len(html_to_text("<p>" + "x " * 400_000 + "</p>")) <= 50_000


def test_a_job_whose_description_failed_for_the_database_is_noted_again_by_its_next_application():
    from pymongo.errors import ServerSelectionTimeoutError
    tries: list[Job] = []

    def describe(job: Job) -> str:
        tries.append(job)
        if len(tries) == 1:
            raise ServerSelectionTimeoutError("the database is away")
        return "described"

    describer = JobDescriber(describe=describe)
    describer.start()
    try:
        describer.note("t1", "lever", "j1")
        describer.drain()
        describer.note("t1", "lever", "j1")  # not "seen lately": the failed attempt was forgotten
        describer.drain()
    finally:
        describer.stop()
    assert tries == [Job("t1", "lever", "j1")] * 2
