"""Reproduction: secantusdb 0.7.0b3 walks every index entry for `{field: {"$lte": now}}` when most leave it unset.

Sweeps for work that fell due (verdicts to re-check, pending scores past their verification deadline, write-backs
to retry) ask for an indexed date at or before now, and most documents have none (null or absent). MongoDB's
bounds for a `$lte` on a date are [minimum date, now], so the unset entries are never read. secantusdb's cost
grows with the whole collection, 1.1 s at 10,000 scores with nothing due, and matching ran that sweep every
second: with data stored, the database process spent its time there and every other command queued behind it.
Bounded below too (`{"$gte": epoch, "$lte": now}`, the same documents; shared/mongo.py `due_by`), the cost is the
due documents'. Run: .venv/bin/python bench/repro/secantusdb_open_range.py
"""
from __future__ import annotations

import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "deploy" / "local"))
import stack  # noqa: E402
from pymongo import ASCENDING, MongoClient  # noqa: E402

EPOCH = datetime.fromtimestamp(0, timezone.utc)


def _ms(coll, query: dict) -> float:
    t = time.perf_counter()
    for _ in range(5):
        list(coll.find(query).sort("pending_until", ASCENDING).limit(100))
    return (time.perf_counter() - t) / 5 * 1000


def main() -> None:
    server = stack.MongoServer(port=stack.free_port(), storage=":memory:", log_dir=Path(tempfile.mkdtemp())).start()
    try:
        coll = MongoClient(server.uri).repro.scores
        coll.create_index([("pending_until", ASCENDING)])
        inserted = 0
        for n in (1_000, 5_000, 10_000, 20_000):
            coll.insert_many([{"_id": f"s{i}", "score": i % 101} for i in range(inserted, n)])  # scored: none pending
            inserted = n
            now = datetime.now(timezone.utc)
            print(f"{n:>6} scores, none due: $lte now {_ms(coll, {'pending_until': {'$lte': now}}):7.1f} ms   "
                  f"$gte epoch, $lte now {_ms(coll, {'pending_until': {'$gte': EPOCH, '$lte': now}}):5.1f} ms",
                  flush=True)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
