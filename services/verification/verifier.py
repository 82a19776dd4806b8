"""A process's verifier: settings, the safe fetcher, long-lived caches and the tenants' trust registries, bound once."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from services.verification import trust
from services.verification.fetching import Fetch
from services.verification.stage import Caches
from services.verification.verify import verify_credential
from shared.settings import Settings

Registries = Callable[[str], "trust.Registry | trust.Unreachable | None"]


@dataclass
class Verifier:
    settings: Settings
    fetch: Fetch | None = None
    caches: Caches = field(default_factory=Caches)
    registries: Registries | None = None  # tenant -> its registry; None: no tenant registry is consulted

    def __call__(self, submission: dict, *, tenant: str | None, emails: list[str] | tuple[str, ...],
                 now: datetime) -> dict:
        """The report for a submission ({jwt|document|url}), for this applicant and this tenant."""
        registry = self.registries(tenant) if tenant and self.registries is not None else None
        return verify_credential(jwt=submission.get("jwt"), document=submission.get("document"),
                                 url=submission.get("url"), now=now, settings=self.settings, emails=emails,
                                 registry=registry, fetch=self.fetch, caches=self.caches)
