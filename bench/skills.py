"""Prints the precision and recall of ESCO concept recognition on the labelled sets (no timed assertions).

    .venv/bin/python bench/skills.py [--verbose]

Credential titles (tests/fixtures/skills/credential_titles.json): the concepts recognise_title finds in each
title. Job adverts (tests/fixtures/skills/job_adverts.json), when present: the concepts suggest() proposes.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from services.matching.skills.evaluate import cases_from, evaluate  # noqa: E402
from services.matching.skills.recognise import recognise_title  # noqa: E402
from services.matching.skills.taxonomy import esco_taxonomy  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "skills"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true", help="list every miss and every extra concept")
    args = parser.parse_args()
    started = time.perf_counter()
    taxonomy = esco_taxonomy()
    print(f"taxonomy loaded in {time.perf_counter() - started:.1f} s: {len(taxonomy.preferred)} concepts")
    titles = cases_from(json.loads((FIXTURES / "credential_titles.json").read_text()), text_key="title")
    report("credential titles", evaluate(titles, find=lambda t: [f.concept for f in recognise_title(t, taxonomy)],
                                         taxonomy=taxonomy), count=len(titles), verbose=args.verbose)
    adverts_file = FIXTURES / "job_adverts.json"
    if adverts_file.exists():
        from services.matching.skills.suggest import suggest
        data = json.loads(adverts_file.read_text())
        adverts = cases_from(data, text_key="description")
        report("job adverts", evaluate(adverts, find=lambda d: [s.concept for s in suggest(d, taxonomy)],
                                       taxonomy=taxonomy), count=len(adverts), verbose=args.verbose)
        right, asked = importance_agreement(data, suggest=lambda d: suggest(d, taxonomy), verbose=args.verbose)
        print(f"job adverts: suggested importance as expected for {right} of {asked} labelled concepts")


def importance_agreement(data: dict, *, suggest, verbose: bool) -> tuple[int, int]:
    right = asked = 0
    for case in data["cases"]:
        by_label = {s.label: s.importance for s in suggest(case["description"])}
        for label, expected in case.get("importance", {}).items():
            asked += 1
            right += by_label.get(label) == expected
            if verbose and by_label.get(label) != expected:
                print(f"  importance  {case['id']}: {label} suggested {by_label.get(label)}, expected {expected}")
    return right, asked


def report(name: str, tally, *, count: int, verbose: bool) -> None:
    print(f"{name}: {count} cases, precision {tally.precision:.2f} ({tally.true_positives} of "
          f"{tally.true_positives + tally.false_positives} found), recall {tally.recall:.2f} "
          f"({tally.wants_met} of {tally.wants} wanted)")
    if verbose:
        for miss in tally.misses:
            print(f"  missed  {miss}")
        for extra in tally.extras:
            print(f"  extra   {extra}")


if __name__ == "__main__":
    main()
