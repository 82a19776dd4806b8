"""A Kafka worker's own HTTP endpoint: /metrics, /healthz and /readyz (joined its group, partitions assigned)."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

from shared import metrics

Readiness = Callable[[], tuple[bool, dict]]


def serve(port: int, addr: str, *, readiness: Readiness) -> ThreadingHTTPServer:
    """Serves on a daemon thread (port 0: a free one, see server_address); returns the server."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            path = self.path.split("?", 1)[0]
            if path == "/metrics":
                data, content_type = metrics.exposition()
                self._answer(200, data, content_type)
            elif path == "/healthz":
                self._json(200, {"status": "alive"})
            elif path == "/readyz":
                ready, body = readiness()
                self._json(200 if ready else 503, body)
            else:
                self._json(404, {"status": 404, "title": "Not Found"})

        def _json(self, status: int, body: dict) -> None:
            self._answer(status, json.dumps(body).encode(), "application/json")

        def _answer(self, status: int, data: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args) -> None:  # noqa: A002 - http.server's signature
            pass  # probes every few seconds: the worker's own logs and metrics say what matters

    server = ThreadingHTTPServer((addr, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="worker-http", daemon=True).start()
    return server
