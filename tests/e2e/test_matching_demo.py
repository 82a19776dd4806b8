"""`make demo` against the running services (on this test session's ports, not the default ones)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

DEMO = Path(__file__).resolve().parents[2] / "deploy" / "local" / "demo.py"


def test_the_demo_seeds_twelve_applicants_and_prints_a_ranking_that_discounts_revoked_and_forged_credentials(api):
    env = dict(os.environ, KAFKA_BOOTSTRAP_SERVERS=api.settings.kafka_bootstrap_servers,
               MONGO_URI=api.settings.mongo_uri, MONGO_DB=api.settings.mongo_db)
    run = subprocess.run([sys.executable, str(DEMO), "--ingest", api.ingest, "--matching", api.matching],
                         capture_output=True, text=True, env=env, timeout=240)
    assert run.returncode == 0, run.stdout + run.stderr
    rows = re.findall(r"^\s*(\d+)\.\s+(\d+)\s+.*?(demo-app-\d\d)", run.stdout, flags=re.M)
    assert len(rows) == 12
    scores = {app: int(score) for _, score, app in rows}
    assert [int(s) for _, s, _ in rows] == sorted(scores.values(), reverse=True)
    assert rows[0][2] == "demo-app-01" and scores["demo-app-01"] == 100
    assert scores["demo-app-07"] == 40  # its essential SQL credential is revoked: the score is capped
    # The revocation is verification's own finding, read from the status list the demo served.
    assert re.search(r"REVOKED \(bit \d+ set on its issuer's status list\); verification says: "
                     r".*SQL revoked \(status\.revocation\)", run.stdout)
    assert "simulat" not in run.stdout.casefold()
    assert scores["demo-app-08"] <= 40 and "FORGED" in run.stdout
    assert scores["demo-app-12"] == 0 and "no verified credentials" in run.stdout
    assert "Why Ada Byron scored 100" in run.stdout
    assert re.search(r"issued to someone else.*verification says: .*(failed|verified)", run.stdout)
    print(run.stdout)  # shown with -s: the demo as a newcomer sees it
