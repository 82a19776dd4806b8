"""The write-back Kafka worker (`python -m services.writeback.worker`): final scores into the ATS they came from.

The consumer loop only stores (origins and the score to show) and commits; the dispatcher thread makes the ATS
calls with retries, back-off and per-connection limits, so an ATS that is slow or rate-limited never stalls a
partition. Unparseable events go to `<topic>.dlq` like everywhere else.
"""
from __future__ import annotations

import logging
from functools import partial

from shared import logs
from shared.consumer import ConsumerLoop
from shared.events import APPLICATIONS_READY, APPLICATIONS_RECEIVED, SCORES_COMPUTED
from shared.fetch import Fetcher
from shared.kafka import Publisher, ensure_topics
from shared.metrics import serve_worker_metrics
from shared.mongo import connect
from shared.settings import Settings
from shared.tenants import TenantRepository

from services.writeback.connector import Connector
from services.writeback.dispatcher import Dispatcher
from services.writeback.handlers import OriginBatch, handle_application, handle_score
from services.writeback.repository import WritebackRepository
from services.writeback.service import Policy

log = logging.getLogger(__name__)

JOIN_TIMEOUT_S = 30.0


def main() -> None:
    logs.configure("writeback")
    settings = Settings.from_env()
    db = connect(settings)
    tenants = TenantRepository(db, settings)
    repo = WritebackRepository(db, tenants, config_ttl_s=settings.config_cache_ttl_s)
    repo.ensure_indexes()
    ensure_topics(settings)
    publisher = Publisher(settings, client_id="writeback-worker")
    fetcher = Fetcher(settings)
    dispatcher = Dispatcher(repo=repo, connect=Connector(repo=repo, tenants=tenants, fetcher=fetcher),
                            policy_=Policy(max_attempts=settings.writeback_max_attempts,
                                           backoff_s=settings.writeback_backoff_s),
                            pool_size=settings.writeback_pool_size, poll_s=settings.writeback_poll_s)
    origins = OriginBatch(repo)
    loop = ConsumerLoop(settings=settings, group_id="writeback", publisher=publisher, batch_end=origins.flush,
                        handlers={
        APPLICATIONS_RECEIVED: partial(handle_application, repo=repo, batch=origins),
        APPLICATIONS_READY: partial(handle_application, repo=repo, batch=origins),
        SCORES_COMPUTED: partial(handle_score, repo=repo, wake=dispatcher.wake, batch=origins),
    })
    serve_worker_metrics(settings.worker_metrics_port, settings.worker_metrics_addr, readiness=loop.readiness)
    dispatcher.start()
    log.info("writeback worker started")
    try:
        loop.run()
    finally:
        dispatcher.stop()
        dispatcher.join(timeout=JOIN_TIMEOUT_S)
        fetcher.close()
        publisher.close()


if __name__ == "__main__":
    main()
