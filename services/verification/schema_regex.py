"""Every regular expression a JSON Schema applies, run by RE2 (linear time) instead of Python's backtracking `re`.

jsonschema calls `re.search` for `pattern`, `patternProperties` (and so `additionalProperties`) and
`re.compile` for `format: "regex"`; Python's `re` backtracks, so `^(a+)+$` against 24 a's and a "!" takes
0.6 s and each further character doubles it. Here those keywords match with RE2, whose time is linear in
the text times the pattern's compiled size, both bounded (schema_budget.py). JSON Schema 2020-12 §6.4
says patterns are ECMA-262 regular expressions; RE2 has no backreferences or lookaround, so a schema that
uses them cannot be evaluated here and says so (Unsupported) rather than pass or fail. `\\uXXXX` escapes,
which ECMA-262 has and RE2 spells `\\x{XXXX}`, are translated. RE2's `$` matches only at the end, as
ECMA-262's does (Python's also before a final newline).
"""
from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

import re2  # type: ignore[import-untyped]
from jsonschema.exceptions import ValidationError

from services.verification import schema_budget

MAX_PATTERN_CHARS = 2_000  # real schemas' patterns (dates, emails, URLs, identifiers) are well under 200
MAX_PROGRAM = 2_000  # RE2 instructions; `\d{4}-\d{2}-\d{2}` is about 30, `[ab]{1000}` about 1,000
_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # RE2 would log the schema's text (the credential author's) to stderr
_OPTIONS.never_capture = True  # only whether it matches: no submatch work
_OPTIONS.max_mem = 1 << 20  # each compiled pattern's program and DFA cache; 8 MiB by default


class Unsupported(ValueError):
    """A pattern RE2 cannot run: a backreference, lookaround, another feature it lacks, or too large."""


@functools.lru_cache(maxsize=256)
def compile_pattern(pattern: str) -> Any:
    """The pattern compiled by RE2, or Unsupported; the last few hundred patterns are kept compiled."""
    if len(pattern) > MAX_PATTERN_CHARS:
        raise Unsupported(f"a pattern is longer than {MAX_PATTERN_CHARS} characters")
    try:
        compiled = re2.compile(_ecma_escapes(pattern), _OPTIONS)
    except (re2.error, UnicodeEncodeError):
        raise Unsupported("a pattern uses a feature RE2 lacks (a backreference or lookaround) "
                          "or is not a regular expression") from None
    if compiled.programsize > MAX_PROGRAM:
        raise Unsupported(f"a pattern compiles to more than {MAX_PROGRAM} instructions")
    return compiled


def search(pattern: str, text: str) -> bool:
    """Whether `pattern` matches anywhere in `text` (JSON Schema's `pattern` is not anchored), charged to the budget."""
    compiled = compile_pattern(pattern)
    # A JSON string may hold a lone surrogate ("\ud800"), which strict UTF-8 cannot encode; RE2 reads its
    # three bytes as one character, as ECMA-262 reads the surrogate as one code unit.
    data = text.encode("utf-8", "surrogatepass")
    schema_budget.current().match((len(data) + 1) * compiled.programsize)
    return compiled.search(data) is not None


def is_regex(instance: object) -> bool:
    """`format: "regex"`: a string RE2 compiles (Unsupported otherwise); other types are not this format's concern."""
    if isinstance(instance, str):
        compile_pattern(instance)
    return True


def _ecma_escapes(pattern: str) -> str:
    r"""ECMA-262's `\uXXXX` (a surrogate pair as one code point) in RE2's spelling `\x{XXXX}`; the rest as it is."""
    out, i = [], 0
    while i < len(pattern):
        if pattern[i] == "\\" and pattern[i + 1:i + 2] == "u" and _hex4(pattern, i + 2):
            code = int(pattern[i + 2:i + 6], 16)
            i += 6
            if 0xD800 <= code < 0xDC00 and pattern[i:i + 2] == "\\u" and _hex4(pattern, i + 2):
                low = int(pattern[i + 2:i + 6], 16)
                if 0xDC00 <= low < 0xE000:
                    code, i = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00), i + 6
            out.append(f"\\x{{{code:X}}}")
        elif pattern[i] == "\\":
            out.append(pattern[i:i + 2])  # any other escape, `\\` included, is kept whole
            i += 2
        else:
            out.append(pattern[i])
            i += 1
    return "".join(out)


def _hex4(text: str, at: int) -> bool:
    digits = text[at:at + 4]
    return len(digits) == 4 and all(c in "0123456789abcdefABCDEF" for c in digits)


# jsonschema keyword functions (validator, keyword value, instance, schema) -> errors, as in jsonschema._keywords.

def pattern(validator: Any, patrn: Any, instance: Any, schema: Any) -> Iterator[ValidationError]:
    if validator.is_type(instance, "string") and isinstance(patrn, str) and not search(patrn, instance):
        yield ValidationError("the string does not match the schema's pattern")


def pattern_properties(validator: Any, patterns: Any, instance: Any, schema: Any) -> Iterator[ValidationError]:
    if not validator.is_type(instance, "object"):
        return
    for patrn, subschema in patterns.items():
        for key, value in instance.items():
            if search(patrn, key):
                yield from validator.descend(value, subschema, path=key, schema_path=patrn)


def additional_properties(validator: Any, additional: Any, instance: Any, schema: Any) -> Iterator[ValidationError]:
    """JSON Schema 2020-12 §10.3.2.3: properties neither `properties` nor `patternProperties` name."""
    if not validator.is_type(instance, "object"):
        return
    named, patterns = schema.get("properties", {}), schema.get("patternProperties", {})
    extras = [key for key in instance if key not in named and not any(search(p, key) for p in patterns)]
    if validator.is_type(additional, "object"):
        for extra in extras:
            yield from validator.descend(instance[extra], additional, path=extra)
    elif additional is False and extras:
        yield ValidationError(f"additional properties are not allowed ({len(extras)} unexpected)")


KEYWORDS = {"pattern": pattern, "patternProperties": pattern_properties, "additionalProperties": additional_properties}
