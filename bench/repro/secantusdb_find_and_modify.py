"""Reproduction: secantusdb 0.7.0b3's findAndModify costs O(collection) even when an index serves its query.

A unique index on (tenant, key): find_one and update_one by that key stay flat as the collection grows,
while find_one_and_update by the same key (upsert or not, returning the document before or after) grows
linearly with the documents stored. MongoDB answers all three from the index. This is what made
matching slow down as applications accumulated (issue 19): matching and verification now write with
update_one (an upsert on the natural key, or a conditional update whose matched count says whether it
applied) and read back with find_one. Run: .venv/bin/python bench/repro/secantusdb_find_and_modify.py
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "deploy" / "local"))
import stack  # noqa: E402
from pymongo import ASCENDING, MongoClient, ReturnDocument  # noqa: E402

SIZES = (500, 2_000, 5_000, 10_000)
ROUNDS = 30


def _median_ms(operation, keys) -> float:
    timings = []
    for key in keys:
        started = time.perf_counter()
        operation(key)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings) * 1000


def main() -> None:
    server = stack.MongoServer(port=stack.free_port(), storage=":memory:", log_dir=Path(tempfile.mkdtemp())).start()
    try:
        coll = MongoClient(server.uri).repro.applications
        coll.create_index([("tenant", ASCENDING), ("key", ASCENDING)], unique=True)
        stored = 0
        print(f"{'documents':>9}  {'find_one':>9}  {'update_one':>10}  {'find_one_and_update':>19}  (median of {ROUNDS}, ms)")
        for size in SIZES:
            coll.insert_many([{"tenant": "t", "key": f"k{i:06d}", "revision": 0} for i in range(stored, size)])
            stored = size
            keys = [f"k{(i * 7919) % size:06d}" for i in range(ROUNDS)]  # spread over the collection
            find = _median_ms(lambda k: coll.find_one({"tenant": "t", "key": k}), keys)
            update = _median_ms(lambda k: coll.update_one({"tenant": "t", "key": k}, {"$inc": {"revision": 1}}), keys)
            fam = _median_ms(lambda k: coll.find_one_and_update({"tenant": "t", "key": k}, {"$inc": {"revision": 1}},
                                                                return_document=ReturnDocument.AFTER), keys)
            print(f"{size:>9,}  {find:>9.2f}  {update:>10.2f}  {fam:>19.2f}", flush=True)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
