"""The per-package coverage table `make test` prints after the suite (from the combined `.coverage` data).

Cover is coverage.py's own figure, lines and branches together: (covered lines + covered branches) /
(statements + branches). The floor (pyproject.toml, [tool.coverage.report] fail_under) is enforced by
pytest-cov on the whole; this table says where the uncovered code is.
"""
from __future__ import annotations

import json
import sys
import tempfile
from collections import defaultdict
from pathlib import Path, PurePosixPath

import coverage

_FIELDS = ("num_statements", "covered_lines", "num_branches", "covered_branches")


def package_totals(files: dict[str, dict]) -> dict[str, dict[str, int]]:
    """Summed counts per package (a file's folder), from coverage's JSON report's `files`."""
    totals: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(_FIELDS, 0))
    for name, entry in files.items():
        package = str(PurePosixPath(Path(name).as_posix()).parent).replace("/", ".")
        for field in _FIELDS:
            totals[package][field] += entry["summary"][field]
    return dict(sorted(totals.items()))


def percent(counts: dict[str, int]) -> float:
    possible = counts["num_statements"] + counts["num_branches"]
    return 100.0 * (counts["covered_lines"] + counts["covered_branches"]) / possible if possible else 100.0


def table(totals: dict[str, dict[str, int]]) -> str:
    rows = [("package", "statements", "missed", "branches", "missed", "cover")]
    everything = dict.fromkeys(_FIELDS, 0)
    for package, c in totals.items():
        rows.append(_row(package, c))
        for field in _FIELDS:
            everything[field] += c[field]
    rows.append(_row("TOTAL", everything))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(r, widths, strict=True)))
             for r in rows]
    rule = "-" * len(lines[0])
    return "\n".join([lines[0], rule, *lines[1:-1], rule, lines[-1]])


def _row(name: str, c: dict[str, int]) -> tuple[str, ...]:
    return (name, str(c["num_statements"]), str(c["num_statements"] - c["covered_lines"]), str(c["num_branches"]),
            str(c["num_branches"] - c["covered_branches"]), f"{percent(c):.1f}%")


def main() -> int:
    cov = coverage.Coverage()
    cov.load()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "coverage.json"
        try:
            cov.json_report(outfile=str(out))
        except coverage.exceptions.NoDataError:
            print("no coverage data: run `make test` (pytest --cov) first", file=sys.stderr)
            return 1
        files = json.loads(out.read_text())["files"]
    print("\ncoverage by package (lines and branches; the services' own processes included)")
    print(table(package_totals(files)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
