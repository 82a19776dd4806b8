"""The matching Kafka worker: scores applications as applications and verdicts arrive (`python -m services.matching.worker`)."""
from __future__ import annotations

import logging
from functools import partial

from shared import logs
from shared.consumer import ConsumerLoop
from shared.events import APPLICATIONS_READY, CREDENTIALS_UNAVAILABLE, CREDENTIALS_VERIFIED, JOBS_DESCRIBED
from shared.kafka import Publisher, ensure_topics
from shared.metrics import serve_worker_metrics
from shared.mongo import connect
from shared.settings import Settings

from services.matching.handlers import (Rescores, handle_application_ready, handle_credential_unavailable,
                                         handle_credential_verified)
from services.matching.job_descriptions import JobDescriptions, handle_job_described
from services.matching.repository import MatchingRepository
from services.matching.rescorer import Rescorer
from services.matching.skills.taxonomy import esco_taxonomy

log = logging.getLogger(__name__)

RESCORER_JOIN_TIMEOUT_S = 10.0


def main() -> None:
    logs.configure("matching")
    settings = Settings.from_env()
    db = connect(settings)
    repo = MatchingRepository(db)
    repo.ensure_indexes()
    descriptions = JobDescriptions(db)
    descriptions.ensure_indexes()
    esco_taxonomy()  # read the ESCO index now (1-3 s), not inside the first poll batch's budget
    ensure_topics(settings)
    publisher = Publisher(settings, client_id="matching-worker")
    deadline_s = settings.matching_verify_deadline_s
    # Each application is scored once per poll batch, however many of its events the batch holds.
    rescores = Rescores(repo=repo, publish=publisher.publish, verify_deadline_s=deadline_s)
    loop = ConsumerLoop(settings=settings, group_id="matching", publisher=publisher, batch_end=rescores.flush, handlers={
        APPLICATIONS_READY: partial(handle_application_ready, repo=repo, rescores=rescores),
        CREDENTIALS_VERIFIED: partial(handle_credential_verified, repo=repo, rescores=rescores),
        CREDENTIALS_UNAVAILABLE: partial(handle_credential_unavailable, repo=repo),
        JOBS_DESCRIBED: partial(handle_job_described, descriptions=descriptions),
    })
    rescorer = Rescorer(repo=repo, publish=publisher.publish, verify_deadline_s=deadline_s, busy=loop.busy)
    serve_worker_metrics(settings.worker_metrics_port, settings.worker_metrics_addr, readiness=loop.readiness)
    rescorer.start()
    log.info("matching worker started")
    try:
        loop.run()
    finally:
        # Let a batch in flight finish before the producer it publishes with is closed.
        rescorer.stop()
        rescorer.join(timeout=RESCORER_JOIN_TIMEOUT_S)
        publisher.close()


if __name__ == "__main__":
    main()
