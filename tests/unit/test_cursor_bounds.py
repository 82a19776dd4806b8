"""A cursor is a stranger's input once it leaves the API: any value it did not issue is a 400, never a 500."""
from __future__ import annotations

import base64
import json

import pytest

from services.matching import recruiter
from shared.problems import Problem

NO_FILTERS = {"min_score": None, "status": None}


def forged(**fields) -> str:
    body = {"v": recruiter.CURSOR_VERSION, "t": 1_700_000_000_000, "s": 50, "a": "app-1", "f": NO_FILTERS, **fields}
    return base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode()


@pytest.mark.parametrize("fields", [
    {"t": 10**20}, {"t": -10**20}, {"t": 1e20}, {"t": True},        # past what a datetime holds, or not a time at all
    {"s": 2**70}, {"s": -2**70}, {"s": 101}, {"s": -2}, {"s": True},  # past MongoDB's 8-byte ints, or no rank_score
    {"a": ""}, {"a": "x" * 201},                                      # no application id is that
], ids=str)
def test_a_cursor_with_a_value_the_api_never_issues_is_a_400_problem(fields):
    with pytest.raises(Problem) as refused:
        recruiter.decode_cursor(forged(**fields), filters=NO_FILTERS)
    assert refused.value.status == 400


def test_the_extremes_the_api_does_issue_still_decode():
    for score in (recruiter.UNSCORED_RANK, 0, 100):
        assert recruiter.decode_cursor(forged(s=score), filters=NO_FILTERS)["score"] == score
