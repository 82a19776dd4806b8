"""Hostile-credential benchmark: how long the verifier takes to judge credentials built to make it work hard
(RDFC-1.0 poison datasets, very many JSON-LD objects), with the verdict and the limit that stopped each.

Run: .venv/bin/python bench/hostile_credentials.py [--repeat N]
The tests (tests/unit/test_poison_datasets.py) assert the verdicts; this prints the times, which depend on the
machine: each credential should be judged in well under a second.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from services.verification import rdfc_budget  # noqa: E402
from services.verification.verify import verify_credential  # noqa: E402
from shared.settings import Settings  # noqa: E402
from tests.support.poison import clique_credential, many_identifiers  # noqa: E402

NOW = datetime(2026, 3, 1, tzinfo=timezone.utc)
CASES = {
    "blank-node clique of 8 (was ~5 s)": lambda: clique_credential(8),
    "blank-node clique of 9 (was ~42 s)": lambda: clique_credential(9),
    "blank-node clique of 40": lambda: clique_credential(40),
    f"{rdfc_budget.MAX_OBJECTS - 10} JSON objects (under the limit, read)":
        lambda: many_identifiers(rdfc_budget.MAX_OBJECTS - 10),
    "3000 JSON objects (over the limit)": lambda: many_identifiers(3000),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    settings = Settings()
    print(f"{'credential':<44} {'verdict':<14} {'stopped by':<18} {'median ms':>10} {'max ms':>8}")
    for name, build in CASES.items():
        times, report = [], {}
        for _ in range(args.repeat):
            document = build()
            started = time.perf_counter()
            report = verify_credential(document=document, now=NOW, settings=settings)
            times.append((time.perf_counter() - started) * 1000)
        stopped = next((c["code"] for c in report["checks"] if c["code"] == "canonical.budget"), "-")
        print(f"{name:<44} {report['verdict']:<14} {stopped:<18} {statistics.median(times):>10.1f} {max(times):>8.1f}")


if __name__ == "__main__":
    main()
