"""Builds a connection's ATS client for the dispatcher: its configuration, webhook secret and HTTP."""
from __future__ import annotations

from datetime import datetime, timezone

from shared.fetch import Fetcher
from shared.tenants import TenantRepository

from services.writeback import clients
from services.writeback.clients import Client, ConnectionContext, Origin
from services.writeback.config import WritebackConfig
from services.writeback.http import AtsHttp
from services.writeback.repository import WritebackRepository


class Connector:
    """`connect(config, origin) -> Client`; OAuth tokens are kept between attempts by shared/oauth.py's cache."""

    def __init__(self, *, repo: WritebackRepository, tenants: TenantRepository, fetcher: Fetcher):
        self.repo, self.tenants, self.fetcher = repo, tenants, fetcher

    def __call__(self, config: WritebackConfig, origin: Origin) -> Client:
        connection = self.tenants.connection(config.tenant, config.provider)
        secret = connection.secrets[0] if connection and connection.secrets else None

        def on_limits(until: float | None) -> None:
            if until is not None:   # the ATS said this was the window's last request
                self.repo.block(config.tenant, config.provider, until=datetime.fromtimestamp(until, timezone.utc))

        http = AtsHttp(self.fetcher, on_limits=on_limits)
        return clients.build(ConnectionContext(config=config, http=http, webhook_secret=secret))
