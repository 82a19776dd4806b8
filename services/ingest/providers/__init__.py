"""One adapter per ATS: authenticate a delivery and normalise it to an Application."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

from services.ingest.model import Application


@dataclass(frozen=True)
class Delivery:
    """What an adapter sees of one webhook request."""
    tenant: str
    headers: Mapping[str, str]
    body: bytes
    now: float


@dataclass(frozen=True)
class Adapter:
    name: str
    success_status: int
    authenticate: Callable[..., None]   # (delivery, *, secrets, settings) -> None, raises AuthError
    normalise: Callable[[Delivery, dict], Application]


def registry() -> dict[str, Adapter]:
    from services.ingest.providers import generic
    return {"generic": generic.ADAPTER}
