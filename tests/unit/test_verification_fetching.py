"""The verifier's one fetch path: a 200 body, or Unfetched with why, each attempt counted by kind and outcome."""
from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from services.verification.fetching import FetchFailed, FetchRefused, Unfetched, fetch_document
from tests.support.memory_host import MemoryHost

URL = "https://issuer.example/doc"


def _count(outcome: str) -> float:
    return REGISTRY.get_sample_value("credbridge_verification_fetches_total",
                                     {"kind": "json_schema", "outcome": outcome}) or 0.0


def _fetch(route):
    return fetch_document(MemoryHost({URL: route}), URL, kind="json_schema", purpose="credential",
                          accept=("application/json",), max_bytes=1000)


def test_a_200_answer_returns_its_body_and_counts_ok():
    before = _count("ok")
    assert _fetch('{"a": 1}') == b'{"a": 1}'
    assert _count("ok") == before + 1


@pytest.mark.parametrize("route, reason, status, outcome", [
    (410, "http_error", 410, "http_error"),
    (FetchRefused("private", "a private address"), "refused", None, "refused"),
    (FetchFailed("timeout", "timed out"), "failed", None, "failed"),
])
def test_anything_else_raises_unfetched_with_the_reason_and_counts_it(route, reason, status, outcome):
    before = _count(outcome)
    with pytest.raises(Unfetched) as caught:
        _fetch(route)
    assert (caught.value.reason, caught.value.status) == (reason, status)
    assert _count(outcome) == before + 1
