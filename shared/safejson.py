"""JSON from strangers: parsed with a bound on nesting, so a deep body is a parse error, never a RecursionError."""
from __future__ import annotations

import json
from typing import Any, Iterable

# Credentials, webhooks and DID documents nest a dozen levels at most. Deeper input is refused where it is read,
# before any recursive code (canonicalisation, marshmallow, json.dumps) meets it. A fixed limit, not a setting:
# raising it buys nothing and lowering it refuses real credentials.
MAX_DEPTH = 64
# An event carries a document inside its envelope, so events are allowed twice the depth of what they carry.
MAX_EVENT_DEPTH = 2 * MAX_DEPTH


class TooDeep(json.JSONDecodeError):
    """Nested deeper than allowed; a JSONDecodeError, so every caller treats it as malformed JSON."""

    def __init__(self, max_depth: int):
        super().__init__(f"nested deeper than {max_depth} levels", "", 0)


def loads(raw: str | bytes, *, max_depth: int = MAX_DEPTH, **kwargs: Any) -> Any:
    """json.loads (same keyword arguments), refusing nesting deeper than `max_depth` with TooDeep."""
    try:
        doc = json.loads(raw, **kwargs)
    except RecursionError:
        raise TooDeep(max_depth) from None
    if depth(doc, stop_after=max_depth) > max_depth:
        raise TooDeep(max_depth)
    return doc


def depth(value: Any, *, stop_after: int | None = None) -> int:
    """How deeply arrays and objects nest in `value` (a scalar is 0, `{}` is 1); counted without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, level = stack.pop()
        children: Iterable[Any]
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        deepest = max(deepest, level)
        if stop_after is not None and deepest > stop_after:
            return deepest
        stack.extend((child, level + 1) for child in children if isinstance(child, (dict, list)))
    return deepest
