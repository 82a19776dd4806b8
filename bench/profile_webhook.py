"""Where one webhook's time goes: the ingest app in this process under cProfile, on a real Kafka and secantusdb.

Sends `--requests` distinct signed generic webhooks through Flask's test client (no HTTP server, so the figures are
ingest's own work: authentication, parsing, the MongoDB round trips, the publish and its acknowledgement) and
prints the functions that took the most time, cumulative and own. `make profile` runs it. Figures are shares of
one run on this machine; compare runs back to back.
"""
from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "deploy" / "local")]
from bench.pipeline import local_servers  # noqa: E402
from services.ingest.app import create_app  # noqa: E402
from services.ingest.signatures import sign_generic  # noqa: E402


def body(i: int) -> bytes:
    return json.dumps({"event_id": f"profile-{i}", "application": {"id": f"app-{i}", "job_id": "job-1"},
                       "candidate": {"id": f"c{i}", "name": "Profile", "emails": ["profile@example.org"]},
                       "credentials": [{"url": f"https://credentials.example/{i}"}]}).encode()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--top", type=int, default=30)
    args = ap.parse_args()
    os.environ.setdefault("CREDBRIDGE_ENV", "development")
    workdir = Path(tempfile.mkdtemp(prefix="credbridge-profile-"))
    with local_servers(workdir, mongo_db="profile") as (_kafka, _db, settings, tenant, _key, secret):
        client = create_app(settings).test_client()
        url = f"/v1/webhooks/generic/{tenant}"
        bodies = [body(i) for i in range(args.requests + 50)]
        for b in bodies[:50]:  # warm-up: the producer's connection, the first reads
            client.post(url, data=b, headers=sign_generic(secret, b, int(time.time())))
        profile = cProfile.Profile()
        started = time.perf_counter()
        profile.enable()
        statuses = [client.post(url, data=b, headers=sign_generic(secret, b, int(time.time()))).status_code
                    for b in bodies[50:]]
        profile.disable()
        elapsed = time.perf_counter() - started
        print(f"{args.requests} webhooks in {elapsed:.1f} s under the profiler ({args.requests / elapsed:.0f}/s, "
              f"one thread); answered {sorted(set(statuses))}")
        for order in ("cumulative", "tottime"):
            out = io.StringIO()
            pstats.Stats(profile, stream=out).strip_dirs().sort_stats(order).print_stats(args.top)
            print(f"--- by {order} ---")
            print(out.getvalue().split("\n", 6)[-1])


if __name__ == "__main__":
    main()
