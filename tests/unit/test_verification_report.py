"""The verdict rule and the report shape every consumer of credentials.verified relies on."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest

from services.verification.report import Check, build_report, verdict
from shared.events import ReportSchema

P, F, I, S, U = "passed", "failed", "indeterminate", "skipped", "unsupported"


def checks(*statuses: str) -> list[Check]:
    return [Check(f"code.{n}", status, "message") for n, status in enumerate(statuses)]


@pytest.mark.parametrize("statuses, expected", [
    ((P, P, P), "verified"),
    ((P, S), "verified"),                  # a skipped check (recipient, for now) does not change the verdict
    ((P, U), "unsupported"),
    ((P, I, U), "indeterminate"),          # indeterminate outranks unsupported
    ((P, F, I, U), "failed"),              # any failure outranks everything
    ((F,), "failed"),
    ((U, F), "failed"),
    ((I,), "indeterminate"),
])
def test_the_verdict_is_the_worst_status_in_the_order_failed_indeterminate_unsupported(statuses, expected):
    assert verdict(checks(*statuses)) == expected


@pytest.mark.parametrize("statuses", [(), (S,), (S, S)])
def test_a_report_in_which_nothing_passed_is_never_verified(statuses):
    assert verdict(checks(*statuses)) == "indeterminate"


def test_the_verdict_does_not_depend_on_the_order_of_the_checks():
    assert verdict(checks(U, P, F)) == verdict(checks(F, P, U)) == "failed"


def test_a_built_report_matches_the_shared_report_schema_and_keeps_checks_in_order():
    now = datetime(2026, 3, 1, 12, tzinfo=timezone.utc)
    report = build_report(format="vc-jwt", checks=checks(P, S), now=now,
                          valid_from=datetime(2026, 1, 1, tzinfo=timezone.utc))
    assert ReportSchema().validate(report) == {}
    assert [c["code"] for c in report["checks"]] == ["code.0", "code.1"]
    assert report["valid_from"] == "2026-01-01T00:00:00+00:00"
    assert report["valid_until"] is None
    assert report["checked_at"] == "2026-03-01T12:00:00+00:00"
