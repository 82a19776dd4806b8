"""Reproduction: secantusdb 0.7.0b3 scans the whole collection when a query adds one predicate to an index's fields.

A unique index on (tenant, provider, delivery_id) answers {tenant, provider, delivery_id} with an IXSCAN. Add a
range predicate on a field outside that index ({expires_at: {$gt: now}}, which has its own TTL index) and the
winning plan becomes COLLSCAN, so the query's cost grows with the collection. MongoDB plans this as an IXSCAN on
the unique index with expires_at as a filter. A find by _id plus another field scans too. Updates differ: by _id
plus a field (a compare-and-swap on a revision) they use the _id index, but by the compound key plus a field
they scan (hint is ignored on writes).

credbridge's reads of this shape (delivery dedupe, API key, role lookups) fetch by the key alone and judge the
rest in Python, the cheapest plan on any server; matching's score compare-and-swap addresses the score by _id.
A $or beside an equality on tenant scans as well; matching's evidence lookup is two exact
lookups instead. Verification's re-check compare-and-swap (compound key + revision) still scans on this server; it runs only
when a status list or expiry comes due. Run: .venv/bin/python bench/repro/secantusdb_extra_predicate_collscan.py
"""
from __future__ import annotations

import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "deploy" / "local"))
import stack  # noqa: E402
from pymongo import ASCENDING, MongoClient  # noqa: E402


def _plan(cursor) -> str:
    plan = cursor.explain().get("queryPlanner", {}).get("winningPlan", {})
    stages = []
    while isinstance(plan, dict) and plan:
        stages.append(plan.get("stage", "?"))
        plan = plan.get("inputStage")
    return " <- ".join(stages)


def main() -> None:
    server = stack.MongoServer(port=stack.free_port(), storage=":memory:", log_dir=Path(tempfile.mkdtemp())).start()
    try:
        coll = MongoClient(server.uri).repro.deliveries
        coll.create_index([("tenant", ASCENDING), ("provider", ASCENDING), ("delivery_id", ASCENDING)], unique=True)
        coll.create_index("expires_at", expireAfterSeconds=0)
        later = datetime.now(timezone.utc) + timedelta(days=1)
        inserted = 0
        for n in (1_000, 10_000):
            coll.insert_many([{"tenant": "t", "provider": "p", "delivery_id": f"d{i}", "expires_at": later,
                               "revision": 0}
                              for i in range(inserted, n)])
            inserted = n
            key = {"tenant": "t", "provider": "p", "delivery_id": "absent"}
            with_range = {**key, "expires_at": {"$gt": datetime.now(timezone.utc)}}
            either = {"tenant": "t", "$or": [{"delivery_id": "d1"}, {"provider": "absent"}]}
            for name, query in (("unique key", key), ("unique key + expires_at", with_range), ("tenant + $or", either)):
                start = time.perf_counter()
                for _ in range(20):
                    coll.find_one(query)
                per = (time.perf_counter() - start) / 20
                print(f"{n:>6} documents  {name:<24} {per * 1000:7.2f} ms/query  plan: {_plan(coll.find(query))}")
            doc_id = coll.find_one({"delivery_id": "d1"})["_id"]
            for name, query in (("update by _id", {"_id": doc_id}), ("update by _id + revision", {"_id": doc_id, "revision": 0}),
                                ("update by key + revision", {**key, "delivery_id": "d1", "revision": 0})):
                start = time.perf_counter()
                for _ in range(20):
                    coll.update_one(query, {"$set": {"touched": True}})
                print(f"{n:>6} documents  {name:<24} {(time.perf_counter() - start) / 20 * 1000:7.2f} ms/update")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
