"""The verification worker: consumes credentials.submitted, stores a verdict, publishes credentials.verified;
in the background, re-checks stored verdicts when they are due (status list TTL, expiry)."""
from __future__ import annotations

from services.verification.fetching import Fetcher
from services.verification.batch import VerdictBatch
from services.verification.repository import VerdictRepository
from services.verification.retrust import Retruster
from services.verification.reverify import Rechecker
from services.verification.stage import Caches
from services.verification.trust import TrustRepository
from services.verification.verifier import Verifier
from shared import logs, mongo
from shared.consumer import ConsumerLoop
from shared.events import CREDENTIALS_SUBMITTED
from shared.kafka import Publisher, ensure_topics
from shared.metrics import serve_worker_metrics
from shared.settings import Settings


def main() -> None:
    logs.configure("verification")
    settings = Settings.from_env()
    db = mongo.connect(settings)
    repo = VerdictRepository(db)
    repo.ensure_indexes()
    trust = TrustRepository(db)
    trust.ensure_indexes()
    ensure_topics(settings)
    publisher = Publisher(settings, client_id="verification")
    # One fetcher (one requests session) per thread: the consumer's and the re-check loop's; caches are shared.
    fetcher, recheck_fetcher = Fetcher(settings), Fetcher(settings)
    registries = trust.cached_registry(ttl_s=settings.config_cache_ttl_s)
    # A poll batch's verdicts are stored in one bulk write and published in one call, before the batch is committed,
    # or before the verifier waits on the web, if sooner.
    batch = VerdictBatch(repo=repo, publish=publisher.publish, settings=settings)
    verifier = Verifier(settings, fetch=batch.sending_first(fetcher.get), caches=Caches.sized(settings),
                        registries=registries)
    batch.verifier = verifier
    loop = ConsumerLoop(settings=settings, group_id="verification", publisher=publisher, batch_end=batch.flush,
                        batch_start=batch.read_ahead, handlers={CREDENTIALS_SUBMITTED: batch.handle})
    serve_worker_metrics(settings.worker_metrics_port, settings.worker_metrics_addr, readiness=loop.readiness)
    rechecker = Rechecker(repo=repo, publish=publisher.publish, verifier=Verifier(
        settings, fetch=recheck_fetcher.get, caches=verifier.caches, registries=registries)).start()
    # A registry change re-judges the tenant's stored verdicts now, not at their next event (retrust.py).
    retruster = Retruster(trust_repo=trust, verdicts=repo, publish=publisher.publish, settings=settings).start()
    try:
        loop.run()
    finally:
        retruster.stop()
        rechecker.stop()
        fetcher.close()
        recheck_fetcher.close()
        publisher.close()


if __name__ == "__main__":
    main()
