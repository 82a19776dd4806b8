"""Benchmarks matching: p50/p99 of the ranked-candidates query at 10k and 100k scores for one role, and scores/second.

Starts its own secantusdb (deploy/local/stack.py) on a free port in a temporary folder, seeds score
documents directly, and times recruiter.candidates_page — the exact code behind
GET /v1/roles/<id>/candidates, index walk and `moved_since_start` count included — for the first
page and for pages reached by a cursor at random depths. Then times full re-scorings (read role,
read evidence, score, store with history) against the same database, and the pure scoring function.

    make bench-matching            # or: .venv/bin/python bench/matching.py --sizes 10000,100000
"""
from __future__ import annotations

import argparse
import random
import signal
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "deploy" / "local")]

import stack  # noqa: E402
from pymongo import MongoClient  # noqa: E402

from services.matching import recruiter, service  # noqa: E402
from services.matching.evidence import Lexicon  # noqa: E402
from services.matching.queries import RecruiterQueries  # noqa: E402
from services.matching.repository import MatchingRepository  # noqa: E402
from services.matching.scoring import score_application  # noqa: E402
from services.matching.terms import starter_vocabulary  # noqa: E402

TENANT, ROLE_ID, PAGE = "bench", "job-bench", 50
REQUIREMENTS = [{"id": "py", "competency": "Python programming", "importance": "essential", "weight": 2},
                {"id": "sql", "competency": "SQL", "importance": "preferred", "weight": 1},
                {"id": "agile", "competency": "Agile", "importance": "preferred", "weight": 1}]


def score_doc(i: int, when: datetime) -> dict:
    score = random.choice((0, 25, 40, 50, 75, 100))
    return {"tenant": TENANT, "application_id": f"app-{i:07d}", "role_id": ROLE_ID, "job_id": ROLE_ID,
            "candidate_id": f"cand-{i:07d}", "status": "scored", "score": score, "rank_score": score,
            "reason": "2 of 3 requirements met by verified credentials", "score_version": "bench",
            "computed_at": when, "ranked_at": when, "input_revision": 1, "role_revision": 1, "history": [],
            "requirements": [{"id": r["id"], "status": random.choice(("met", "missing")), "reason": "x",
                              "credentials": []} for r in REQUIREMENTS]}


def seed(repo: MatchingRepository, *, start: int, stop: int) -> None:
    when = datetime.now(timezone.utc) - timedelta(hours=1)
    for low in range(start, stop, 2000):
        repo.scores.insert_many([score_doc(i, when) for i in range(low, min(low + 2000, stop))], ordered=False)


def percentiles(samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    p99 = ms[min(len(ms) - 1, int(round(0.99 * (len(ms) - 1))))]
    return f"p50 {statistics.median(ms):7.2f} ms   p99 {p99:7.2f} ms   (n={len(ms)})"


def time_pages(queries: RecruiterQueries, *, total: int, samples: int) -> tuple[list[float], list[float]]:
    first, deep = [], []
    query = {"min_score": None, "status": None, "limit": PAGE, "cursor": None}
    for _ in range(samples):
        started = time.perf_counter()
        page = recruiter.candidates_page(TENANT, ROLE_ID, query=query, queries=queries, role_exists=True)
        first.append(time.perf_counter() - started)
        assert len(page["candidates"]) == PAGE
    as_of = datetime.now(timezone.utc) - timedelta(seconds=recruiter.SETTLE_S)
    for _ in range(samples):
        score, n = random.choice((100, 75, 50, 25)), random.randrange(total)
        cursor = recruiter.encode_cursor(as_of=as_of, score=score, application_id=f"app-{n:07d}",
                                         filters={"min_score": None, "status": None})
        started = time.perf_counter()
        recruiter.candidates_page(TENANT, ROLE_ID, query={**query, "cursor": cursor}, queries=queries, role_exists=True)
        deep.append(time.perf_counter() - started)
    return first, deep


def plan(repo: MatchingRepository) -> str:
    """The database's plan for page one, outermost stage first (shows whether the index also serves the order)."""
    cursor = repo.scores.find({"tenant": TENANT, "role_id": ROLE_ID, "rank_score": {"$gte": -1, "$lte": 100}})
    stage = cursor.sort([("rank_score", -1), ("application_id", 1)]).limit(PAGE + 1).explain()["queryPlanner"]["winningPlan"]
    stages = []
    while stage:
        stages.append(stage.get("stage", "?") + (f" {stage['indexName']}" if stage.get("indexName") else ""))
        stage = stage.get("inputStage")
    return " <- ".join(stages)


def time_rescoring(repo: MatchingRepository, *, count: int) -> float:
    """Full re-scorings per second: each reads the role and evidence, scores, and stores with history."""
    names = ("Python (computer programming)", "SQL", "Agile", "Kubernetes")
    apps = []
    for i in range(count):
        app_id = f"rs-{i:05d}"
        ids = [f"{app_id}-{k}" for k in range(3)]
        for k, cid in enumerate(ids):
            repo.record_evidence(TENANT, cid, application_id=app_id, candidate_id=f"c-{app_id}", report={
                "verdict": "verified", "format": "vc-jwt", "checks": [], "checked_at": "2026-11-25T00:00:00Z",
                "achievement": {"name": names[(i + k) % 4]}, "issuer": {"id": "did:key:z", "name": "Bench"}})
        apps.append(repo.record_application(TENANT, app_id, job_id=ROLE_ID, candidate_id=f"c-{app_id}",
                                            credential_ids=ids))
    started = time.perf_counter()
    for application in apps:
        service.rescore_application(TENANT, application, repo=repo, publish=lambda events: None)
    return count / (time.perf_counter() - started)


def time_pure_scoring(count: int) -> float:
    requirements = service.requirements_of({"requirements": REQUIREMENTS})
    now = datetime.now(timezone.utc)
    credentials = service.credentials_of({"credential_ids": []}, [
        {"credential_id": f"c{k}", "report": {"verdict": "verified", "achievement": {"name": n}}}
        for k, n in enumerate(("Python 3", "SQL", "Scrum"))], now=now)
    lexicon = Lexicon(vocabulary=starter_vocabulary())
    started = time.perf_counter()
    for _ in range(count):
        score_application(requirements=requirements, credentials=credentials, computed_at=now, lexicon=lexicon)
    return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="score counts to measure at, ascending")
    parser.add_argument("--samples", type=int, default=20, help="timed queries per kind and size")
    parser.add_argument("--rescore", type=int, default=300, help="applications to re-score for the rate")
    args = parser.parse_args()
    # A SIGTERM (a timeout, Ctrl-C from make) must still stop the database server below.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    random.seed(6)
    with tempfile.TemporaryDirectory(prefix="bench-matching-") as tmp:
        server = stack.MongoServer(port=stack.free_port(), storage=str(Path(tmp) / "db"), log_dir=Path(tmp)).start()
        client = MongoClient(server.uri)
        try:
            repo = MatchingRepository(client["bench_matching"])
            repo.ensure_indexes()
            repo.put_role(TENANT, ROLE_ID, title="Bench", requirements=REQUIREMENTS, job_ids=[])
            queries, seeded = RecruiterQueries(repo), 0
            for size in sorted(int(s) for s in args.sizes.split(",")):
                started = time.perf_counter()
                seed(repo, start=seeded, stop=size)
                seeded = size
                print(f"seeded {size:>7,} scores for one role in {time.perf_counter() - started:6.1f} s")
                first, deep = time_pages(queries, total=size, samples=args.samples)
                print(f"  ranked candidates, first page of {PAGE}:   {percentiles(first)}")
                print(f"  ranked candidates, page at a cursor:   {percentiles(deep)}")
            print(f"plan: {plan(repo)}")
            print(f"full re-scorings (MongoDB read + score + store): {time_rescoring(repo, count=args.rescore):8.1f} /s")
            print(f"pure scoring (3 requirements, 3 credentials):    {time_pure_scoring(20000):8.1f} /s")
        finally:
            client.close()
            server.stop()


if __name__ == "__main__":
    main()
