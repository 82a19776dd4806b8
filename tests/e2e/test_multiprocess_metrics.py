"""Under gunicorn's several workers, /metrics reports what all of them counted, whichever worker answers the scrape."""
from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import requests

SAMPLE = re.compile(r'^credbridge_http_requests_total\{(?P<labels>[^}]*)\} (?P<value>\S+)$', re.M)


def _healthz_count(base: str) -> float:
    text = requests.get(f"{base}/metrics", timeout=10).text
    for m in SAMPLE.finditer(text):
        labels = dict(kv.split("=", 1) for kv in m["labels"].split(","))
        if labels == {"method": '"GET"', "route": '"/healthz"', "service": '"verification"', "status": '"200"'}:
            return float(m["value"])
    return 0.0


def _fresh_connection_get(url: str) -> int:
    # A new connection each time, so gunicorn's arbiter hands requests to both workers.
    with requests.Session() as s:
        return s.get(url, headers={"Connection": "close"}, timeout=10).status_code


def test_two_gunicorn_workers_counts_add_up_in_every_scrape(running):
    base = f"http://127.0.0.1:{running.ports.verification}"
    before = _healthz_count(base)
    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(_fresh_connection_get, [f"{base}/healthz"] * 60))
    assert codes == [200] * 60
    # Each scrape is answered by one worker or the other; each must show all 60.
    assert {_healthz_count(base) - before for _ in range(6)} == {60.0}
    files = list((running.log_dir / "metrics" / "verification").glob("counter_*.db"))
    assert len(files) >= 2, "both gunicorn workers should have counted requests"
