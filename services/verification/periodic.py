"""A background pass the verification worker runs every so often (re-checks, re-judging after a registry change)."""
from __future__ import annotations

import logging
import threading

from pymongo.errors import PyMongoError

from shared.kafka import PublishError

log = logging.getLogger(__name__)


class PeriodicPass:
    """A daemon thread calling `run_pass()` every `interval_s` until stopped.

    The database or broker being away is a warning: what the pass had claimed or planned is left for the next
    one. Any other error is logged and the thread goes on: a bug in one pass must not end the passes.
    """

    def __init__(self, *, name: str, interval_s: float):
        self.name, self.interval = name, interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> "PeriodicPass":
        self._thread.start()
        return self

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def run_pass(self) -> None:
        raise NotImplementedError

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.run_pass()
            except (PyMongoError, PublishError) as exc:
                log.warning(f"{self.name} pass failed", extra={"error": type(exc).__name__})
            except Exception:  # noqa: BLE001 - the thread's policy, in the class docstring
                log.exception(f"{self.name} pass failed unexpectedly; retrying next interval")
