"""Reproduction: secantusdb 0.7.0b3 drops documents at the inclusive end of a range on a compound index's inner field.

With an index on (tenant, score desc, app), `find({tenant: "t", score: {$gte: 0, $lte: 25}})` returns the
score-25 documents but none of score 0: walking the descending index, $gte 0 is the upper end in key order, and
the scan stops at the first key longer than the bound's prefix, which every score-0 key is (the app follows).
MongoDB returns both. credbridge's ranked pages ask for `$gt: low - 1` instead (scores are integers;
services/matching/queries.py). Run: .venv/bin/python bench/repro/secantusdb_compound_range_bound.py
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "deploy" / "local"))
import stack  # noqa: E402
from pymongo import ASCENDING, DESCENDING, MongoClient  # noqa: E402


def main() -> None:
    server = stack.MongoServer(port=stack.free_port(), storage=":memory:", log_dir=Path(tempfile.mkdtemp())).start()
    try:
        coll = MongoClient(server.uri).repro.scores
        coll.create_index([("tenant", ASCENDING), ("score", DESCENDING), ("app", ASCENDING)])
        coll.insert_many([{"tenant": "t", "score": s, "app": f"a{s}-{i}"} for s in (0, 25, 50) for i in range(3)])
        for name, bounds in (("$gte 0, $lte 25", {"$gte": 0, "$lte": 25}), ("$gt -1, $lte 25", {"$gt": -1, "$lte": 25})):
            found = sorted(d["score"] for d in coll.find({"tenant": "t", "score": bounds}))
            print(f"score {name}: {found}  (MongoDB: [0, 0, 0, 25, 25, 25])")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
