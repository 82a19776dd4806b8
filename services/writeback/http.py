"""ATS HTTP for the write-back clients: JSON in and out through shared/fetch.py's safe sender, errors sorted by policy."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Callable, Mapping

from shared.fetch import Fetcher, FetchFailed, FetchRefused

from services.writeback import policy

# (tenant-free) what the connection's limiter is told after every response: when it may send again, if ever.
OnLimits = Callable[[float | None], None]


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Mapping[str, str]
    doc: object   # the parsed JSON body, or None


class AtsHttp:
    """One connection's HTTP: every call goes through `Fetcher.send` (SSRF rules, timeouts, size cap)."""

    def __init__(self, fetcher: Fetcher, *, on_limits: OnLimits | None = None,
                 clock: Callable[[], float] = time.time):
        self.fetcher, self.on_limits, self.clock = fetcher, on_limits, clock

    def call(self, method: str, url: str, *, what: str, headers: Mapping[str, str] | None = None,
             json_body: object = None, form: bytes | None = None, raw: bytes | None = None,
             ok_statuses: tuple[int, ...] = ()) -> Answer:
        """Sends one request; returns a 2xx (or a status in `ok_statuses`) answer, else raises a policy.WriteError.

        `raw` is sent byte for byte (a signed body); `json_body` is serialised; `form` is a urlencoded body.
        """
        hdrs = {"Accept": "application/json", **(headers or {})}
        body = raw
        if json_body is not None:
            body = json.dumps(json_body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        elif form is not None:
            body = form
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            got = self.fetcher.send(method, url, purpose="ats_write", headers=hdrs, body=body)
        except FetchRefused as exc:
            raise policy.Permanent("refused", f"{what}: {exc}") from None
        except FetchFailed as exc:
            raise policy.Transient(exc.reason, f"{what}: {exc}") from None
        now = self.clock()
        if self.on_limits is not None:
            self.on_limits(policy.blocked_until(got.headers, now=now))
        if got.status not in ok_statuses:
            error = policy.classify(got.status, got.headers, now=now, what=what)
            if error is not None:
                raise error
        return Answer(status=got.status, headers=got.headers, doc=_json(got.body))


def _json(body: bytes) -> object:
    if not body:
        return None
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None


def field_of(doc: object, *path: str) -> object:
    """doc[path[0]][path[1]]…, or None where any step is missing or not an object."""
    for key in path:
        if not isinstance(doc, dict):
            return None
        doc = doc.get(key)
    return doc
