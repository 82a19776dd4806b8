"""SSRF-safe outbound HTTP GET: the address policy is enforced on the socket actually connected, on every hop.

Use: `Fetcher(settings).get(url, purpose="did_document", accept=("application/json",))` -> Fetched(status,
headers, body, final_url, content_type). 2xx and 4xx are returned (a 2xx only with a type in `accept`);
FetchFailed is transient (timeout, connection error, 5xx/408/425/429: retry later); FetchRefused is policy
(scheme, address, size, type, redirects, TLS: never retry). Build one Fetcher per process, after forking.
"""
from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass, field
from functools import partial
from typing import Callable, Mapping
from urllib.parse import urljoin, urlsplit

import requests
from prometheus_client import Counter, Histogram
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import (ConnectTimeoutError, DecodeError, NewConnectionError, ProtocolError,
                                ReadTimeoutError)

from shared.settings import Settings, UnsafeSettings

Refusal = Callable[[str], "str | None"]  # address -> None (may connect) or why not

# Who asks: a fixed set, so it is safe as a metric label.
PURPOSES = ("credential", "ats_api", "ats_write", "did_document", "status_list", "ob2_assertion", "ob2_issuer", "jwks",
            "other")
JSON_TYPES = ("application/json", "application/ld+json")

FETCHES = Counter("credbridge_fetch_total", "Outbound fetches, by purpose and outcome.", ["purpose", "outcome"])
FETCH_LATENCY = Histogram("credbridge_fetch_seconds", "Outbound fetch latency, redirects included.", ["purpose"])

_REDIRECTS = (301, 302, 303, 307, 308)
_TRANSIENT_STATUSES = (408, 425, 429)
# Prefixes that carry an IPv4 address inside an IPv6 one (RFC 6052 NAT64): judged by the IPv4 inside.
_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))


class FetchError(Exception):
    """Base of fetch failures; `reason` is a short fixed word (metrics), the message says what happened."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


class FetchRefused(FetchError):
    """Policy said no (address, scheme, size, type, redirects): retrying cannot help."""


class FetchFailed(FetchError):
    """Transient: a timeout, a connection error or a 5xx; worth retrying later."""


@dataclass(frozen=True)
class Fetched:
    status: int
    headers: Mapping[str, str]
    body: bytes
    final_url: str
    content_type: str = field(default="")


# ---- the address policy (pure) ----

def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if any(ip in net for net in _NAT64):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def address_refusal(address: str, *, allow_loopback: bool = False) -> str | None:
    """None when `address` may be connected to; otherwise why not (e.g. "private").

    Only globally routable unicast passes; loopback passes too when explicitly allowed (local runs, tests).
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None:
            return address_refusal(str(inner), allow_loopback=allow_loopback)
    if ip.is_loopback:
        return None if allow_loopback else "loopback"
    for word, flag in (("unspecified", ip.is_unspecified), ("link-local", ip.is_link_local),
                       ("multicast", ip.is_multicast), ("reserved", ip.is_reserved), ("private", ip.is_private)):
        if flag:
            return word
    # Shared address space (100.64/10), benchmarking, documentation...: not private, yet not the internet.
    return None if ip.is_global else "not globally routable"


# ---- a urllib3 connection that resolves, checks, then connects to the checked address ----

def _connect_checked(host: str, port: int, *, timeout, refusal: Refusal, socket_options) -> socket.socket:
    infos = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
    refusals, last_error = [], None
    for family, socktype, proto, _name, sockaddr in infos:
        why = refusal(str(sockaddr[0]))  # an INET or INET6 address: the host as text
        if why is not None:
            refusals.append(why)
            continue
        sock = socket.socket(family, socktype, proto)
        try:
            for opt in socket_options or ():
                sock.setsockopt(*opt)
            if timeout is not None:
                sock.settimeout(timeout)
            sock.connect(sockaddr)  # the very address that was checked: no second DNS lookup to rebind
            return sock
        except OSError as exc:
            sock.close()
            last_error = exc
    if last_error is not None:
        raise last_error
    raise FetchRefused("address", f"the host resolves only to refused addresses ({', '.join(sorted(set(refusals)))})")


class _GuardedConnectionMixin(HTTPConnection):  # placed before HTTPConnection or HTTPSConnection in a class's bases
    refusal: Refusal

    def _new_conn(self) -> socket.socket:
        try:
            return _connect_checked(self._dns_host, self.port, timeout=self.timeout,
                                    refusal=type(self).refusal, socket_options=self.socket_options)
        except socket.gaierror as exc:
            raise NewConnectionError(self, f"name resolution failed: {exc}") from exc
        except socket.timeout as exc:
            raise ConnectTimeoutError(self, "connect timed out") from exc
        except OSError as exc:
            raise NewConnectionError(self, f"connection failed: {exc}") from exc


def _adapter(refusal: Refusal) -> HTTPAdapter:
    """A requests adapter whose pools build guarded connections (SNI and Host still name the host)."""
    attrs = {"refusal": staticmethod(refusal)}
    http_conn = type("GuardedHTTPConnection", (_GuardedConnectionMixin, HTTPConnection), attrs)
    https_conn = type("GuardedHTTPSConnection", (_GuardedConnectionMixin, HTTPSConnection), attrs)
    http_pool = type("GuardedHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": http_conn})
    https_pool = type("GuardedHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": https_conn})
    adapter = HTTPAdapter(max_retries=0)
    adapter.poolmanager.pool_classes_by_scheme = {"http": http_pool, "https": https_pool}
    return adapter


# ---- the fetcher ----

def _on_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Fetcher:
    """GET with the policy: https only, public addresses only, bounded redirects, time and size.

    `settings.fetch_allow_loopback` additionally allows http:// and loopback (local runs and tests);
    nothing else relaxes the rules.
    """

    def __init__(self, settings: Settings, *, clock: Callable[[], float] = time.monotonic,
                 refusal: Refusal | None = None):
        """`refusal` replaces the address policy in tests only (to stand a loopback host in for a public one)."""
        self.settings = settings
        self.allow_loopback = bool(settings.fetch_allow_loopback)
        if self.allow_loopback and not _on_loopback(settings.public_base_url):
            # Loopback is where MongoDB, Kafka and the metrics listen: a credential URL must never reach them.
            raise UnsafeSettings("CREDBRIDGE_FETCH_ALLOW_LOOPBACK=1 is for local runs only, and CREDBRIDGE_PUBLIC_URL "
                                 f"({settings.public_base_url}) is not on loopback")
        refusal = refusal or partial(address_refusal, allow_loopback=self.allow_loopback)
        self._clock = clock
        self._session = requests.Session()
        self._session.trust_env = False  # no proxies or netrc from the environment: a proxy would bypass the check
        adapter = _adapter(refusal)
        self._session.mount("https://", adapter)
        self._session.mount("http://", adapter)

    def close(self) -> None:
        self._session.close()

    def get(self, url: str, *, purpose: str, accept: tuple[str, ...] = JSON_TYPES,
            headers: Mapping[str, str] | None = None, max_bytes: int | None = None,
            deadline_s: float | None = None) -> Fetched:
        """Fetches `url`; 2xx must have a type in `accept`; 4xx is returned; 5xx, 408, 429 raise FetchFailed."""
        purpose = purpose if purpose in PURPOSES else "other"  # a metric label: never free text
        started = self._clock()
        try:
            result = self._follow(url, accept=accept, headers=dict(headers or {}),
                                  max_bytes=max_bytes or self.settings.fetch_max_bytes,
                                  deadline=started + (deadline_s or self.settings.fetch_deadline_s))
        except FetchError as exc:
            FETCHES.labels(purpose=purpose, outcome=exc.reason).inc()
            raise
        finally:
            FETCH_LATENCY.labels(purpose=purpose).observe(self._clock() - started)
        FETCHES.labels(purpose=purpose, outcome="ok" if result.status < 400 else "client_error").inc()
        return result

    def getter(self, *, purpose: str, accept: tuple[str, ...] = JSON_TYPES, deadline_s: float | None = None) -> Callable:
        """The `get(url, headers=...) -> (status, headers, body)` callable provider adapters are handed."""
        def get(url: str, headers: Mapping[str, str] | None = None):
            got = self.get(url, purpose=purpose, accept=accept, headers=headers, deadline_s=deadline_s)
            return got.status, got.headers, got.body
        return get

    def send(self, method: str, url: str, *, purpose: str, headers: Mapping[str, str] | None = None,
             body: bytes | None = None, max_bytes: int = 1024 * 1024) -> Fetched:
        """A write (POST, PUT, PATCH, DELETE) under the same address, scheme, time and size rules as `get`.

        Every status is returned with its headers (the caller reads 429's Retry-After and rate-limit headers);
        redirects are not followed, since a write re-sent elsewhere is not the write that was meant. Only a
        connection failure or timeout raises FetchFailed; policy refusals raise FetchRefused.
        """
        purpose = purpose if purpose in PURPOSES else "other"
        started = self._clock()
        deadline = started + self.settings.fetch_deadline_s
        try:
            self._check_scheme(url)
            resp = self._send(url, headers=dict(headers or {}), deadline=deadline, method=method, body=body)
            with resp:
                data = self._stream(resp, max_bytes=max_bytes, deadline=deadline)
                ctype = resp.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
                result = Fetched(status=resp.status_code, headers=CaseInsensitiveDict(resp.headers), body=data,
                                 final_url=url, content_type=ctype)
        except FetchError as exc:
            FETCHES.labels(purpose=purpose, outcome=exc.reason).inc()
            raise
        finally:
            FETCH_LATENCY.labels(purpose=purpose).observe(self._clock() - started)
        outcome = "ok" if result.status < 400 else "client_error" if result.status < 500 else "server_error"
        FETCHES.labels(purpose=purpose, outcome=outcome).inc()
        return result

    def _follow(self, url: str, *, accept, headers: dict, max_bytes: int, deadline: float) -> Fetched:
        origin = _origin(url)
        for _hop in range(self.settings.fetch_max_redirects + 1):
            self._check_scheme(url)
            resp = self._send(url, headers=headers, deadline=deadline)
            with resp:
                if resp.status_code not in _REDIRECTS:
                    return self._read(resp, url=url, accept=accept, max_bytes=max_bytes, deadline=deadline)
                location = resp.headers.get("Location")
            if not location:
                raise FetchRefused("redirect", "a redirect without a Location")
            url = urljoin(url, location)
            if _origin(url) != origin:
                headers = {}  # credentials given for one host never travel to another
        raise FetchRefused("redirects", f"more than {self.settings.fetch_max_redirects} redirects")

    def _check_scheme(self, url: str) -> None:
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - raises on a malformed port
        except ValueError as exc:
            raise FetchRefused("scheme", "the URL is not valid") from exc
        allowed = ("https", "http") if self.allow_loopback else ("https",)
        if parts.scheme.lower() not in allowed:
            raise FetchRefused("scheme", f"only {' or '.join(allowed)} URLs are fetched, not {parts.scheme or 'this'!r}")
        if not parts.hostname:
            raise FetchRefused("scheme", "the URL names no host")
        if parts.username or parts.password:
            raise FetchRefused("scheme", "URLs carrying credentials are not fetched")

    def _send(self, url: str, *, headers: dict, deadline: float, method: str = "GET",
              body: bytes | None = None) -> requests.Response:
        remaining = deadline - self._clock()
        if remaining <= 0:
            raise FetchFailed("deadline", "the fetch took longer than its deadline")
        timeout = (min(self.settings.fetch_connect_timeout_s, remaining), min(self.settings.fetch_read_timeout_s, remaining))
        try:
            return self._session.request(method, url, headers={"Accept-Encoding": "identity", **headers}, data=body,
                                         stream=True, allow_redirects=False, timeout=timeout)
        except requests.Timeout as exc:
            raise FetchFailed("timeout", "the host did not answer in time") from exc
        except requests.exceptions.SSLError as exc:
            # An untrusted or mismatched certificate does not fix itself between retries.
            raise FetchRefused("tls", "the host's TLS certificate did not verify") from exc
        except requests.ConnectionError as exc:
            raise FetchFailed("connection", "could not connect to the host") from exc
        except (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema, UnicodeError, ValueError) as exc:
            raise FetchRefused("scheme", "the URL is not valid") from exc

    def _read(self, resp: requests.Response, *, url: str, accept, max_bytes: int, deadline: float) -> Fetched:
        status = resp.status_code
        if status >= 500 or status in _TRANSIENT_STATUSES:
            raise FetchFailed("server_error", f"the host answered {status}")
        ctype = resp.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
        if status < 400 and ctype not in accept:
            raise FetchRefused("content_type", f"the host answered with content type {ctype or 'none'!r}, not one of {', '.join(accept)}")
        declared = resp.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise FetchRefused("too_large", f"the response is larger than {max_bytes} bytes")
        body = self._stream(resp, max_bytes=max_bytes, deadline=deadline)
        return Fetched(status=status, headers=CaseInsensitiveDict(resp.headers), body=body, final_url=url, content_type=ctype)

    def _stream(self, resp: requests.Response, *, max_bytes: int, deadline: float) -> bytes:
        chunks: list[bytes] = []
        size = 0
        try:
            while True:
                remaining = deadline - self._clock()
                if remaining <= 0:
                    # The read timeout bounds each recv; only this bounds a slow drip of small ones.
                    raise FetchFailed("deadline", "the response took longer than the fetch deadline")
                self._bound_next_read(resp, min(self.settings.fetch_read_timeout_s, remaining))
                chunk = resp.raw.read1(16_384, decode_content=True)
                if not chunk:
                    return b"".join(chunks)
                size += len(chunk)
                if size > max_bytes:
                    raise FetchRefused("too_large", f"the response is larger than {max_bytes} bytes")
                chunks.append(chunk)
        except ReadTimeoutError as exc:
            if self._clock() >= deadline - 0.05:
                raise FetchFailed("deadline", "the response took longer than the fetch deadline") from exc
            raise FetchFailed("timeout", "the host stopped sending the response") from exc
        except (ProtocolError, DecodeError, OSError) as exc:
            raise FetchFailed("connection", "the response was cut short") from exc

    @staticmethod
    def _bound_next_read(resp: requests.Response, seconds: float) -> None:
        conn = resp.raw.connection
        sock = getattr(conn, "sock", None)
        if sock is not None:
            sock.settimeout(max(seconds, 0.01))


def _origin(url: str) -> tuple[str, str, int | None]:
    try:
        parts = urlsplit(url)
        return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port
    except ValueError:
        return "", "", None  # a malformed URL: _check_scheme refuses it next
