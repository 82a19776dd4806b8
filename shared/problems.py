"""RFC 9457 problem details: the one error shape every HTTP answer uses."""
from __future__ import annotations

import json

from flask import Response

PROBLEM_JSON = "application/problem+json"


class Problem(Exception):
    """Raise anywhere in a request to answer with a problem document."""

    def __init__(self, status: int, title: str, detail: str = "", *, type_: str | None = None,
                 errors: dict | None = None, headers: dict | None = None):
        super().__init__(detail or title)
        self.status, self.title, self.detail = status, title, detail
        self.type = type_ or f"https://credbridge.dev/problems/{title.lower().replace(' ', '-')}"
        self.errors, self.headers = errors, headers or {}

    def response(self) -> Response:
        body = {"type": self.type, "title": self.title, "status": self.status, "detail": self.detail}
        if self.errors:
            body["errors"] = self.errors
        return Response(json.dumps(body), status=self.status, mimetype=PROBLEM_JSON, headers=self.headers)
