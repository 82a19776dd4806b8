"""Ingest's Kafka worker: resolves accepted deliveries into credentials and ready applications (`python -m services.ingest.worker`)."""
from __future__ import annotations

import logging
from functools import partial

from services.ingest import providers
from services.ingest.discovery import PULL_TYPES
from services.ingest.enrichment import EnrichFailed, enrich_payload
from services.ingest.handlers import handle_application_received
from services.ingest.jobs.describer import describer_for
from services.ingest.pulling import Budget, Puller, Retrier
from shared import logs, mongo
from shared.consumer import ConsumerLoop
from shared.events import APPLICATIONS_RECEIVED, Event
from shared.fetch import Fetcher
from shared.kafka import Deferred, Publisher, ensure_topics
from shared.metrics import serve_worker_metrics
from shared.settings import Settings
from shared.tenants import TenantRepository

log = logging.getLogger(__name__)

ATS_TYPES = ("application/json", "application/vnd.api+json")  # Teamtailor's API speaks JSON:API


class Resolvers:
    """Binds pulling and enrichment to the safe fetcher and the tenant's connection; one time budget per application."""

    def __init__(self, settings: Settings, *, fetcher: Fetcher, tenants: TenantRepository, adapters=None):
        self.settings, self.fetcher, self.tenants = settings, fetcher, tenants
        self._adapters = adapters

    def handle(self, event: Event, *, publish) -> None:
        retrier = Retrier(self.settings, Budget(self.settings.ingest_pull_budget_s))
        puller = Puller(fetch=partial(self.fetcher.get, purpose="credential", accept=PULL_TYPES),
                        settings=self.settings, retrier=retrier)
        handle_application_received(event, publish=publish, pull=puller.pull,
                                    enrich=self._enricher(event, retrier))

    def _enricher(self, event: Event, retrier: Retrier):
        if event.payload["enrich"] is None:
            return None
        adapter = self.adapters().get(event.payload["provider"])
        if adapter is None or adapter.enrich is None:
            return None  # the handler says plainly that this enrichment is not supported

        def enrich(ev: Event) -> dict:
            connection = self.tenants.connection(ev.tenant, ev.payload["provider"])
            if connection is None:
                raise EnrichFailed("the tenant no longer has a connection for this ATS")
            return enrich_payload(ev.payload, enrich=adapter.enrich, connection=connection, retrier=retrier,
                                  getter=lambda deadline_s: self.fetcher.getter(purpose="ats_api", accept=ATS_TYPES,
                                                                                deadline_s=deadline_s))
        return enrich

    def adapters(self) -> dict:
        if self._adapters is None:
            self._adapters = providers.registry()
        return self._adapters


class SendingFirst(Fetcher):
    """The safe fetcher, sending the batch's held events before each fetch (pulls and ATS API calls alike): a slow
    pull never holds back what was resolved before it in the batch."""

    def __init__(self, settings: Settings, deferred: Deferred):
        super().__init__(settings)
        self._deferred = deferred

    def get(self, *args, **kwargs):
        self._deferred.send_held()
        return super().get(*args, **kwargs)


def main() -> None:
    logs.configure("ingest")
    settings = Settings.from_env()
    ensure_topics(settings)
    publisher = Publisher(settings, client_id="ingest-worker")
    db = mongo.connect(settings)
    tenants = TenantRepository(db, settings)
    # A poll batch's events go out in one publish, before the batch is committed (or before a fetch, if sooner).
    deferred = Deferred(publisher)
    fetcher = SendingFirst(settings, deferred)
    resolvers = Resolvers(settings, fetcher=fetcher, tenants=tenants)
    # Each job's advert is fetched once, on its own thread, after its first application is resolved (jobs/).
    job_fetcher = Fetcher(settings)  # the describer's own thread, its own session
    describer = describer_for(db=db, tenants=tenants, fetcher=job_fetcher, publish=publisher.publish)
    describer.start()
    # One application may take its whole pull budget: the batch budget leaves room for it in the poll interval.
    loop = ConsumerLoop(settings=settings, group_id="ingest", publisher=publisher, batch_end=deferred.flush, handlers={
        APPLICATIONS_RECEIVED: partial(resolvers.handle, publish=describer.noting(deferred.publish)),
    }, longest_message_s=settings.ingest_pull_budget_s)
    serve_worker_metrics(settings.worker_metrics_port, settings.worker_metrics_addr, readiness=loop.readiness)
    log.info("ingest worker started", extra={"fetch_allow_loopback": bool(settings.fetch_allow_loopback)})
    try:
        loop.run()
    finally:
        describer.stop()
        publisher.close()
        fetcher.close()
        job_fetcher.close()


if __name__ == "__main__":
    main()
