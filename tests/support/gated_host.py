"""A real HTTP server on 127.0.0.1 whose answers wait until the test opens the gate: a slow issuer host on demand."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class GatedHost:
    """`with GatedHost(max_hold_s=8) as host:` serve a body; every GET waits for `host.open()` (or max_hold_s).

    A verifier fetching from it is held mid-verification for as long as the test needs, then answered
    normally: the slow fetch is real, only its length is chosen. `requested` is set once a GET arrived.
    """

    def __init__(self, *, max_hold_s: float):
        self.routes: dict[str, tuple[str, bytes]] = {}
        self.gate, self.requested = threading.Event(), threading.Event()
        host = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's naming
                host.requested.set()
                host.gate.wait(max_hold_s)
                content_type, body = host.routes.get(self.path, ("text/plain", b"not found"))
                self.send_response(200 if self.path in host.routes else 404)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass  # an access log would only be noise beside the test's own output

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, name="gated-http", daemon=True)

    def __enter__(self) -> "GatedHost":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.gate.set()  # nothing held may outlive the test
        self.server.shutdown()
        self.server.server_close()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def serve(self, path: str, body: str, *, content_type: str = "application/vc+jwt") -> str:
        self.routes[path] = (content_type, body.encode())
        return self.url(path)

    def open(self) -> None:
        self.gate.set()
