"""An in-memory stand-in for the network, handed to the verifier as its fetch callable (unit tests only)."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass


@dataclass
class Response:
    status: int
    body: bytes
    headers: dict
    final_url: str


class MemoryHost:
    """Answers by URL from `routes`: text or bytes (200), JSON-able values (200, encoded), an int (that status
    with no body), an exception (raised, as the safe fetcher raises), or nothing (404). Counts its hits, takes
    `delay_s` to answer each, and keeps the deadline each fetch was given."""

    def __init__(self, routes: dict | None = None, *, delay_s: float = 0.0):
        self.routes, self.hits, self.delay_s, self.deadlines = dict(routes or {}), 0, delay_s, []

    def __call__(self, url, *, purpose=None, accept=None, max_bytes=None, deadline_s=None):
        self.hits += 1
        self.deadlines.append(deadline_s)
        if self.delay_s:
            time.sleep(self.delay_s)
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
