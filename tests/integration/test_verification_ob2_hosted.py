"""An Open Badges 2.0 hosted assertion verified over real HTTP through shared/fetch, from a local issuer site."""
from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timezone

import pytest

from services.verification.fetching import Fetcher
from services.verification.verify import verify_credential
from tests.support.status_host import StatusHost


@pytest.fixture
def site():
    with StatusHost() as host:
        yield host


@pytest.fixture
def fetcher(settings):
    f = Fetcher(dataclasses.replace(settings, fetch_allow_loopback=1))
    yield f
    f.close()


def publish(site, path, doc):
    return site.serve(path, json.dumps(doc), content_type="application/json")


def test_a_hosted_assertion_served_by_its_issuer_is_verified_and_one_it_stops_serving_is_revoked(site, fetcher, settings):
    issuer = publish(site, "/issuer", {"@context": "https://w3id.org/openbadges/v2", "type": "Issuer",
                                       "id": site.url("/issuer"), "name": "Local Academy"})
    badge = publish(site, "/badge", {"@context": "https://w3id.org/openbadges/v2", "type": "BadgeClass",
                                     "id": site.url("/badge"), "name": "Python Programming", "issuer": issuer,
                                     "criteria": {"narrative": "Passed."}})
    assertion = {"@context": "https://w3id.org/openbadges/v2", "type": "Assertion", "id": site.url("/a/1"),
                 "recipient": {"type": "email", "hashed": False, "identity": "ada@example.org"},
                 "badge": badge, "issuedOn": "2026-01-10T00:00:00Z", "verification": {"type": "hosted"}}
    publish(site, "/a/1", assertion)
    now = datetime.now(timezone.utc)
    report = verify_credential(document=assertion, now=now, settings=settings, fetch=fetcher.get,
                               emails=["ada@example.org"])
    assert (report["verdict"], report["achievement"]["name"]) == ("verified", "Python Programming")

    site.serve("/a/1", b"", content_type="application/json", status=410)
    report = verify_credential(document=assertion, now=now, settings=settings, fetch=fetcher.get)
    assert report["verdict"] == "failed"
    assert next(c for c in report["checks"] if c["code"] == "status.revocation")["status"] == "failed"
