"""Thin providers' enrichment against a real local HTTP server faking each ATS API, its 500s and its slowness."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.ingest.model import Application, received_event
from services.ingest.providers import EnrichError, lever, smartrecruiters, teamtailor
from shared.tenants import Connection
from tests.support.fake_ats import FakeATS, plain_get

FIXTURES = Path(__file__).parents[1] / "fixtures" / "providers"
LEVER_OPP = "9fee6f2e-8f69-4f3f-afbc-4bd1bbfc6c10"


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / name).read_bytes())


@pytest.fixture
def ats():
    with FakeATS() as server:
        yield server


def connection(provider: str, ats: FakeATS, **overrides) -> Connection:
    fields = {"tenant": "t1", "provider": provider, "secrets": ("s",), "options": {"base_url": ats.base_url},
              "api_key": "api-key-1", **overrides}
    return Connection(**fields)


def payload(app) -> dict:
    """What the worker holds: the applications.received payload the webhook published."""
    return received_event(app, trace_id="tr").payload


def lever_app():
    return Application(tenant="t1", provider="lever", delivery_id="d", application_id="9fee6f2e-8f69-4f3f-afbc-4bd1bbfc6c11",
                       job_id=None, candidate_id=LEVER_OPP, name=None, emails=(),
                       enrich={"kind": "lever.opportunity", "ref": LEVER_OPP})


def test_lever_reads_the_opportunity_with_basic_auth_and_returns_job_candidate_and_links(ats):
    ats.serve(f"/v1/opportunities/{LEVER_OPP}?expand=applications", fixture("lever_opportunity.json"))
    out = lever.enrich(payload(lever_app()), connection=connection("lever", ats), get=plain_get)
    assert out["application"] == {"id": "9fee6f2e-8f69-4f3f-afbc-4bd1bbfc6c11", "job_id": "f2f01e16-27f8-4711-a728-7d49499795a0"}
    assert out["candidate"] == {"id": LEVER_OPP, "name": "Shane Smith", "emails": ["shane@example.com"]}
    assert {"provenance": "lever.links[1]", "url": "https://badges.example.org/assertions/7.json", "text": None} in out["links"]
    assert ats.requests[0]["headers"]["Authorization"] == "Basic YXBpLWtleS0xOg=="  # base64("api-key-1:")


def test_a_500_from_the_ats_is_a_retryable_error_and_the_retry_succeeds(ats):
    ats.serve(f"/v1/opportunities/{LEVER_OPP}?expand=applications", fixture("lever_opportunity.json"))
    ats.fail_next(1)
    with pytest.raises(EnrichError) as err:
        lever.enrich(payload(lever_app()), connection=connection("lever", ats), get=plain_get)
    assert err.value.retryable and "500" in err.value.reason
    assert lever.enrich(payload(lever_app()), connection=connection("lever", ats), get=plain_get)["candidate"]["name"]


def test_a_slow_ats_times_out_as_a_retryable_error(ats):
    ats.serve(f"/v1/opportunities/{LEVER_OPP}?expand=applications", fixture("lever_opportunity.json"))
    ats.slow(1.0)

    def impatient_get(url, *, headers=None):
        return plain_get(url, headers=headers, timeout_s=0.2)
    with pytest.raises(EnrichError) as err:
        lever.enrich(payload(lever_app()), connection=connection("lever", ats), get=impatient_get)
    assert err.value.retryable and "Timeout" in err.value.reason


def test_a_404_from_the_ats_is_a_permanent_error(ats):
    with pytest.raises(EnrichError) as err:
        lever.enrich(payload(lever_app()), connection=connection("lever", ats), get=plain_get)
    assert not err.value.retryable and "404" in err.value.reason


def test_a_connection_without_an_api_key_is_a_permanent_error_before_any_request(ats):
    with pytest.raises(EnrichError, match="api_key") as err:
        lever.enrich(payload(lever_app()), connection=connection("lever", ats, api_key=None), get=plain_get)
    assert not err.value.retryable and ats.requests == []


def sr_app(link):
    return Application(tenant="t1", provider="smartrecruiters", delivery_id="123", application_id="jid/cid", job_id="jid",
                       candidate_id="cid", name=None, emails=(),
                       enrich={"kind": "smartrecruiters.application", "ref": {"link": link, "job_id": "jid", "candidate_id": "cid"}})


def test_smartrecruiters_follows_the_link_on_its_own_api_then_reads_the_candidate(ats):
    ats.serve("/jobs/jid/candidates/cid", fixture("smartrecruiters_application.json"))
    ats.serve("/candidates/cid", fixture("smartrecruiters_candidate.json"))
    out = smartrecruiters.enrich(payload(sr_app(f"{ats.base_url}/jobs/jid/candidates/cid")),
                                 connection=connection("smartrecruiters", ats), get=plain_get)
    assert out["candidate"] == {"id": "cid", "name": "Jean Dupont", "emails": ["jean.dupont@example.com"]}
    assert out["application"]["job_id"] == "jid"
    assert "https://badges.example.org/assertions/11.json" in [lk["url"] for lk in out["links"]]
    assert [r["path"] for r in ats.requests] == ["/jobs/jid/candidates/cid", "/candidates/cid"]
    assert {r["headers"]["X-SmartToken"] for r in ats.requests} == {"api-key-1"}


def test_smartrecruiters_never_sends_the_api_key_to_a_link_off_the_configured_api(ats):
    ats.serve("/jobs/jid/candidates/cid", fixture("smartrecruiters_application.json"))
    ats.serve("/candidates/cid", fixture("smartrecruiters_candidate.json"))
    smartrecruiters.enrich(payload(sr_app("https://elsewhere.example/steal")),
                           connection=connection("smartrecruiters", ats), get=plain_get)
    assert [r["path"] for r in ats.requests] == ["/jobs/jid/candidates/cid", "/candidates/cid"]


def test_smartrecruiters_500s_are_retryable(ats):
    ats.fail_next(5)
    with pytest.raises(EnrichError) as err:
        smartrecruiters.enrich(payload(sr_app(None)), connection=connection("smartrecruiters", ats), get=plain_get)
    assert err.value.retryable


def tt_app():
    return Application(tenant="t1", provider="teamtailor", delivery_id="d", application_id="44", job_id="2",
                       candidate_id="pending:44", name=None, emails=(),
                       enrich={"kind": "teamtailor.job_application", "ref": "44"})


def test_teamtailor_reads_the_application_with_its_candidate_using_a_token_and_api_version(ats):
    ats.serve("/v1/job-applications/44?include=candidate,job", fixture("teamtailor_job_application.json"))
    out = teamtailor.enrich(payload(tt_app()), connection=connection("teamtailor", ats), get=plain_get)
    assert out["candidate"] == {"id": "7", "name": "Anna Svensson", "emails": ["anna@example.se"]}
    assert out["application"] == {"id": "44", "job_id": "2"}
    texts = [lk["text"] for lk in out["links"] if lk["text"]]
    assert any("assertions/3.json" in t for t in texts)
    headers = ats.requests[0]["headers"]
    assert headers["Authorization"] == "Token token=api-key-1" and headers["X-Api-Version"] == teamtailor.API_VERSION


def test_teamtailor_timeouts_and_500s_are_retryable_and_a_missing_candidate_is_not(ats):
    ats.fail_next(1)
    with pytest.raises(EnrichError) as err:
        teamtailor.enrich(payload(tt_app()), connection=connection("teamtailor", ats), get=plain_get)
    assert err.value.retryable
    ats.serve("/v1/job-applications/44?include=candidate,job", {"data": {"id": "44"}, "included": []})
    with pytest.raises(EnrichError) as err:
        teamtailor.enrich(payload(tt_app()), connection=connection("teamtailor", ats), get=plain_get)
    assert not err.value.retryable


def test_an_ats_answer_that_is_not_json_is_a_permanent_error(ats):
    ats.routes["/v1/job-applications/44?include=candidate,job"] = (200, b"<html>login</html>")
    with pytest.raises(EnrichError) as err:
        teamtailor.enrich(payload(tt_app()), connection=connection("teamtailor", ats), get=plain_get)
    assert not err.value.retryable


def test_enrichment_works_through_the_ssrf_safe_fetcher_the_worker_binds(ats):
    from shared.fetch import FetchFailed, Fetcher
    from shared.settings import Settings
    ats.serve(f"/v1/opportunities/{LEVER_OPP}?expand=applications", fixture("lever_opportunity.json"))
    fetcher = Fetcher(Settings(fetch_allow_loopback=1))
    try:
        get = fetcher.getter(purpose="ats_api")
        out = lever.enrich(payload(lever_app()), connection=connection("lever", ats), get=get)
        assert out["candidate"]["emails"] == ["shane@example.com"]
        ats.fail_next(1)
        with pytest.raises(FetchFailed):  # the worker's retry policy treats this as retryable
            lever.enrich(payload(lever_app()), connection=connection("lever", ats), get=get)
    finally:
        fetcher.close()


def test_the_safe_fetcher_refuses_a_loopback_ats_base_url_unless_loopback_is_allowed(ats):
    from shared.fetch import FetchRefused, Fetcher
    from shared.settings import Settings
    fetcher = Fetcher(Settings(fetch_allow_loopback=0))
    try:
        with pytest.raises(FetchRefused):
            lever.enrich(payload(lever_app()), connection=connection("lever", ats), get=fetcher.getter(purpose="ats_api"))
    finally:
        fetcher.close()
    assert ats.requests == []


def test_ids_from_a_webhook_go_into_ats_api_paths_percent_encoded_never_as_path_or_query(ats):
    hostile = "x/../../admin?all=1#"
    app = Application(tenant="t1", provider="lever", delivery_id="d", application_id="a-1", job_id=None,
                      candidate_id="c", name=None, emails=(), enrich={"kind": "lever.opportunity", "ref": hostile})
    with pytest.raises(EnrichError):
        lever.enrich(payload(app), connection=connection("lever", ats), get=plain_get)
    tt = Application(tenant="t1", provider="teamtailor", delivery_id="d", application_id="44", job_id=None,
                     candidate_id="pending:44", name=None, emails=(), enrich={"kind": "teamtailor.job_application", "ref": hostile})
    with pytest.raises(EnrichError):
        teamtailor.enrich(payload(tt), connection=connection("teamtailor", ats), get=plain_get)
    assert [r["path"] for r in ats.requests] == ["/v1/opportunities/x%2F..%2F..%2Fadmin%3Fall%3D1%23?expand=applications",
                                                "/v1/job-applications/x%2F..%2F..%2Fadmin%3Fall%3D1%23?include=candidate,job"]


def test_a_lever_webhook_naming_an_application_the_fetched_opportunity_does_not_have_is_refused(ats):
    ats.serve(f"/v1/opportunities/{LEVER_OPP}?expand=applications", fixture("lever_opportunity.json"))
    app = Application(tenant="t1", provider="lever", delivery_id="d", application_id="someone-elses-application",
                      job_id=None, candidate_id=LEVER_OPP, name=None, emails=(),
                      enrich={"kind": "lever.opportunity", "ref": LEVER_OPP})
    with pytest.raises(EnrichError, match="not one of the opportunity's applications") as refused:
        lever.enrich(payload(app), connection=connection("lever", ats), get=plain_get)
    assert not refused.value.retryable
