"""A JSON Schema evaluated with every regular expression in RE2 and every keyword charged to the work budget.

jsonschema 4.26 is extended, not patched: each draft's validator class gets schema_regex's keywords and
schema_budget's metering. Two ways around that class are closed here: jsonschema's `evolve` picks its stock
class again for any (sub)schema that has a `$schema` (so no schema this evaluates has one), and it finds the
properties `patternProperties` evaluated for `unevaluatedProperties` with Python's `re` (so that pairing is
refused, NotEvaluated, rather than run unbounded).
"""
from __future__ import annotations

import functools
from typing import Any

import jsonschema
import referencing
import referencing.jsonschema
from jsonschema_specifications import REGISTRY as META_SCHEMAS  # type: ignore[import-untyped]  # jsonschema's own

from services.verification import schema_budget, schema_regex


class NotEvaluated(ValueError):
    """The schema uses something jsonschema would evaluate outside RE2 and the budget; says what."""


def _refuse_what_escapes(schema: object) -> None:
    if isinstance(schema, dict) and any(_mentions(v, "$schema") for k, v in schema.items() if k != "$schema"):
        raise NotEvaluated("embeds a schema resource with its own $schema")
    if _mentions(schema, "unevaluatedProperties") and _mentions(schema, "patternProperties"):
        raise NotEvaluated("uses unevaluatedProperties beside patternProperties")


def first_error(instance: object, schema: dict | bool, *,
                check_schema: bool) -> jsonschema.exceptions.ValidationError | None:
    """The most relevant error of `instance` against `schema` (None: it matches), first checking the schema
    against its meta-schema if `check_schema`.

    Raises NotEvaluated, schema_regex.Unsupported, schema_budget.OverBudget, RecursionError (a schema that
    refers to itself without end), jsonschema's SchemaError and referencing's Unresolvable.
    """
    _refuse_what_escapes(schema)
    # Once the draft is known, no `$schema` (see the module's docstring): the meta-schemas are _meta_schemas()'
    # copies, the credential's schema loses its own (a nested one was refused).
    draft = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    if check_schema:
        _check_schema(schema, draft)
    if isinstance(schema, dict):
        schema = {k: v for k, v in schema.items() if k != "$schema"}
    # An explicit registry: jsonschema's default would fetch a remote $ref with urllib, past shared/fetch.
    validator = _linear(draft)(schema, registry=_meta_schemas())
    return jsonschema.exceptions.best_match(validator.iter_errors(instance))


def _check_schema(schema: dict | bool, draft: Any) -> None:
    """As draft.check_schema, but with the linear regexes and within the budget."""
    meta_draft = jsonschema.validators.validator_for(draft.META_SCHEMA, default=draft)
    meta_schemas = _meta_schemas()
    meta_id = draft.META_SCHEMA.get("$id", draft.META_SCHEMA.get("id", ""))
    meta = _linear(meta_draft)(meta_schemas.contents(meta_id.rstrip("#")), registry=meta_schemas,
                               format_checker=_formats(draft))
    for problem in meta.iter_errors(schema):
        raise jsonschema.exceptions.SchemaError.create_from(problem)


@functools.cache
def _meta_schemas() -> referencing.Registry:
    """jsonschema's bundled meta-schemas, each without its `$schema` (the resource keeps its dialect).

    jsonschema adds its own copies to any registry, but these, crawled, win both for contents and for
    anchors, so a `$ref` to a meta-schema (`{"$ref": "https://json-schema.org/draft/2020-12/schema"}`) is
    evaluated by our validator class too. Nothing else is in it: any other `$ref` is Unresolvable.
    """
    resources = []
    for uri in META_SCHEMAS:
        contents = META_SCHEMAS.contents(uri)
        dialect = referencing.jsonschema.specification_with(contents["$schema"])
        resources.append((uri, dialect.create_resource({k: v for k, v in contents.items() if k != "$schema"})))
    return referencing.Registry().with_resources(resources).crawl()


@functools.cache
def _linear(draft: Any) -> Any:
    """The draft's validator class with RE2 for its regex keywords and every keyword charged to the budget."""
    keywords = {name: schema_budget.metered(schema_regex.KEYWORDS.get(name, keyword))
                for name, keyword in draft.VALIDATORS.items()}
    return jsonschema.validators.extend(draft, validators=keywords)


@functools.cache
def _formats(draft: Any) -> jsonschema.FormatChecker:
    """The draft's format checker with `regex` checked by RE2 (jsonschema's compiles with Python's `re`)."""
    formats = jsonschema.FormatChecker(formats=())
    formats.checkers = {**draft.FORMAT_CHECKER.checkers, "regex": (schema_regex.is_regex, ())}
    return formats


def _mentions(schema: object, keyword: str) -> bool:
    """Whether any object in the schema has `keyword` as a key (walked without recursion)."""
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if keyword in node:
                return True
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False
