"""An HTTP server on 127.0.0.1, in a thread of this process, answering GETs with what was put at each path.

The demo serves its issuer's status list with it; tests and the verification bench serve status lists, DID
documents and JWKS. Tests that need more (TLS, redirects, slow or failing answers) have their own hosts.
"""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class LoopbackHost:
    """`with LoopbackHost() as host: url = host.serve("/x", body, content_type=...)`; counts hits per path."""

    def __init__(self):
        self.routes: dict[str, tuple[int, str, bytes]] = {}
        self.hits: dict[str, int] = {}
        host = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's naming
                host.hits[self.path] = host.hits.get(self.path, 0) + 1
                status, content_type, body = host.routes.get(self.path, (404, "text/plain", b"not found"))
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass  # an access log would only be noise beside the caller's own output

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, name="loopback-http", daemon=True)

    def __enter__(self) -> "LoopbackHost":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return f"{self.origin}{path}"

    def serve(self, path: str, body: str | bytes, *, content_type: str, status: int = 200) -> str:
        """Answers GET `path` with this body from now on; returns its URL."""
        self.routes[path] = (status, content_type, body.encode() if isinstance(body, str) else body)
        return self.url(path)
