"""Waiting for an eventually-consistent pipeline in end-to-end tests: poll until true, else fail saying what."""
from __future__ import annotations

import time


def wait_for(predicate, *, timeout_s: float, what: str, every_s: float = 0.5):
    """The first truthy value of `predicate()`, or an AssertionError naming what never happened."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every_s)
    raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")
