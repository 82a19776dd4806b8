"""An in-memory stand-in for the network, handed to the verifier as its fetch callable (unit tests only)."""
from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass
class Response:
    status: int
    body: bytes
    headers: dict
    final_url: str


class MemoryHost:
    """Answers by URL from `routes`: text or bytes (200), JSON-able values (200, encoded), an int (that status
    with no body), an exception (raised, as the safe fetcher raises), or nothing (404). Counts its hits."""

    def __init__(self, routes: dict | None = None):
        self.routes, self.hits = dict(routes or {}), 0

    def __call__(self, url, *, purpose=None, accept=None, max_bytes=None):
        self.hits += 1
        route = self.routes.get(url)
        if isinstance(route, Exception):
            raise route
        if route is None:
            return Response(404, b"", {}, url)
        if isinstance(route, int):
            return Response(route, b"", {}, url)
        if isinstance(route, (str, bytes)):
            return Response(200, route.encode() if isinstance(route, str) else route, {}, url)
        return Response(200, json.dumps(route).encode(), {}, url)
