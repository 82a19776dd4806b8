"""A real HTTP server on loopback standing in for a thin ATS's API, with switchable failures and slowness."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests


class FakeATS:
    """Serves canned JSON per path; `fail_next(n)` answers 500 n times, `slow(s)` delays every answer."""

    def __init__(self):
        self.routes: dict[str, tuple[int, bytes]] = {}
        self.requests: list[dict] = []
        self._failures = 0
        self._delay_s = 0.0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def serve(self, path: str, doc: dict, *, status: int = 200) -> None:
        self.routes[path] = (status, json.dumps(doc).encode())

    def fail_next(self, n: int) -> None:
        with self._lock:
            self._failures = n

    def slow(self, seconds: float) -> None:
        self._delay_s = seconds

    def __enter__(self) -> "FakeATS":
        self._thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _answer(self, path: str, headers) -> tuple[int, bytes]:
        self.requests.append({"path": path, "headers": dict(headers)})
        time.sleep(self._delay_s)
        with self._lock:
            if self._failures > 0:
                self._failures -= 1
                return 500, b'{"message": "internal error"}'
        return self.routes.get(path, (404, b'{"message": "not found"}'))

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's naming)
                status, body = fake._answer(self.path, self.headers)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test): nothing to answer

            def log_message(self, *_args):
                pass

        return Handler


def plain_get(url: str, *, headers: dict | None = None, timeout_s: float = 1.0) -> tuple[int, dict, bytes]:
    """The `get` the enrichment functions take, without shared/fetch.py's SSRF rules (tests only)."""
    resp = requests.get(url, headers=headers or {}, timeout=timeout_s, allow_redirects=False)
    return resp.status_code, dict(resp.headers), resp.content
