"""A real HTTP server on 127.0.0.1 that hosts credentials the way the web does: JSON, VC-JWTs, Credly's
OBI endpoint, baked PNG/SVG badges, redirects, and the hostile kinds (oversized, slow drip, failing).

Baked images follow the Open Badges Baking Specification 2.0 ("PNGs", "SVGs":
https://www.imsglobal.org/sites/default/files/Badges/OBv2p0Final/baking/index.html) and
Open Badges 3.0 §5.3; Credly's path follows https://api.credly.com/docs/obi_specified_endpoints.
"""
from __future__ import annotations

import ssl
import struct
import threading
import time
import zlib
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    status: int = 200
    content_type: str = "application/json"
    body: bytes = b""
    headers: dict = field(default_factory=dict)
    drip_s: float = 0.0          # pause between single bytes: a slow-drip body
    fail_first: int = 0          # answer 503 this many times before the real answer
    length: int | None = None    # stream this many bytes of filler without building them (oversized)


class CredentialHost:
    """`with CredentialHost() as host: host.add("/x.json", ...); host.url("/x.json")`."""

    def __init__(self, bind: str = "127.0.0.1", *, tls: ssl.SSLContext | None = None):
        self.routes: dict[str, Route] = {}
        self.hits: dict[str, int] = {}
        self._server = ThreadingHTTPServer((bind, 0), _handler_for(self))
        self.scheme = "https" if tls else "http"
        if tls:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> "CredentialHost":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def url(self, path: str, *, host: str = "127.0.0.1") -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"

    def add(self, path: str, body: bytes | str = b"", *, content_type: str = "application/json", **kw) -> str:
        self.routes[path] = Route(body=body.encode() if isinstance(body, str) else body, content_type=content_type, **kw)
        return self.url(path)

    def redirect(self, path: str, location: str, *, status: int = 302) -> str:
        return self.add(path, status=status, headers={"Location": location}, content_type="text/plain")


def _handler_for(host: CredentialHost):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):  # noqa: N802 - http.server's naming
            path = self.path.split("?", 1)[0]
            host.hits[path] = host.hits.get(path, 0) + 1
            route = host.routes.get(path)
            if route is None:
                return self._answer(404, "text/plain", b"not found")
            if host.hits[path] <= route.fail_first:
                return self._answer(503, "text/plain", b"try later")
            if route.length is not None:
                return self._stream_filler(route)
            if route.drip_s:
                return self._drip(route)
            self._answer(route.status, route.content_type, route.body, route.headers)

        def _answer(self, status, ctype, body, headers=None):
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def _stream_filler(self, route):
            # No Content-Length: the client must cut the stream off itself, not trust a header.
            self.send_response(route.status)
            self.send_header("Content-Type", route.content_type)
            self.send_header("Connection", "close")
            self.end_headers()
            sent, chunk = 0, b" " * 65536
            try:
                while sent < route.length:
                    self.wfile.write(chunk)
                    sent += len(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass
            self.close_connection = True

        def _drip(self, route):
            self.send_response(route.status)
            self.send_header("Content-Type", route.content_type)
            self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            try:
                for b in route.body:
                    self.wfile.write(bytes([b]))
                    self.wfile.flush()
                    time.sleep(route.drip_s)
            except (BrokenPipeError, ConnectionResetError):
                pass
            self.close_connection = True

        def log_message(self, *args):
            pass

    return Handler


# ---- baked images, built byte by byte as the baking specs describe ----

def png_chunk(ctype: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + ctype + data + struct.pack(">I", zlib.crc32(ctype + data))


def tiny_png(*extra_chunks: bytes) -> bytes:
    """A valid 1x1 greyscale PNG with extra chunks inserted before IDAT."""
    ihdr = png_chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
    idat = png_chunk(b"IDAT", zlib.compress(b"\x00\x00"))
    return b"\x89PNG\r\n\x1a\n" + ihdr + b"".join(extra_chunks) + idat + png_chunk(b"IEND", b"")


def itxt(keyword: str, text: str, *, compressed: bool = False) -> bytes:
    payload = zlib.compress(text.encode()) if compressed else text.encode()
    data = keyword.encode("latin-1") + b"\0" + bytes([1 if compressed else 0, 0]) + b"\0" + b"\0" + payload
    return png_chunk(b"iTXt", data)


def baked_png(text: str, *, keyword: str = "openbadges", compressed: bool = False) -> bytes:
    return tiny_png(itxt(keyword, text, compressed=compressed))


def baked_svg(text: str, *, verify: str | None = None, version: int = 2) -> bytes:
    ns, element = (("http://openbadges.org", "assertion") if version == 2
                   else ("https://purl.imsglobal.org/ob/v3p0", "credential"))
    attr = f' verify="{verify}"' if verify else ""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="{ns}" width="10" height="10">'
            f'<openbadges:{element}{attr}><![CDATA[{text}]]></openbadges:{element}>'
            f'<circle cx="5" cy="5" r="4"/></svg>').encode()
