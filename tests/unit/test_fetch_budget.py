"""One credential's verification makes at most so many fetches, for so many seconds; past that it is indeterminate."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest

from services.verification import fetch_budget
from services.verification.verify import verify_credential
from shared.settings import Settings
from tests.support.issuer import Issuer
from tests.support.memory_host import MemoryHost
from tests.support.status_lists import credential_with_status, list_credential, status_entry

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
LONG_AGO = NOW - timedelta(days=30)


@pytest.fixture(scope="module")
def issuer():
    return Issuer.generate()


def lists(count: int) -> list[str]:
    return [f"https://status.example/lists/{n}" for n in range(count)]


def publish(host: MemoryHost, issuer: Issuer, urls: list[str]) -> None:
    for url in urls:
        host.routes[url] = list_credential(issuer, url=url, nbf=LONG_AGO)


def with_status_lists(issuer: Issuer, urls: list[str]) -> str:
    return credential_with_status(issuer, [status_entry(url, 42) for url in urls], nbf=LONG_AGO)


def verify(token: str, host: MemoryHost, **settings) -> dict:
    return verify_credential(jwt=token, now=NOW, settings=Settings(**settings), fetch=host)


def check(report: dict, code: str) -> dict | None:
    return next((c for c in report["checks"] if c["code"] == code), None)


def test_a_credential_naming_three_hundred_status_lists_makes_only_its_budget_of_fetches(issuer):
    host = MemoryHost()
    publish(host, issuer, lists(300))
    report = verify(with_status_lists(issuer, lists(300)), host)
    assert host.hits == Settings().verify_fetch_budget
    assert report["verdict"] == "indeterminate"
    budget = check(report, "fetch.budget")
    assert budget["status"] == "indeterminate" and "280 were not made" in budget["message"]


def test_the_lists_past_the_budget_say_they_were_not_fetched_and_those_within_it_were_checked(issuer):
    host = MemoryHost()
    publish(host, issuer, lists(5))
    report = verify(with_status_lists(issuer, lists(5)), host, verify_fetch_budget=3)
    statuses = [c for c in report["checks"] if c["code"] == "status.revocation"]
    assert [c["status"] for c in statuses] == ["passed"] * 3 + ["indeterminate"] * 2
    assert "fetch budget" in statuses[-1]["message"]


def test_fetching_stops_once_the_credential_has_spent_its_seconds(issuer):
    host = MemoryHost(delay_s=0.2)
    publish(host, issuer, lists(10))
    started = time.perf_counter()
    report = verify(with_status_lists(issuer, lists(10)), host, verify_fetch_budget_s=0.3)
    assert time.perf_counter() - started < 1.5 and host.hits == 2
    assert "0.3 s" in check(report, "fetch.budget")["message"]
    first, second = host.deadlines
    assert first == 0.3 and second < 0.15  # each fetch may take only what is left


def test_a_credential_within_its_budget_is_verified_and_reports_no_budget_check(issuer):
    host = MemoryHost()
    publish(host, issuer, lists(2))
    report = verify(with_status_lists(issuer, lists(2)), host)
    assert report["verdict"] == "verified" and check(report, "fetch.budget") is None


def test_each_credential_gets_a_budget_of_its_own(issuer):
    host = MemoryHost()
    publish(host, issuer, lists(3))
    for _ in range(2):
        assert verify(with_status_lists(issuer, lists(3)), host, verify_fetch_budget=3)["verdict"] == "verified"
    assert host.hits == 6


def test_a_verification_inside_another_shares_its_budget_and_none_is_open_outside():
    fetched: list[str] = []

    def fetch(url, **kwargs):
        fetched.append(url)
        return url

    with fetch_budget.opened(Settings(verify_fetch_budget=2)) as outer:
        with fetch_budget.opened(Settings(verify_fetch_budget=50)) as inner:
            assert inner is outer
            fetch_budget.charged(fetch, "https://a.example/1")
        fetch_budget.charged(fetch, "https://a.example/2")
        with pytest.raises(fetch_budget.BudgetSpent):
            fetch_budget.charged(fetch, "https://a.example/3")
    for n in range(5):
        fetch_budget.charged(fetch, f"https://b.example/{n}")  # outside a verification: not budgeted
    assert len(fetched) == 7 and outer.refused == 1
