"""bench/cpuprofile.py reads py-spy's collapsed stacks and the kernel's CPU account as its tables say it does."""
from __future__ import annotations

import os
import subprocess
import sys
import time

from bench import cpuprofile

RAW = (
    'process 10:"gunicorn: master";process 11:"gunicorn: worker";<module> (services/ingest/app.py:5);'
    "handle (services/ingest/api.py:40);insert_many (pymongo/collection.py:900);_send (pymongo/pool.py:3) 7\n"
    "<module> (services/matching/worker.py:61);decode (shared/events.py:12);loads (json/__init__.py:346) 2\n"
    "run (threading.py:1000);select (selectors.py:468) 1\n"
    "not a stack line\n"
)


def test_stacks_are_counted_by_leaf_and_by_the_innermost_credbridge_function(tmp_path):
    path = tmp_path / "ingest.txt"
    path.write_text(RAW)
    stacks = cpuprofile.read_raw(path)
    assert all(not f.startswith("process ") for frames in stacks for f in frames)
    leaf, own, total = cpuprofile.summarise(stacks)
    assert total == 10
    assert leaf.most_common(1) == [("_send (pymongo/pool.py)", 7)]
    assert own == {"handle (ingest/api.py)": 7, "decode (shared/events.py)": 2}  # no credbridge frame: not counted


def test_a_process_is_charged_its_childrens_cpu_but_not_a_named_childs():
    burn = "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.3: pass\ntime.sleep(30)"
    child = subprocess.Popen([sys.executable, "-c", burn])
    try:
        deadline = time.monotonic() + 10
        while cpuprofile.reading({"c": child.pid})["c"] < 0.25 and time.monotonic() < deadline:
            time.sleep(0.05)
        both = cpuprofile.reading({"me": os.getpid(), "c": child.pid})
        alone = cpuprofile.reading({"me": os.getpid()})
        assert both["c"] >= 0.25
        assert alone["me"] - both["me"] >= 0.2  # the child's CPU is the parent's only when the child is not named
        assert both["machine"] > 0
    finally:
        child.kill()
        child.wait()
