"""Ingest's Kafka worker: resolves accepted deliveries into credentials and ready applications (`python -m services.ingest.worker`)."""
from __future__ import annotations

import logging
from functools import partial

from services.ingest.handlers import handle_application_received
from shared import logs
from shared.consumer import ConsumerLoop
from shared.events import APPLICATIONS_RECEIVED
from shared.kafka import Publisher, ensure_topics
from shared.metrics import serve_worker_metrics
from shared.settings import Settings

log = logging.getLogger(__name__)


def main() -> None:
    logs.configure("ingest")
    settings = Settings.from_env()
    ensure_topics(settings)
    publisher = Publisher(settings, client_id="ingest-worker")
    loop = ConsumerLoop(settings=settings, group_id="ingest", publisher=publisher, handlers={
        APPLICATIONS_RECEIVED: partial(handle_application_received, publish=publisher.publish),
    })
    serve_worker_metrics(settings.worker_metrics_port, settings.worker_metrics_addr)
    log.info("ingest worker started")
    try:
        loop.run()
    finally:
        publisher.close()


if __name__ == "__main__":
    main()
