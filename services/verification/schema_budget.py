"""A work budget for checking a credential against a JSON Schema, so that a hostile schema costs milliseconds.

A schema the credential names is the credential author's text. Small schemas can ask for a great deal of
work: `anyOf`s of `$ref`s that double at each level (exponential in the schema's size), a schema applied to
every item of every array, a regular expression matched against a long string. jsonschema has no limit and
cannot be interrupted, so every keyword it evaluates is charged here (one step each) and every regular
expression match its bytes times its compiled size (schema_regex.py); past the budget the check stops.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

# Keyword evaluations for one credential against its schemas, their own checks against their meta-schemas
# included. jsonschema takes a few microseconds each; 1EdTech's OB 3.0 AchievementCredential schema (63 KB,
# draft 2019-09) takes about 8,300 to check against its meta-schema and 60 ms, a credential against it under 100.
MAX_STEPS = 150_000
# Not every step costs the same (a `$ref` deep in a chain of them takes tens of microseconds to resolve), so the
# thread's CPU time is bounded too, looked at every few steps; CPU time, not the clock, so a busy machine does
# not turn an ordinary schema away.
MAX_CPU_S = 0.5
_CLOCK_EVERY = 64
# Bytes matched times compiled program size (RE2 instructions), summed over every match. RE2's DFA takes well
# under a nanosecond a unit; when a pattern thrashes its DFA cache RE2 falls back to its NFA, about 10 ns a
# unit, so the budget bounds the worst case near 0.2 s. A 1 KB string against a 50-instruction pattern is 50,000.
MAX_REGEX_WORK = 20_000_000

Keyword = Callable[[Any, Any, Any, Any], Iterable[Any] | None]


class OverBudget(Exception):
    """Checking the credential against its schema would take more work than the budget allows."""


class Budget:
    def __init__(self, *, max_steps: int = MAX_STEPS, max_regex_work: int = MAX_REGEX_WORK,
                 max_cpu_s: float = MAX_CPU_S):
        self.max_steps, self.steps, self.regex_work = max_steps, max_steps, max_regex_work
        self.max_cpu_s, self._cpu_until = max_cpu_s, time.thread_time() + max_cpu_s

    def step(self) -> None:
        self.steps -= 1
        if self.steps < 0:
            raise OverBudget(f"it needs more than {self.max_steps} schema keyword evaluations")
        if self.steps % _CLOCK_EVERY == 0 and time.thread_time() > self._cpu_until:
            raise OverBudget(f"it needs more than {self.max_cpu_s} s of CPU time")

    def match(self, work: int) -> None:
        self.regex_work -= work
        if self.regex_work < 0:
            raise OverBudget("its regular expressions would be matched against more text than this verifier reads")


_CURRENT: ContextVar[Budget | None] = ContextVar("schema_budget", default=None)


@contextmanager
def spending(budget: Budget) -> Iterator[Budget]:
    """Charge the schema work done inside the block (in this thread) to `budget`."""
    token = _CURRENT.set(budget)
    try:
        yield budget
    finally:
        _CURRENT.reset(token)


def current() -> Budget:
    """The budget being spent; schema work outside `spending` is a bug, so it raises rather than run unbounded."""
    budget = _CURRENT.get()
    if budget is None:
        raise RuntimeError("a JSON Schema was evaluated outside schema_budget.spending")
    return budget


def metered(keyword: Keyword) -> Keyword:
    """The jsonschema keyword function `keyword`, charging one step to the current budget each time it runs."""
    def run(validator: Any, value: Any, instance: Any, schema: Any) -> Iterator[Any]:
        current().step()
        yield from keyword(validator, value, instance, schema) or ()
    run.__name__ = getattr(keyword, "__name__", "keyword")
    return run
