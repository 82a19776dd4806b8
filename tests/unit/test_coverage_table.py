"""make test's per-package coverage table sums coverage.py's per-file counts by folder, lines and branches together."""
from __future__ import annotations

from tests.support.coverage_table import package_totals, percent, table


def summary(statements: int, covered: int, branches: int, taken: int) -> dict:
    return {"summary": {"num_statements": statements, "covered_lines": covered, "num_branches": branches,
                        "covered_branches": taken}}


def test_files_are_summed_by_package_and_covered_as_coverage_py_counts_lines_and_branches():
    files = {"services/verification/status.py": summary(10, 5, 4, 1),
             "services/verification/ob2.py": summary(10, 10, 6, 6), "shared/fetch.py": summary(4, 4, 0, 0)}
    totals = package_totals(files)
    assert list(totals) == ["services.verification", "shared"]
    assert totals["services.verification"] == {"num_statements": 20, "covered_lines": 15, "num_branches": 10,
                                               "covered_branches": 7}
    assert round(percent(totals["services.verification"]), 1) == 73.3  # (15 + 7) / (20 + 10)
    assert table(totals).splitlines()[-1].split() == ["TOTAL", "24", "5", "10", "3", "76.5%"]
