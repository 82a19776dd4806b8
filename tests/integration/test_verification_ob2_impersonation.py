"""Open Badges 2.0 impersonation over real HTTP through shared/fetch: an attacker's site (one origin) cannot
borrow a university's (another origin) name, rules or keys."""
from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timezone

import pytest

from services.verification.fetching import Fetcher
from services.verification.verify import verify_credential
from tests.support.status_host import StatusHost

OB2 = "https://w3id.org/openbadges/v2"


@pytest.fixture
def university():
    with StatusHost() as host:
        yield host


@pytest.fixture
def attacker():
    with StatusHost() as host:
        yield host


@pytest.fixture
def fetcher(settings):
    f = Fetcher(dataclasses.replace(settings, fetch_allow_loopback=1))
    yield f
    f.close()


def publish(site, path, doc) -> str:
    return site.serve(path, json.dumps(doc), content_type="application/json")


@pytest.fixture
def badge(university) -> str:
    issuer = publish(university, "/issuer", {"@context": OB2, "type": "Issuer", "id": university.url("/issuer"),
                                             "name": "Trusted University"})
    return publish(university, "/badge", {"@context": OB2, "type": "BadgeClass", "id": university.url("/badge"),
                                          "name": "PhD in Physics", "issuer": issuer,
                                          "criteria": {"narrative": "Defended a thesis."}})


def hosted_on(site, path: str, badge) -> dict:
    assertion = {"@context": OB2, "type": "Assertion", "id": site.url(path),
                 "recipient": {"type": "email", "hashed": False, "identity": "mallory@example.org"},
                 "badge": badge, "issuedOn": "2026-01-10T00:00:00Z", "verification": {"type": "hosted"}}
    publish(site, path, assertion)
    return assertion


def status_of(report: dict, code: str) -> str | None:
    return next((c["status"] for c in report["checks"] if c["code"] == code), None)


def verify(assertion, fetcher, settings) -> dict:
    return verify_credential(document=assertion, now=datetime.now(timezone.utc), settings=settings,
                             fetch=fetcher.get, emails=["mallory@example.org"])


def test_an_assertion_on_the_attackers_site_embedding_a_lenient_university_issuer_fails(
        university, attacker, badge, fetcher, settings):
    embedded = {"@context": OB2, "type": "BadgeClass", "id": badge, "name": "PhD in Physics",
                "issuer": {"@context": OB2, "type": "Issuer", "id": university.url("/issuer"), "name": "Trusted University",
                           "verification": {"allowedOrigins": [f"127.0.0.1:{attacker.port}"]}}}
    report = verify(hosted_on(attacker, "/a/1", embedded), fetcher, settings)
    assert (report["verdict"], status_of(report, "ob2.origin")) == ("failed", "failed")


def test_an_issuer_profile_on_the_attackers_site_claiming_the_universitys_id_fails(
        university, attacker, badge, fetcher, settings):
    issuer = publish(attacker, "/issuer", {"@context": OB2, "type": "Issuer", "id": university.url("/issuer"),
                                           "name": "Trusted University"})
    own_badge = publish(attacker, "/badge", {"@context": OB2, "type": "BadgeClass", "id": attacker.url("/badge"),
                                             "name": "PhD in Physics", "issuer": issuer})
    report = verify(hosted_on(attacker, "/a/2", own_badge), fetcher, settings)
    assert (report["verdict"], status_of(report, "ob2.badge")) == ("failed", "failed")


def test_the_universitys_own_assertion_still_verifies(university, badge, fetcher, settings):
    assert verify(hosted_on(university, "/a/3", badge), fetcher, settings)["verdict"] == "verified"
