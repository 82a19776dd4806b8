"""A real HTTP server on loopback standing in for the ATS write APIs credbridge's write-back calls.

Built from each ATS's documentation (the sources are in each client's docstring, services/writeback/clients/):
- Greenhouse Harvest v3: POST /token (HTTP Basic client_id:client_secret, form grant_type=client_credentials and
  sub) -> {"access_token", "token_type", "expires_in"}; every other call needs `Authorization: Bearer <token>`;
  PATCH /v3/applications/{id} {"custom_fields": [{"name_key", "value"}]}; POST /v3/notes {candidate_id,
  application_id, user_id, body, visibility} -> 201 {"id"}; POST /v3/tags {"name"} -> {"id"} (the same id for the
  same name); PUT / DELETE /v3/candidates/{id}/tags/{tag_id}. X-RateLimit-Limit/-Remaining on every answer.
- Lever: HTTP Basic (API key as user name); POST /v1/opportunities/{id}/notes?perform_as= {"value"} ->
  {"data": {"noteId"}}; DELETE …/notes/{noteId} -> 204 (404 when unknown); POST …/addTags and …/removeTags
  {"tags": [...]}.
- generic: POST /callback, verified like credbridge verifies a generic webhook (timestamp + HMAC).
- Greenhouse Assessment: PATCH /integrations/testing_partners/take_home_tests/{id} (the send_test `url`), HTTP Basic
  with the partner key, no body -> 200; `assessment_patches` lists them.
- Workable, Ashby, SmartRecruiters, Teamtailor: tests/support/fake_ats_write_more.py (`fake.workable`, …).
Switchable failures: `fail_next(n)` answers 500, `rate_limit_next(n, retry_after_s)` answers 429 with Retry-After.
"""
from __future__ import annotations

import base64
import itertools
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from services.ingest.signatures import AuthError, verify_generic
from tests.support.fake_ats_write_more import FakeAshby, FakeSmartRecruiters, FakeTeamtailor, FakeWorkable

GREENHOUSE_RATE_LIMIT = 50


class FakeAtsWrites:
    def __init__(self, *, greenhouse_client: tuple[str, str] = ("gh-client", "gh-secret"),
                 lever_key: str = "lever-key", callback_secret: str | None = None, partner_key: str = "partner-key"):
        self.greenhouse_client, self.lever_key, self.callback_secret = greenhouse_client, lever_key, callback_secret
        self.requests: list[dict] = []
        self.tokens: set[str] = set()
        self.gh_fields: dict[str, dict] = {}          # application id -> {name_key: value}
        self.gh_notes: dict[str, list[dict]] = {}     # candidate id -> notes
        self.gh_tag_names: dict[str, str] = {}        # tag name -> id
        self.gh_candidate_tags: dict[str, set[str]] = {}  # candidate id -> tag ids
        self.lever_notes: dict[str, dict[str, dict]] = {}  # opportunity -> noteId -> note
        self.lever_tags: dict[str, set[str]] = {}
        self.callbacks: list[dict] = []
        self.partner_key = partner_key
        self.assessment_patches: list[str] = []       # take-home test ids Greenhouse was told about
        self.workable, self.ashby = FakeWorkable(), FakeAshby()
        self.smartrecruiters, self.teamtailor = FakeSmartRecruiters(), FakeTeamtailor()
        self._ids = itertools.count(1001)
        self._failures = 0
        self._fail_paths: list[str] = []
        self._limited = 0
        self._retry_after_s = 1
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def fail_next(self, n: int) -> None:
        with self._lock:
            self._failures = n

    def fail_once_on(self, path_suffix: str) -> None:
        """The next request whose path ends with `path_suffix` answers 503 (one step of a write failing)."""
        with self._lock:
            self._fail_paths.append(path_suffix)

    def rate_limit_next(self, n: int, *, retry_after_s: int = 1) -> None:
        with self._lock:
            self._limited, self._retry_after_s = n, retry_after_s

    def __enter__(self) -> "FakeAtsWrites":
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- what a recruiter would see -------------------------------------------------------------
    def greenhouse_tags(self, candidate_id: str) -> set[str]:
        names = {v: k for k, v in self.gh_tag_names.items()}
        return {names[t] for t in self.gh_candidate_tags.get(candidate_id, set())}

    def writes(self) -> list[dict]:
        return [r for r in self.requests if r["method"] != "GET" and r["path"] != "/token"]

    # --- the server ----------------------------------------------------------------------------
    def _answer(self, method: str, path: str, headers, body: bytes) -> tuple[int, dict, object]:
        url = urlsplit(path)
        self.requests.append({"method": method, "path": url.path, "query": parse_qs(url.query),
                              "headers": dict(headers), "body": body})
        with self._lock:
            if self._limited > 0:
                self._limited -= 1
                return 429, {"Retry-After": str(self._retry_after_s)}, {"message": "rate limit exceeded"}
            if self._failures > 0:
                self._failures -= 1
                return 500, {}, {"message": "internal error"}
            hit = next((p for p in self._fail_paths if url.path.endswith(p)), None)
            if hit is not None:
                self._fail_paths.remove(hit)
                return 503, {}, {"message": "unavailable"}
        parts = [p for p in url.path.split("/") if p]
        doc = _json(body)
        if url.path == "/token":
            return self._token(headers, body)
        if url.path == "/callback":
            return self._callback(headers, body, doc)
        if method == "PATCH" and parts[:3] == ["integrations", "testing_partners", "take_home_tests"] and len(parts) == 4:
            if headers.get("Authorization") != "Basic " + base64.b64encode(f"{self.partner_key}:".encode()).decode():
                return 401, {}, {"message": "Unauthorized"}
            self.assessment_patches.append(parts[3])
            return 200, {}, {}
        if parts[:1] == ["v3"]:
            if not self._bearer_ok(headers):
                return 401, {}, {"error": "invalid_token"}
            status, doc_out = self._greenhouse(method, parts[1:], doc)
            return status, {"X-RateLimit-Limit": str(GREENHOUSE_RATE_LIMIT),
                            "X-RateLimit-Remaining": str(GREENHOUSE_RATE_LIMIT - 1)}, doc_out
        if parts[:2] == ["v1", "opportunities"]:
            if headers.get("Authorization") != "Basic " + base64.b64encode(f"{self.lever_key}:".encode()).decode():
                return 401, {}, {"code": "Unauthorized"}
            return self._lever(method, parts[2:], doc, parse_qs(url.query))
        for other in (self.workable, self.ashby, self.smartrecruiters, self.teamtailor):
            reply = other.answer(method, parts, headers, doc)
            if reply is not None:
                return reply
        return 404, {}, {"message": "not found"}

    def _token(self, headers, body: bytes) -> tuple[int, dict, object]:
        client_id, secret = self.greenhouse_client
        expected = "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        form = parse_qs(body.decode())
        if headers.get("Authorization") != expected:
            return 401, {}, {"error": "invalid_client"}
        if form.get("grant_type") != ["client_credentials"] or not form.get("sub", [""])[0]:
            return 400, {}, {"error": "invalid_request"}
        token = uuid.uuid4().hex
        self.tokens.add(token)
        return 200, {}, {"access_token": token, "token_type": "bearer", "expires_in": 3600}

    def _bearer_ok(self, headers) -> bool:
        scheme, _, token = (headers.get("Authorization") or "").partition(" ")
        return scheme == "Bearer" and token in self.tokens

    def _greenhouse(self, method: str, parts: list[str], doc) -> tuple[int, object]:
        if method == "PATCH" and len(parts) == 2 and parts[0] == "applications":
            items = doc.get("custom_fields") if isinstance(doc, dict) else None
            if not isinstance(items, list) or not all(isinstance(i, dict) and "name_key" in i for i in items):
                return 422, {"errors": [{"message": "custom_fields must be a list of {name_key, value}"}]}
            self.gh_fields.setdefault(parts[1], {}).update({i["name_key"]: i.get("value") for i in items})
            return 200, {"id": parts[1], "custom_fields": self.gh_fields[parts[1]]}
        if method == "POST" and parts == ["notes"]:
            if not isinstance(doc, dict) or not doc.get("candidate_id") or not doc.get("body") or not doc.get("user_id"):
                return 422, {"errors": [{"message": "candidate_id, user_id and body are required"}]}
            note = {"id": next(self._ids), **doc}
            self.gh_notes.setdefault(str(doc["candidate_id"]), []).append(note)
            return 201, note
        if method == "POST" and parts == ["tags"]:
            name = doc.get("name") if isinstance(doc, dict) else None
            if not isinstance(name, str) or not name:
                return 422, {"errors": [{"message": "name is required"}]}
            tag_id = self.gh_tag_names.setdefault(name, str(next(self._ids)))
            return 201, {"id": int(tag_id), "name": name}
        if len(parts) == 4 and parts[0] == "candidates" and parts[2] == "tags":
            held = self.gh_candidate_tags.setdefault(parts[1], set())
            if parts[3] not in self.gh_tag_names.values():
                return 404, {"errors": [{"message": "no such tag"}]}
            if method == "PUT":
                held.add(parts[3])
                return 204, None
            if method == "DELETE":
                if parts[3] not in held:
                    return 404, {"errors": [{"message": "the candidate has no such tag"}]}
                held.discard(parts[3])
                return 204, None
        return 404, {"errors": [{"message": "not found"}]}

    def _lever(self, method: str, parts: list[str], doc, query: dict) -> tuple[int, dict, object]:
        opp = parts[0] if parts else ""
        if method == "POST" and parts[1:] == ["notes"]:
            if not isinstance(doc, dict) or not isinstance(doc.get("value"), str):
                return 400, {}, {"code": "BadRequest", "message": "value is required"}
            note_id = str(uuid.uuid4())
            self.lever_notes.setdefault(opp, {})[note_id] = {"value": doc["value"], "user": query.get("perform_as")}
            return 200, {}, {"data": {"noteId": note_id}}
        if method == "DELETE" and len(parts) == 3 and parts[1] == "notes":
            if self.lever_notes.get(opp, {}).pop(parts[2], None) is None:
                return 404, {}, {"code": "ResourceNotFound"}
            return 204, {}, None
        if method == "POST" and parts[1:] in (["addTags"], ["removeTags"]):
            tags = doc.get("tags") if isinstance(doc, dict) else None
            if not isinstance(tags, list):
                return 400, {}, {"code": "BadRequest", "message": "tags must be a list"}
            held = self.lever_tags.setdefault(opp, set())
            held.update(tags) if parts[1] == "addTags" else held.difference_update(tags)
            return 200, {}, {"data": {"id": opp, "tags": sorted(held)}}
        return 404, {}, {"code": "ResourceNotFound"}

    def _callback(self, headers, body: bytes, doc) -> tuple[int, dict, object]:
        try:
            verify_generic(secrets=[self.callback_secret or ""], timestamp=headers.get("X-Credbridge-Timestamp"),
                           signature=headers.get("X-Credbridge-Signature"), body=body, now=time.time(), window_s=300)
        except AuthError as exc:
            return 401, {}, {"title": str(exc)}
        self.callbacks.append(doc)
        return 204, {}, None

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                status, headers, doc = fake._answer(self.command, self.path, self.headers, body)
                out = b"" if doc is None else json.dumps(doc).encode()
                try:
                    self.send_response(status)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    if out:
                        self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(out)))
                    self.end_headers()
                    self.wfile.write(out)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve  # noqa: N815 (http.server's naming)

            def log_message(self, *_args):
                pass

        return Handler


def _json(body: bytes):
    try:
        return json.loads(body) if body else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
