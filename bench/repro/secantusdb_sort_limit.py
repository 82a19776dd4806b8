"""Reproduction: secantusdb 0.7.0b3 sorts a whole index range in memory for `find().sort().limit()`.

With an index that matches the filter and the sort exactly, MongoDB walks the index and stops after
`limit` entries, so the query costs the same at 1k and 100k matching documents. secantusdb's plan is
SORT <- FETCH <- IXSCAN and its time grows linearly with the matching documents. This is what makes
credbridge's ranked-candidates query slow on the local server (bench/matching.py); it is not worked
around in application code. Run: .venv/bin/python bench/repro/secantusdb_sort_limit.py
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "deploy" / "local"))
import stack  # noqa: E402
from pymongo import ASCENDING, DESCENDING, MongoClient  # noqa: E402


def main() -> None:
    server = stack.MongoServer(port=stack.free_port(), storage=":memory:", log_dir=Path(tempfile.mkdtemp())).start()
    try:
        coll = MongoClient(server.uri).repro.scores
        coll.create_index([("tenant", ASCENDING), ("role", ASCENDING), ("score", DESCENDING), ("app", ASCENDING)])
        inserted = 0
        for n in (1_000, 10_000, 50_000):
            coll.insert_many([{"tenant": "t", "role": "r", "score": i % 101, "app": f"a{i:06d}"}
                              for i in range(inserted, n)])
            inserted = n
            query = {"tenant": "t", "role": "r"}
            order = [("score", DESCENDING), ("app", ASCENDING)]
            timings = []
            for _ in range(5):
                started = time.perf_counter()
                rows = list(coll.find(query).sort(order).limit(50))
                timings.append(time.perf_counter() - started)
            plan = coll.find(query).sort(order).limit(50).explain().get("queryPlanner", {}).get("winningPlan", {})
            print(f"{n:>7,} matching docs: first 50 by index order in {min(timings) * 1000:8.1f} ms "
                  f"(got {len(rows)}); plan: {_stages(plan)}")
    finally:
        server.stop()


def _stages(plan: dict) -> str:
    names = []
    while isinstance(plan, dict) and plan:
        names.append(plan.get("stage", "?"))
        plan = plan.get("inputStage") or {}
    return " <- ".join(names)


if __name__ == "__main__":
    main()
