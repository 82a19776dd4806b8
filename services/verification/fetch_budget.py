"""Each credential's verification may make so many fetches, for so many seconds in all; the rest are not made.

A credential names the documents its checks fetch (status lists, DID documents and JWK sets, JSON Schemas,
Open Badges 2.0 documents, and the status lists' own keys), so without a bound one credential could make
the verifier fetch hundreds of them. verify_credential opens a budget for the credential (`opened`); the
verifier's two ways to the network (fetching.fetch_document and the key resolver's fetch) charge every
fetch to it through `charged`. The budget is a context variable because the key resolver is one per
process, shared by every verification, and the budget is one per credential.
"""
from __future__ import annotations

import time
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Callable, Iterator, TypeVar

from shared.fetch import FetchFailed
from shared.settings import Settings

T = TypeVar("T")


class BudgetSpent(FetchFailed):
    """The credential's fetch budget is spent, so this fetch was not made (transient: its checks are indeterminate)."""

    def __init__(self, message: str):
        super().__init__("budget", message)


class FetchBudget:
    """What one credential's verification may still fetch: a count and a total of seconds."""

    def __init__(self, *, fetches: int, seconds: float, deadline_s: float, clock: Callable[[], float] = time.monotonic):
        self.fetches, self.seconds, self._deadline_s, self._clock = fetches, seconds, deadline_s, clock
        self.made, self.spent_s, self.refused = 0, 0.0, 0

    def charge(self, fetch: Callable[..., T], url: str, **kwargs) -> T:
        """fetch(url, **kwargs) with its deadline cut to the seconds left; BudgetSpent if it may not be made."""
        left_s = self.seconds - self.spent_s
        if self.made >= self.fetches or left_s <= 0:
            self.refused += 1
            raise BudgetSpent(self.explanation())
        self.made += 1
        started = self._clock()
        try:
            return fetch(url, deadline_s=min(self._deadline_s, left_s), **kwargs)
        finally:
            self.spent_s += self._clock() - started

    def explanation(self) -> str:
        if self.made >= self.fetches:
            return f"this credential needs more than the {self.fetches} fetches one verification may make"
        return f"this credential's fetches took more than the {self.seconds:g} s one verification may spend"


_CURRENT: ContextVar[FetchBudget | None] = ContextVar("credbridge_fetch_budget", default=None)


@contextmanager
def opened(settings: Settings, *, clock: Callable[[], float] = time.monotonic) -> Iterator[FetchBudget]:
    """The budget of one credential's verification; a verification inside another (a status list's) shares it."""
    outer = _CURRENT.get()
    if outer is not None:
        yield outer
        return
    budget = FetchBudget(fetches=settings.verify_fetch_budget, seconds=settings.verify_fetch_budget_s,
                         deadline_s=settings.fetch_deadline_s, clock=clock)
    token = _CURRENT.set(budget)
    try:
        yield budget
    finally:
        _CURRENT.reset(token)


class Apart:
    """What a block run `apart` had refused for the budget."""

    def __init__(self) -> None:
        self.refused = 0


@contextmanager
def apart() -> Iterator[Apart]:
    """A block whose fetches draw on the open budget but whose refusals are not the credential's own.

    Endorsements run this way (endorsements.py): they may spend only what the credential's own checks left, and
    one refused for the budget is reported on the endorsement, never as the credential's `fetch.budget`.
    """
    budget, block = _CURRENT.get(), Apart()
    before = budget.refused if budget is not None else 0
    try:
        yield block
    finally:
        if budget is not None:
            block.refused, budget.refused = budget.refused - before, before


def charged(fetch: Callable[..., T], url: str, **kwargs) -> T:
    """fetch(url, **kwargs) charged to the open budget, its deadline cut to what is left; unbounded outside one."""
    budget = _CURRENT.get()
    return fetch(url, **kwargs) if budget is None else budget.charge(fetch, url, **kwargs)
