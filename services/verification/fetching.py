"""The verifier's one way to the network: shared/fetch's SSRF-safe Fetcher, handed in as a callable."""
from __future__ import annotations

from typing import Callable

from shared.fetch import Fetched, FetchFailed, Fetcher, FetchRefused  # noqa: F401 - re-exported for the verifier
from shared.settings import Settings

Fetch = Callable[..., Fetched]  # fetch(url, *, purpose=..., accept=(...), max_bytes=...) -> Fetched


def fetcher(settings: Settings) -> Fetch:
    """The safe fetch callable for these settings (one requests session; build it after a fork)."""
    return Fetcher(settings).get
