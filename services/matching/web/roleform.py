"""A role's editor form and the body `PUT /v1/roles/<id>` takes, both ways, so the page validates with the very
RoleSchema the API uses (pure: no Flask, no database).

The form holds strings as typed. `body_from_form` turns them into the JSON the API would be sent (numbers where
they read as numbers, the raw text where they do not, so the schema's own message says what is wrong) and
`errors_onto_form` puts the schema's messages back on the fields they belong to.
"""
from __future__ import annotations

import json
import re
from typing import Mapping

from services.matching.credibility import TIERS

ROW_FIELDS = ("id", "competency", "importance", "weight", "min_level", "max_age_months", "aliases",
              "concept_framework", "concept_uri", "concept_code", "stack", "stack_count", "stack_of", "stack_items")
STACK_KINDS = ("", "any_of", "narrower")
MAX_ROWS = 200  # RoleSchema's MAX_REQUIREMENTS
_SLUG = re.compile(r"[^a-z0-9]+")


def blank_row() -> dict:
    return {name: "" for name in ROW_FIELDS} | {"importance": "essential", "weight": "1", "errors": {}}


def form_from_role(role: dict) -> dict:
    """The editor's fields for a stored role."""
    policy = role.get("credibility") or {}
    return {"role_id": role.get("role_id", ""), "title": role.get("title") or "",
            "description": role.get("description") or "", "job_ids": ", ".join(role.get("job_ids") or []),
            "essential_minimum": policy.get("essential_minimum") or "",
            "weights": {t: _text((policy.get("weights") or {}).get(t)) for t in TIERS},
            "rows": [_row_from_requirement(r) for r in role.get("requirements") or []], "errors": {}}


def _row_from_requirement(r: dict) -> dict:
    concept = r.get("concept") or {}
    stack, narrower = r.get("any_of"), r.get("narrower")
    row = blank_row() | {
        "id": r.get("id", ""), "competency": r.get("competency", ""), "importance": r.get("importance", ""),
        "weight": _text(r.get("weight")), "min_level": _text(r.get("min_level")),
        "max_age_months": _text(r.get("max_age_months")), "aliases": ", ".join(r.get("aliases") or []),
        "concept_framework": concept.get("framework") or "", "concept_uri": concept.get("uri") or "",
        "concept_code": concept.get("code") or ""}
    if stack:
        row |= {"stack": "any_of", "stack_count": _text(stack.get("count")),
                "stack_of": "\n".join(i.get("label", "") for i in stack.get("of") or []),
                "stack_items": json.dumps(stack.get("of") or [])}
    elif narrower:
        row |= {"stack": "narrower", "stack_count": _text(narrower.get("count"))}
    return row


def form_from_post(form: Mapping[str, str]) -> dict:
    """The editor's fields as posted: `r-<i>-<field>` per requirement row, in the order of their numbers."""
    numbers = sorted({int(m.group(1)) for k in form if (m := re.fullmatch(r"r-(\d{1,3})-id", k))})[:MAX_ROWS]
    rows = [blank_row() | {f: (form.get(f"r-{n}-{f}") or "").strip() for f in ROW_FIELDS} for n in numbers]
    return {"role_id": (form.get("role_id") or "").strip(), "title": (form.get("title") or "").strip(),
            "description": (form.get("description") or "").strip(), "job_ids": (form.get("job_ids") or "").strip(),
            "essential_minimum": (form.get("essential_minimum") or "").strip(),
            "weights": {t: (form.get(f"weight-{t}") or "").strip() for t in TIERS}, "rows": rows, "errors": {}}


def body_from_form(state: dict) -> tuple[dict, list[int]]:
    """The PUT body, and for each of its requirements the form row it came from (blank rows are left out)."""
    requirements, origin = [], []
    for n, row in enumerate(state["rows"]):
        if not any(row.get(f) for f in ("id", "competency", "min_level", "max_age_months", "aliases", "stack_of",
                                        "concept_uri", "concept_code")):
            continue
        requirements.append(_requirement(row))
        origin.append(n)
    body: dict = {"title": state["title"], "requirements": requirements,
                  "job_ids": [j for j in re.split(r"[\s,]+", state["job_ids"]) if j],
                  "description": state["description"] or None}
    weights = {t: _number(v) for t, v in state["weights"].items() if v}
    if weights or state["essential_minimum"]:
        body["credibility"] = {"weights": weights, "essential_minimum": state["essential_minimum"] or None}
    return body, origin


def _requirement(row: dict) -> dict:
    found: dict = {"id": row["id"] or slug(row["competency"]), "competency": row["competency"],
                   "importance": row["importance"], "aliases": [a.strip() for a in row["aliases"].split(",") if a.strip()]}
    if row["weight"]:
        found["weight"] = _number(row["weight"])
    if row["min_level"]:
        found["min_level"] = _number(row["min_level"])
    if row["max_age_months"]:
        found["max_age_months"] = _number(row["max_age_months"])
    if row["concept_framework"] or row["concept_uri"] or row["concept_code"]:
        found["concept"] = {"framework": row["concept_framework"] or _framework_of(row["concept_uri"]),
                            "uri": row["concept_uri"] or None, "code": row["concept_code"] or None}
    if row["stack"] == "any_of":
        found["any_of"] = {"count": _integer(row["stack_count"]), "of": _stack_items(row)}
    elif row["stack"] == "narrower":
        found["narrower"] = {"count": _integer(row["stack_count"])}
    return found


def _stack_items(row: dict) -> list[dict]:
    # An item the stored role gave aliases or a concept keeps them when its label is kept (the form shows labels).
    try:
        kept = {i["label"]: i for i in json.loads(row["stack_items"] or "[]") if isinstance(i, dict) and "label" in i}
    except (ValueError, TypeError):
        kept = {}
    labels = [line.strip() for line in row["stack_of"].splitlines() if line.strip()]
    return [kept.get(label) or {"label": label} for label in labels]


def errors_onto_form(state: dict, messages: dict, origin: list[int]) -> dict:
    """The schema's messages on the form: the role's own fields in `errors`, each requirement's on its row."""
    errors: dict[str, str] = {}
    for name, found in messages.items():
        if name == "requirements" and isinstance(found, dict):
            for index, row_errors in found.items():
                if isinstance(index, int) and 0 <= index < len(origin) and isinstance(row_errors, dict):
                    state["rows"][origin[index]]["errors"] = _row_errors(row_errors)
                else:
                    errors["requirements"] = _flat(row_errors)
        elif name == "credibility":
            errors["credibility"] = _flat(found)
        else:
            errors[str(name)] = _flat(found)
    state["errors"] = errors
    return state


def _row_errors(found: dict) -> dict[str, str]:
    fields = {"any_of": "stack", "narrower": "stack", "concept": "concept"}
    errors: dict[str, str] = {}
    for name, message in found.items():
        key = fields.get(str(name), str(name))
        errors[key] = "; ".join(filter(None, (errors.get(key), _flat(message))))
    return errors


def _flat(found: object) -> str:
    """Nested marshmallow messages as one line: "count: Must be ...; of: 1: label: ..."."""
    if isinstance(found, dict):
        return "; ".join(f"{k}: {_flat(v)}" if k != "_schema" else _flat(v) for k, v in found.items())
    if isinstance(found, (list, tuple)):
        return " ".join(_flat(v) for v in found)
    return str(found)


def slug(text: str) -> str:
    """A requirement id from its competency ("Python programming" -> "python-programming")."""
    return _SLUG.sub("-", text.lower()).strip("-")[:60]


def _framework_of(uri: str) -> str:
    return "ESCO" if uri.startswith("http://data.europa.eu/esco/") else ""


def _number(text: str) -> object:
    """A number where the text reads as one; the text itself otherwise, for the schema to refuse by name."""
    try:
        value = float(text)
    except ValueError:
        return text
    return int(value) if value.is_integer() and "." not in text and "e" not in text.lower() else value


def _integer(text: str) -> object:
    return int(text) if re.fullmatch(r"-?\d{1,9}", text) else text


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
