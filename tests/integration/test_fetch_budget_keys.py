"""The key resolver's fetches (did:web documents, over real HTTP on 127.0.0.1) count against the credential's budget."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from services.verification import keys
from services.verification.verify import verify_credential
from shared.settings import Settings
from tests.integration.test_keys_did_web import DidHost
from tests.support.di_signer import Signer, ob3_credential

NOW = datetime(2026, 3, 1, tzinfo=timezone.utc)
pytestmark = pytest.mark.integration


@pytest.fixture
def did_host():
    with DidHost() as host:
        yield host


def verify(document: dict, **settings) -> dict:
    keys._RESOLVERS.clear()  # a fresh did:web cache, so the document is fetched
    return verify_credential(document=document, now=NOW, settings=Settings(fetch_allow_loopback=1, **settings))


def test_a_did_web_document_past_the_fetch_budget_is_not_fetched_and_the_key_is_indeterminate(did_host):
    signer = Signer()
    document = signer.sign(ob3_credential(did_host.did), vm=did_host.publish(signer))
    report = verify(document, verify_fetch_budget=0)
    statuses = {c["code"]: c["status"] for c in report["checks"]}
    assert did_host.requests == 0 and report["verdict"] == "indeterminate"
    assert statuses["issuer.key"] == "indeterminate" and statuses["fetch.budget"] == "indeterminate"


def test_within_the_budget_the_did_web_document_is_fetched_once(did_host):
    signer = Signer()
    document = signer.sign(ob3_credential(did_host.did), vm=did_host.publish(signer))
    report = verify(document, verify_fetch_budget=1)
    assert report["verdict"] == "verified" and did_host.requests == 1
