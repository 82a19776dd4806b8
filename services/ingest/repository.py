"""The deliveries ingest has published, remembered for deduplication until their TTL runs out."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from pymongo import ASCENDING
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError


class DeliveryRepository:
    def __init__(self, db: Database, *, ttl_s: int):
        self.deliveries = db["webhook_deliveries"]
        self.ttl_s = ttl_s

    def ensure_indexes(self) -> None:
        self.deliveries.create_index([("tenant", ASCENDING), ("provider", ASCENDING), ("delivery_id", ASCENDING)],
                                     unique=True, name="delivery_natural_key")
        # TTL longer than any provider's retry schedule, so a late retry is still recognised.
        self.deliveries.create_index("expires_at", expireAfterSeconds=0, name="delivery_ttl")

    def seen(self, *, tenant: str, provider: str, delivery_id: str) -> bool:
        # The unique key alone, expiry compared here: the exact-key lookup is the cheapest plan on any server,
        # and secantusdb scans the whole collection once a predicate outside the index is added
        # (bench/repro/secantusdb_extra_predicate_collscan.py). Expired entries count as unseen even before
        # the TTL monitor (which runs once a minute) removes them.
        doc = self.deliveries.find_one({"tenant": tenant, "provider": provider, "delivery_id": delivery_id},
                                       projection={"_id": 0, "expires_at": 1})
        return doc is not None and doc["expires_at"] > datetime.now(timezone.utc)

    def record(self, *, tenant: str, provider: str, delivery_id: str, application_id: str | None, events: int,
               ttl_s: int | None = None) -> None:
        """ttl_s is the provider's: longer than its whole retry schedule (and than its replay window).

        An insert, and a delivery already remembered is left as it is (the unique key refuses it): what an upsert
        with only $setOnInsert would do, for an insert's cost (half an upsert's on secantusdb, bench/dbprofile.py)."""
        now = datetime.now(timezone.utc)
        try:
            self.deliveries.insert_one({"tenant": tenant, "provider": provider, "delivery_id": delivery_id,
                                        "application_id": application_id, "events": events, "published_at": now,
                                        "expires_at": now + timedelta(seconds=ttl_s or self.ttl_s)})
        except DuplicateKeyError:
            pass
