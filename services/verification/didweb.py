"""did:web identifiers parsed strictly: the one host a did:web names, where its DID document is, and its trust domain.

Source: did:web method specification §3.1 (the method-specific id is a domain name, then `:`-separated
path segments; a port's colon is percent-encoded as %3A) and §3.2 (read: https://host[:port]/path/did.json,
or /.well-known/did.json without a path). The fetch and the trust registry both read the host from
`location`, so a DID cannot be fetched from one host and trusted for another: a percent-encoded `#`, `?`,
`\\` or `/` in the host (did:web:attacker.example%23.trusted.edu) names no host at all.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

PREFIX = "did:web:"
_HOST = re.compile(r"[A-Za-z0-9.-]+")
_PORT = re.compile(r"%3[Aa]([0-9]{1,5})")
_SEGMENT = re.compile(r"[A-Za-z0-9._~-]+")  # unreserved characters only (RFC 3986 §2.3), once decoded
_LOOPBACK = ("127.0.0.1", "localhost")


class InvalidDidWeb(ValueError):
    """The did:web names no plain host (or a path segment that is not a plain name)."""


@dataclass(frozen=True)
class Location:
    host: str              # lower-cased DNS name (or loopback address)
    port: int | None
    segments: tuple[str, ...]

    def url(self, *, http_loopback: bool = False) -> str:
        """did:web §3.2 step 5-7; http_loopback: a loopback host is read over http (local runs and tests only)."""
        scheme = "http" if http_loopback and self.host in _LOOPBACK else "https"
        netloc = f"{self.host}:{self.port}" if self.port is not None else self.host
        path = "/".join(self.segments) if self.segments else ".well-known"
        return f"{scheme}://{netloc}/{path}/did.json"


def location(did: str) -> Location:
    """The host, port and path of a did:web (a DID URL's fragment, query or path is ignored)."""
    if not did.startswith(PREFIX):
        raise InvalidDidWeb("not a did:web")
    method_id = re.split(r"[#?/]", did[len(PREFIX):], maxsplit=1)[0]
    first, *segments = method_id.split(":")
    port = None
    found = _PORT.search(first)
    if found and found.end() == len(first):
        first, port = first[:found.start()], int(found.group(1))
        if not 0 < port < 65536:
            raise InvalidDidWeb("the did:web port is out of range")
    if not first or not _HOST.fullmatch(first) or first.startswith(".") or ".." in first:
        raise InvalidDidWeb("the did:web host is not a host name (only letters, digits, '.', '-' and an "
                            "encoded port %3A<digits>)")
    decoded = tuple(unquote(s) for s in segments)
    if any(not _SEGMENT.fullmatch(s) or s in (".", "..") for s in decoded):
        raise InvalidDidWeb("a did:web path segment is not a plain name")
    return Location(host=first.lower(), port=port, segments=decoded)
