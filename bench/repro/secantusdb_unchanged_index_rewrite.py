"""Reproduction: secantusdb 0.7.0b3 rewrites every index entry of a document on any update.

An update that changes only a field no index covers leaves MongoDB's indexes alone (it writes an index only where
the document's key in it changed; documented behaviour, not measured here: no mongod on this machine). secantusdb's update (`Storage._update_chunk`) deletes all of the document's index entries
and writes them again, so the server CPU of `{$set: {unindexed: ...}}` grows with the number of secondary indexes
on the collection, by about as much per index as an insert pays for writing it. Every command also re-reads the
collection's index catalog from WiredTiger (`Storage._iter_indexes` was 23% of the server's py-spy samples in
bench/openloop.py at 100/s). credbridge's score documents carry five secondary indexes, each needed by a read;
this is not worked around in application code. Run: .venv/bin/python bench/repro/secantusdb_unchanged_index_rewrite.py
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "deploy" / "local"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import cpuprofile  # noqa: E402  (bench/cpuprofile.py: a process's CPU from /proc)
import stack  # noqa: E402
from pymongo import ASCENDING, MongoClient  # noqa: E402
from pymongo.collection import Collection  # noqa: E402

COUNT = 2_000


def server_cpu_s(pid: int) -> float:
    return cpuprofile.reading({"server": pid})["server"]


def insert_then_update_ms(pid: int, coll: Collection) -> tuple[float, float]:
    """Server CPU per insert of COUNT documents, then per update of a field of each that no index covers."""
    fields = {f"f{j}": j for j in range(10)}
    before = server_cpu_s(pid)
    for i in range(COUNT):
        coll.insert_one({"_id": i, **fields})
    inserted = server_cpu_s(pid)
    for i in range(COUNT):
        coll.update_one({"_id": i}, {"$set": {"unindexed": i}})
    return (inserted - before) / COUNT * 1000, (server_cpu_s(pid) - inserted) / COUNT * 1000


def main() -> None:
    server = stack.MongoServer(port=stack.free_port(), storage=":memory:", log_dir=Path(tempfile.mkdtemp())).start()
    assert server.proc is not None
    try:
        db = MongoClient(server.uri).repro
        print(f"server CPU per command, {COUNT:,} documents each, secondary indexes on fields f0..fN:")
        for indexes in (0, 2, 5, 10):
            coll = db[f"indexes_{indexes}"]
            for i in range(indexes):
                coll.create_index([(f"f{i}", ASCENDING)])
            costs = insert_then_update_ms(server.proc.pid, coll)
            print(f"  {indexes:>2} indexes: insert {costs[0]:.3f} ms; update of an unindexed field {costs[1]:.3f} ms")
        print("MongoDB touches an index on update only where the document's key in it changed, so its second column "
              "should not grow with the indexes (not measured: no mongod on this machine).")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
