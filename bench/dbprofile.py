"""secantusdb with an account of its own CPU time per (command, collection): where the local database's time goes.

Run in place of `secantusd-py` (same arguments): `python bench/dbprofile.py OUT.json --host ... --port ...`. Every
command the server dispatches is timed with the handling thread's CPU clock and counted with the documents it
carried (a bulk write's statements), and the totals are written to OUT.json every second. `bench/openloop.py
--db-profile` runs its database this way and prints `table()` per run: a figure in documents per application, which
does not depend on the machine, beside the server's CPU per document, which does.

It wraps the pinned server's command dispatcher (secantus.commands.dispatch, as secantus.server calls it); it is a
bench tool and changes nothing the server answers.
"""
from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path


def _install(out: Path) -> None:
    import secantus.commands as commands
    import secantus.server as server

    totals: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0])  # calls, CPU seconds, documents
    lock = threading.Lock()
    dispatch = commands.dispatch

    def timed(doc, ctx):
        name = commands.command_name(doc)
        target = doc.get(name)
        key = f"{name} {target if isinstance(target, str) else '-'}"
        docs = len(doc.get("updates") or doc.get("documents") or doc.get("deletes") or [None])
        started = time.thread_time()
        try:
            return dispatch(doc, ctx)
        finally:
            spent = time.thread_time() - started
            with lock:
                entry = totals[key]
                entry[0] += 1
                entry[1] += spent
                entry[2] += docs

    server.dispatch = timed  # type: ignore[attr-defined]

    def write() -> None:
        while True:
            time.sleep(1)
            with lock:
                snapshot = {k: list(v) for k, v in totals.items()}
            tmp = out.with_suffix(".tmp")
            tmp.write_text(json.dumps(snapshot))
            os.replace(tmp, out)

    threading.Thread(target=write, name="dbprofile", daemon=True).start()


def read(path: Path) -> dict[str, list[float]]:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def table(before: dict[str, list[float]], after: dict[str, list[float]], applications: int, *, top: int = 12) -> str:
    """The server's CPU between two readings, per (command, collection), most first, per application."""
    rows = []
    for key, (calls, cpu, docs) in after.items():
        b_calls, b_cpu, b_docs = before.get(key, [0, 0.0, 0])
        if calls > b_calls:
            rows.append((cpu - b_cpu, calls - b_calls, docs - b_docs, key))
    total = sum(r[0] for r in rows) or 1e-9
    rows.sort(reverse=True)
    n = max(applications, 1)
    lines = [f"    database CPU {1000 * total / n:.1f} ms per complete application; by command and collection:",
             "    | command collection | share | calls/app | documents/app | CPU ms/document |",
             "    |---|---|---|---|---|"]
    lines += [f"    | {key} | {100 * cpu / total:.0f}% | {calls / n:.2f} | {docs / n:.2f} | {1000 * cpu / max(docs, 1):.2f} |"
              for cpu, calls, docs, key in rows[:top]]
    return "\n".join(lines)


def main() -> None:
    out, sys.argv[1:] = Path(sys.argv[1]), sys.argv[2:]
    _install(out)
    from secantus.cli import main as serve
    sys.argv[0] = "secantusd-py"
    sys.exit(serve())


if __name__ == "__main__":
    main()
