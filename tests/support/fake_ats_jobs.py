"""A real HTTP server on loopback standing in for the six ATSs' job APIs, each answering as its documentation shows
(the sources are in services/ingest/jobs/apis.py) and refusing a request without the provider's own authentication.

One job per provider, all with the same advert (ADVERT_HTML: headings, lists, an entity, a script that must not
reach the text); `fail_next(n)` answers 500 n times; `calls` lists (method, path, body) of every request.

Greenhouse is Harvest v3 (https://harvestdocs.greenhouse.io/docs/authentication, .../docs/list-endpoints):
POST /token with HTTP Basic CLIENT_ID:CLIENT_SECRET and the form grant_type=client_credentials&sub=<user id> ->
{"access_token", "token_type", "expires_in"}; GET /v3/job_posts?job_ids=<id> with `Authorization: Bearer <token>`
-> a JSON array of the job's posts (an internal-only one first, then the public one). `revoke_tokens()` makes every
token issued so far answer 401; `rate_limit_next(n)` answers the job posts list 429 n times. The v1 routes are gone.
"""
from __future__ import annotations

import base64
import json
import uuid
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from tests.support.fake_ats import FakeATS

KEY = "job-api-key"
CLIENT_ID, CLIENT_SECRET, ACTING_USER = "gh-job-client", "gh-job-secret", "4080"
JOB = {"greenhouse": "4011", "lever": "post-7", "workable": "AB12CD", "ashby": "job-9",
       "smartrecruiters": "sr-5", "teamtailor": "77"}
ADVERT_HTML = ("<h2>About the role</h2><p>You will build data pipelines &amp; APIs.</p>"
               "<script>document.write('Cobol')</script>"
               "<ul><li>You <b>must</b> know Python and SQL.</li><li>Experience with Kubernetes is required.</li>"
               "<li>Nice to have: Terraform.</li></ul>")
TITLE = "Data Engineer"
_BASIC = "Basic " + base64.b64encode(f"{KEY}:".encode()).decode()


def _routes() -> dict[tuple[str, str], tuple[str, object]]:
    """(method, path) -> (the authorization the provider wants, the answer)."""
    sr_section = {"title": "Qualifications", "text": ADVERT_HTML}
    return {
        ("GET", f"/v1/postings/{JOB['lever']}"): (
            "basic", {"data": {"id": JOB["lever"], "text": TITLE, "content": {
                "description": "You will build data pipelines & APIs.",
                "descriptionHtml": "<p>You will build data pipelines &amp; APIs.</p>",
                "lists": [{"text": "Requirements", "content": "<li>You <b>must</b> know Python and SQL.</li>"
                                                              "<li>Experience with Kubernetes is required.</li>"},
                          {"text": "Bonus", "content": "<li>Nice to have: Terraform.</li>"}],
                "closingHtml": "<p>Apply today.</p>"}}}),
        ("GET", f"/spi/v3/jobs/{JOB['workable']}"): (
            "bearer", {"id": "61", "shortcode": JOB["workable"], "title": TITLE, "full_description": ADVERT_HTML,
                       "description": "<p>short</p>"}),
        ("POST", "/job.info"): ("basic", {"success": True, "results": {"id": JOB["ashby"], "title": TITLE,
                                                                       "jobPostingIds": ["posting-1"]}}),
        ("POST", "/jobPosting.info"): ("basic", {"success": True, "results": {
            "id": "posting-1", "title": TITLE, "descriptionHtml": ADVERT_HTML,
            "descriptionPlain": "plain text only"}}),
        ("GET", f"/jobs/{JOB['smartrecruiters']}"): ("smarttoken", {"id": JOB["smartrecruiters"], "title": TITLE}),
        ("GET", f"/jobs/{JOB['smartrecruiters']}/jobads"): (
            "smarttoken", {"totalFound": 1, "content": [{"id": "ad-1", "title": TITLE, "jobAd": {"sections": {
                "companyDescription": {"title": "Company", "text": "<p>We move freight.</p>"},
                "jobDescription": {"title": "Job", "text": "<p>You will build data pipelines &amp; APIs.</p>"},
                "qualifications": sr_section}}}]}),
        ("GET", f"/v1/jobs/{JOB['teamtailor']}"): (
            "token", {"data": {"id": JOB["teamtailor"], "type": "jobs",
                               "attributes": {"title": TITLE, "body": ADVERT_HTML, "pitch": "Join us"}}}),
    }


def _authorised(kind: str, headers) -> bool:
    got = headers.get("Authorization")
    return {"basic": got == _BASIC, "bearer": got == f"Bearer {KEY}",
            "smarttoken": headers.get("X-SmartToken") == KEY,
            "token": got == f"Token token={KEY}" and bool(headers.get("X-Api-Version"))}[kind]


class FakeJobAPIs(FakeATS):
    """FakeATS's server, failures and slowness, answering the job APIs by method and path (and what `serve` added)."""

    def __init__(self) -> None:
        super().__init__()
        self.jobs = _routes()
        self.calls: list[tuple[str, str, object]] = []
        self.job_posts: dict[str, list[dict]] = {JOB["greenhouse"]: [
            {"id": 11, "job_id": int(JOB["greenhouse"]), "title": "Internal transfer", "live": True, "internal": True,
             "active": True, "content": "<p>For current staff only.</p>"},
            {"id": 12, "job_id": int(JOB["greenhouse"]), "title": TITLE, "live": True, "internal": False,
             "active": True, "content": ADVERT_HTML}]}
        self.tokens: set[str] = set()
        self._limited = 0

    def revoke_tokens(self) -> None:
        with self._lock:
            self.tokens.clear()

    def rate_limit_next(self, n: int) -> None:
        with self._lock:
            self._limited = n

    def _answer(self, method: str, path: str, headers, body: bytes) -> tuple[int, str, bytes]:
        doc = json.loads(body) if body and path != "/token" else (body.decode() if body else None)
        self.calls.append((method, path, doc))
        with self._lock:
            if self._failures > 0:
                self._failures -= 1
                return 500, "application/json", b'{"message": "internal error"}'
        if path == "/token" or path.startswith("/v3/"):
            status, answer = self._greenhouse(method, path, headers, body)
            return status, "application/json", json.dumps(answer).encode()
        route = self.jobs.get((method, path))
        if route is None:
            status, answer = self.routes.get(path, (404, b'{"message": "not found"}'))  # FakeATS's own `serve`
            return status, "application/json", answer
        kind, answer = route
        if not _authorised(kind, headers):
            return 401, "application/json", b'{"message": "unauthorised"}'
        if path == "/jobPosting.info" and (doc or {}).get("jobPostingId") != "posting-1":
            return 200, "application/json", b'{"success": false, "errors": ["not found"]}'
        ctype = "application/vnd.api+json" if kind == "token" else "application/json"
        return 200, ctype, json.dumps(answer).encode()

    def _greenhouse(self, method: str, path: str, headers, body: bytes) -> tuple[int, object]:
        url = urlsplit(path)
        if (method, url.path) == ("POST", "/token"):
            form = parse_qs(body.decode())
            if headers.get("Authorization") != "Basic " + base64.b64encode(
                    f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode():
                return 401, {"error": "invalid_client"}
            if form.get("grant_type") != ["client_credentials"] or form.get("sub") != [ACTING_USER]:
                return 400, {"error": "invalid_request"}
            token = uuid.uuid4().hex
            with self._lock:
                self.tokens.add(token)
            return 200, {"access_token": token, "token_type": "bearer", "expires_in": 3600}
        if (method, url.path) != ("GET", "/v3/job_posts"):
            return 404, {"message": "not found"}
        scheme, _, token = (headers.get("Authorization") or "").partition(" ")
        with self._lock:
            if scheme != "Bearer" or token not in self.tokens:
                return 401, {"error": "invalid_token"}
            if self._limited > 0:
                self._limited -= 1
                return 429, {"message": "rate limit exceeded"}
        (job_ids,) = parse_qs(url.query).get("job_ids", [""])
        return 200, [post for job in job_ids.split(",") for post in self.job_posts.get(job, [])]

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                status, ctype, body = fake._answer(method, self.path, self.headers, self.rfile.read(length))
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):  # noqa: N802 (http.server's naming)
                self._serve("GET")

            def do_POST(self):  # noqa: N802
                self._serve("POST")

            def log_message(self, *_args):
                pass

        return Handler
