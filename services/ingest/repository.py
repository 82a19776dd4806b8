"""The deliveries ingest has published, remembered for deduplication until their TTL runs out."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from pymongo import ASCENDING
from pymongo.database import Database
from pymongo.errors import OperationFailure

from shared import mongo
from shared.coalesce import Coalescer


class DeliveryRepository:
    def __init__(self, db: Database, *, ttl_s: int):
        self.deliveries = db["webhook_deliveries"]
        self.ttl_s = ttl_s
        self._lookups: Coalescer[tuple[str, str, str], bool] = Coalescer(self._seen_many)
        self._inserts: Coalescer[dict, OperationFailure | None] = Coalescer(self._insert_many)

    def ensure_indexes(self) -> None:
        self.deliveries.create_index([("tenant", ASCENDING), ("provider", ASCENDING), ("delivery_id", ASCENDING)],
                                     unique=True, name="delivery_natural_key")
        # TTL longer than any provider's retry schedule, so a late retry is still recognised.
        self.deliveries.create_index("expires_at", expireAfterSeconds=0, name="delivery_ttl")

    def seen(self, *, tenant: str, provider: str, delivery_id: str) -> bool:
        # The unique key alone, expiry compared here: the exact-key lookup is the cheapest plan on any server,
        # and secantusdb scans the whole collection once a predicate outside the index is added
        # (bench/repro/secantusdb_extra_predicate_collscan.py). Expired entries count as unseen even before
        # the TTL monitor (which runs once a minute) removes them. Concurrent lookups share one query.
        return self._lookups.submit((tenant, provider, delivery_id))

    def record(self, *, tenant: str, provider: str, delivery_id: str, application_id: str | None, events: int,
               ttl_s: int | None = None) -> None:
        """ttl_s is the provider's: longer than its whole retry schedule (and than its replay window).

        An insert, and a delivery already remembered is left as it is (the unique key refuses it): what an upsert
        with only $setOnInsert would do, for an insert's cost (half an upsert's on secantusdb, bench/dbprofile.py).
        Concurrent records share one unordered insert_many; each answers for its own document."""
        now = datetime.now(timezone.utc)
        refused = self._inserts.submit({"tenant": tenant, "provider": provider, "delivery_id": delivery_id,
                                        "application_id": application_id, "events": events, "published_at": now,
                                        "expires_at": now + timedelta(seconds=ttl_s or self.ttl_s)})
        if refused is not None:
            raise refused

    def _seen_many(self, keys: list[tuple[str, str, str]]) -> list[bool]:
        now = datetime.now(timezone.utc)
        live: set[tuple[str, str, str]] = set()
        by_source: dict[tuple[str, str], set[str]] = {}
        for tenant, provider, delivery_id in keys:
            by_source.setdefault((tenant, provider), set()).add(delivery_id)
        for (tenant, provider), ids in by_source.items():
            found = self.deliveries.find({"tenant": tenant, "provider": provider, "delivery_id": {"$in": sorted(ids)}},
                                         projection={"_id": 0, "delivery_id": 1, "expires_at": 1})
            live.update((tenant, provider, d["delivery_id"]) for d in found if d["expires_at"] > now)
        return [key in live for key in keys]

    def _insert_many(self, docs: list[dict]) -> list[OperationFailure | None]:
        """None for each document stored or already there (a duplicate key); the error of any other refused."""
        refused = mongo.insert_new(self.deliveries, docs).refused
        return [refused.get(i) for i in range(len(docs))]
