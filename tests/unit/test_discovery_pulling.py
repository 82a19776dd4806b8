"""Pulling credentials from a real local credential host: each reference kind, retries, refusals, the time budget."""
from __future__ import annotations

import json
from functools import partial

import pytest

from services.ingest.discovery import PULL_TYPES
from services.ingest.handlers import handle_application_received
from services.ingest.model import Application, CredentialRef, Link, received_event
from services.ingest.pulling import Budget, Puller, Retrier
from shared.events import APPLICATIONS_READY, CREDENTIALS_SUBMITTED, CREDENTIALS_UNAVAILABLE
from shared.fetch import Fetcher
from shared.settings import Settings
from tests.support.credential_host import CredentialHost, baked_png, baked_svg
from tests.support.issuer import Issuer

CREDLY_ID = "0f8c9a4e-2b1d-4c3e-9f7a-1234567890ab"
TOKEN = Issuer.generate().vc_jwt(subject_email="ada@example.org")
OB2 = {"@context": "https://w3id.org/openbadges/v2", "type": "Assertion", "id": "urn:uuid:1"}


@pytest.fixture
def host():
    with CredentialHost() as h:
        yield h


def puller(host: CredentialHost, *, budget_s: float = 10, attempts: int = 3, slept: list | None = None, **overrides) -> Puller:
    settings = Settings(fetch_allow_loopback=1, fetch_read_timeout_s=1, fetch_deadline_s=2, ingest_pull_attempts=attempts,
                        ingest_pull_backoff_s=0.01, ingest_pull_budget_s=budget_s, credly_api_base=host.url("/v1"), **overrides)
    sleep = (slept.append if slept is not None else (lambda _s: None))
    return Puller(fetch=partial(Fetcher(settings).get, purpose="credential", accept=PULL_TYPES), settings=settings,
                  retrier=Retrier(settings, Budget(settings.ingest_pull_budget_s), sleep=sleep))


def test_each_reference_kind_is_pulled_into_a_credential_with_where_it_was_found(host):
    links = [
        {"provenance": "candidate.links[0]", "url": host.add("/ob3.json", json.dumps({"type": ["VerifiableCredential"]}), content_type="application/ld+json")},
        {"provenance": "candidate.links[1]", "url": host.add("/vc.jwt", TOKEN, content_type="application/vc+jwt")},
        {"provenance": "candidate.links[2]", "url": host.add("/badge.png", baked_png(json.dumps(OB2)), content_type="image/png")},
        {"provenance": "candidate.links[3]", "url": host.add("/badge.svg", baked_svg(TOKEN, version=3), content_type="image/svg+xml")},
        {"provenance": "candidate.links[4]", "url": f"https://www.credly.com/badges/{CREDLY_ID}"},
        {"provenance": "custom_fields[0]", "text": f"my certificate: {TOKEN}"},
        {"provenance": "candidate.links[5]", "url": "https://www.linkedin.com/in/ada"},
    ]
    host.add(f"/v1/obi/v2/badge_assertions/{CREDLY_ID}", json.dumps({**OB2, "id": "urn:uuid:credly"}))
    out = puller(host).pull(credentials=[], links=links)
    got = {c.provenance: (c.document, c.jwt) for c in out.credentials}
    assert got == {
        "candidate.links[0] -> hosted JSON": ({"type": ["VerifiableCredential"]}, None),
        "candidate.links[1] -> hosted VC-JWT": (None, TOKEN),
        "candidate.links[2] -> baked PNG": (OB2, None),
        "candidate.links[4] -> Credly badge -> hosted JSON": ({**OB2, "id": "urn:uuid:credly"}, None),
    }  # the SVG and the text hold the same VC-JWT as links[1]: one credential, first provenance kept
    assert out.unavailable == []
    assert "/in/ada" not in str(host.hits)


def test_a_credential_url_in_the_webhook_is_replaced_by_what_it_holds(host):
    url = host.add("/b.png", baked_png(TOKEN, keyword="openbadgecredential"), content_type="image/png")
    out = puller(host).pull(credentials=[{"provenance": "webhook.credentials[0]", "url": url}], links=[])
    assert out.credentials == [CredentialRef(provenance="webhook.credentials[0] -> baked PNG", jwt=TOKEN)]


def test_a_baked_image_holding_a_hosted_assertion_url_is_followed_to_it(host):
    target = host.add("/assertions/1", json.dumps(OB2))
    url = host.add("/b.svg", baked_svg("", verify=target), content_type="image/svg+xml")
    [cred] = puller(host).pull(credentials=[{"provenance": "webhook.credentials[0]", "url": url}], links=[]).credentials
    assert (cred.provenance, cred.document) == ("webhook.credentials[0] -> baked SVG -> hosted JSON", OB2)


def test_a_transient_failure_is_retried_with_doubling_backoff_and_then_succeeds(host):
    url = host.add("/flaky.json", json.dumps(OB2), fail_first=2)
    slept = []
    out = puller(host, slept=slept).pull(credentials=[{"provenance": "p", "url": url}], links=[])
    assert [c.document for c in out.credentials] == [OB2]
    assert slept == [0.01, 0.02] and host.hits["/flaky.json"] == 3


def test_after_the_last_retry_the_credential_is_reported_unavailable_with_the_reason(host):
    url = host.add("/down.json", status=500, content_type="text/plain")
    out = puller(host, attempts=2).pull(credentials=[{"provenance": "webhook.credentials[0]", "url": url}], links=[])
    assert out.credentials == []
    [gone] = out.unavailable
    assert gone.provenance == "webhook.credentials[0]"
    assert gone.reason.startswith("could not be retrieved after retrying") and "500" in gone.reason
    assert host.hits["/down.json"] == 2


def test_a_refused_fetch_is_not_retried_and_says_it_was_refused(host):
    target = host.add("/x.json", "{}")
    url = host.redirect("/r.json", target.replace("127.0.0.1", "0.0.0.0"))
    out = puller(host).pull(credentials=[{"provenance": "webhook.credentials[0]", "url": url}], links=[])
    [gone] = out.unavailable
    assert gone.reason.startswith("refused by the fetch policy") and host.hits == {"/r.json": 1}


def test_a_missing_credential_and_a_url_holding_none_are_unavailable_but_a_plain_link_is_not(host):
    page = host.add("/about/badges", "<p>hello</p>", content_type="text/html")
    out = puller(host).pull(credentials=[{"provenance": "webhook.credentials[0]", "url": host.url("/nope.json")},
                                         {"provenance": "webhook.credentials[1]", "url": page}],
                            links=[{"provenance": "candidate.links[0]", "url": page}])
    assert [(u.provenance, u.reason) for u in out.unavailable] == [
        ("webhook.credentials[0]", "could not be retrieved: the host answered 404"),
        ("webhook.credentials[1]", "no credential found there: the page names no credential")]


def test_once_the_applications_budget_is_spent_the_rest_is_reported_unavailable_without_fetching(host):
    slow = host.add("/slow.json", b"{" + b" " * 100 + b"}", drip_s=0.05)
    quick = host.add("/quick.json", json.dumps(OB2))
    out = puller(host, budget_s=1.0, attempts=1).pull(
        credentials=[{"provenance": "a", "url": slow}, {"provenance": "b", "url": quick}], links=[])
    assert [u.provenance for u in out.unavailable] == ["a", "b"]
    assert "ran out" in out.unavailable[1].reason and "/quick.json" not in host.hits


def test_the_handler_publishes_unavailable_then_submitted_then_ready_with_stable_ids(host):
    good = host.add("/vc.jwt", TOKEN, content_type="application/vc+jwt")
    app = Application(tenant="t1", provider="generic", delivery_id="d1", application_id="a1", job_id="j1",
                      candidate_id="c1", name=None, emails=("ada@example.org",),
                      credentials=(CredentialRef("webhook.credentials[0]", url=good),
                                   CredentialRef("webhook.credentials[1]", url=host.url("/gone.json"))),
                      links=(Link("candidate.links[0]", text="nothing here"),))
    runs = []
    for _ in range(2):
        published = []
        handle_application_received(received_event(app, trace_id="tr"), publish=published.extend, pull=puller(host).pull)
        runs.append(published)
    topics = [e.topic for e in runs[0]]
    assert topics == [CREDENTIALS_UNAVAILABLE, CREDENTIALS_SUBMITTED, APPLICATIONS_READY]
    assert runs[0][0].payload == {"application_id": "a1", "candidate_id": "c1", "provenance": "webhook.credentials[1]",
                                  "reason": "could not be retrieved: the host answered 404"}
    assert runs[0][1].payload["jwt"] == TOKEN and runs[0][2].payload["credential_ids"] == [runs[0][1].payload["credential_id"]]
    assert [e.event_id for e in runs[0]] == [e.event_id for e in runs[1]]


def test_what_the_ats_api_gives_completes_a_thin_delivery_without_erasing_what_the_webhook_said():
    from services.ingest.enrichment import merged
    thin = {"provider": "lever", "delivery_id": "d", "application": {"id": "a1", "job_id": None},
            "candidate": {"id": "c1", "name": "Ada", "emails": []}, "credentials": [],
            "links": [{"provenance": "webhook.links[0]", "url": "https://x.org/b.png", "text": None}],
            "enrich": {"kind": "lever.opportunity", "ref": "o1"}}
    fields = {"application": {"id": "a1", "job_id": "j9"}, "candidate": {"id": "c1", "name": None, "emails": ["ada@example.org"]},
              "links": [{"provenance": "lever.links[0]", "url": "https://x.org/c.json"}], "provider": "other", "enrich": {"x": 1}}
    out = merged(thin, fields)
    assert out["application"] == {"id": "a1", "job_id": "j9"}
    assert out["candidate"] == {"id": "c1", "name": "Ada", "emails": ["ada@example.org"]}
    assert [lk["provenance"] for lk in out["links"]] == ["webhook.links[0]", "lever.links[0]"]
    assert (out["provider"], out["enrich"]) == ("lever", None)


def test_when_the_ats_api_cannot_give_the_application_the_recruiter_is_told_and_the_message_dead_lettered():
    from services.ingest.enrichment import EnrichFailed
    from shared.consumer import PermanentError

    def failing(_event):
        raise EnrichFailed("the ATS API could not be reached after retrying: the host answered 503")
    app = Application(tenant="t1", provider="lever", delivery_id="d1", application_id="a1", job_id=None,
                      candidate_id="c1", name=None, emails=(), enrich={"kind": "lever.opportunity", "ref": "o1"})
    published = []
    with pytest.raises(PermanentError, match="enrichment failed"):
        handle_application_received(received_event(app, trace_id="tr"), publish=published.extend, enrich=failing)
    [gone] = published
    assert gone.topic == CREDENTIALS_UNAVAILABLE
    assert gone.payload == {"application_id": "a1", "candidate_id": "c1", "provenance": "ats.api",
                            "reason": "the ATS API could not be reached after retrying: the host answered 503"}


def test_a_credential_too_large_for_its_event_is_reported_unavailable_and_the_others_are_still_pulled(host):
    links = [{"provenance": "candidate.links[0]", "url": host.add("/big/credential.json", json.dumps({"name": "x" * 300_000}))},
             {"provenance": "candidate.links[1]", "url": host.add("/vc.jwt", TOKEN, content_type="application/vc+jwt")}]
    inline = [{"provenance": "webhook.credentials[0]", "document": {"name": "\U0001F600" * 30_000}}]  # 360 kB escaped
    out = puller(host, ingest_max_document_bytes=262_144).pull(credentials=inline, links=links)
    assert [c.provenance for c in out.credentials] == ["candidate.links[1] -> hosted VC-JWT"]
    assert sorted(u.provenance for u in out.unavailable) == ["candidate.links[0] -> hosted JSON", "webhook.credentials[0]"]
    assert all(u.reason.startswith("too large: the credential is") for u in out.unavailable)


def test_an_application_with_more_credentials_than_allowed_verifies_the_first_and_says_the_rest_were_not(host):
    tokens = [Issuer.generate().vc_jwt(subject_email="ada@example.org") for _ in range(5)]
    links = [{"provenance": f"custom_fields[{i}]", "text": token} for i, token in enumerate(tokens)]
    out = puller(host, ingest_max_credentials=3).pull(credentials=[], links=links)
    assert [c.jwt for c in out.credentials] == tokens[:3]
    [note] = out.unavailable
    assert (note.provenance, note.reason) == ("application", "too many credentials: 5 found, only the first 3 are verified")
