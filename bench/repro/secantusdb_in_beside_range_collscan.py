"""Reproduction: secantusdb 0.7.0b3 plans a $in beside a range on the next field of an index as a collection scan.

With an index on (tenant, job_id, application_id), `{tenant, job_id: {$in: [j]}, application_id: {$gt: a}}` is an
index scan on MongoDB, bounded by the index: a $in is a list of equality intervals. secantusdb reads every document
of the collection instead (the explain reports 0 keys examined, every document examined), whatever the tenant or
job. The same query with `job_id: j` (an equality) uses the index, and so does a $in without the range.
credbridge's re-scoring walk (MatchingRepository.applications_for_jobs) asked this way, so each batch of 100
read every application stored, of every tenant: 87 ms a batch beside 100,000 other tenants' applications, against
4.9 ms for the equality (measured here). It now reads each job with an equality, an index scan on any server.
Run: .venv/bin/python bench/repro/secantusdb_in_beside_range_collscan.py
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "deploy" / "local"))
import stack  # noqa: E402
from pymongo import ASCENDING, MongoClient  # noqa: E402


def main() -> None:
    server = stack.MongoServer(port=stack.free_port(), storage=":memory:", log_dir=Path(tempfile.mkdtemp())).start()
    try:
        db = MongoClient(server.uri).repro
        db.apps.create_index([("tenant", ASCENDING), ("job_id", ASCENDING), ("application_id", ASCENDING)])
        db.apps.insert_many([{"tenant": "t", "job_id": f"job-{i % 10}", "application_id": f"app-{i:06d}"}
                             for i in range(2_000)])
        for start in range(0, 100_000, 20_000):
            db.apps.insert_many([{"tenant": f"other-{i % 50}", "job_id": f"job-{i % 10}", "application_id": f"app-{i:06d}"}
                                 for i in range(start, start + 20_000)])
        print("tenant t: 2,000 applications to 10 jobs; 100,000 of other tenants'. The first 100 of t's job-1 after "
              "app-001000:")
        for label, job in (("job_id: {$in: ['job-1']}", {"$in": ["job-1"]}), ("job_id: 'job-1'", "job-1")):
            query = {"tenant": "t", "job_id": job, "application_id": {"$gt": "app-001000"}}
            started = time.perf_counter()
            found = list(db.apps.find(query).sort("application_id", ASCENDING).limit(100))
            elapsed_ms = (time.perf_counter() - started) * 1000
            stats = db.command("explain", {"find": "apps", "filter": query, "sort": {"application_id": 1},
                                           "limit": 100}, verbosity="executionStats")["executionStats"]
            print(f"  {label:26} {elapsed_ms:7.1f} ms, {len(found)} found; keys examined "
                  f"{stats.get('totalKeysExamined'):,}, documents examined {stats.get('totalDocsExamined'):,}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
