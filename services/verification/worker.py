"""The verification worker: consumes credentials.submitted, stores a verdict, publishes credentials.verified."""
from __future__ import annotations

from functools import partial

from services.verification.handlers import handle_credential_submitted
from services.verification.repository import VerdictRepository
from shared import logs, mongo
from shared.consumer import ConsumerLoop
from shared.events import CREDENTIALS_SUBMITTED
from shared.kafka import Publisher, ensure_topics
from shared.metrics import serve_worker_metrics
from shared.settings import Settings


def main() -> None:
    logs.configure("verification")
    settings = Settings.from_env()
    repo = VerdictRepository(mongo.connect(settings))
    repo.ensure_indexes()
    ensure_topics(settings)
    publisher = Publisher(settings, client_id="verification")
    loop = ConsumerLoop(
        settings=settings, group_id="verification", publisher=publisher,
        handlers={CREDENTIALS_SUBMITTED: partial(handle_credential_submitted, repo=repo,
                                                 publish=publisher.publish, settings=settings)},
    )
    serve_worker_metrics(settings.worker_metrics_port, settings.worker_metrics_addr)
    try:
        loop.run()
    finally:
        publisher.close()


if __name__ == "__main__":
    main()
