"""Credential status: BitstringStatusList / StatusList2021 bits and 1EdTech revocation lists, fetched and cached.

Fail closed: a list that cannot be fetched, parsed or trusted makes the check indeterminate, never passed.
Sources: W3C Bitstring Status List v1.0 §2.1 (BitstringStatusListEntry), §2.2 (the list credential,
`ttl` in milliseconds), §3.1/§3.2 (encodedList = multibase 'u' + base64url(GZIP(bits)), at least
131072 bits, bit 0 = most significant bit of the first byte; validate the list credential, its purpose
must match); W3C CCG Status List 2021 §2 (same bits, base64url without the multibase prefix);
1EdTech Revocation List Status Method 1.0 (a JSON list of revokedCredentials ids).
"""
from __future__ import annotations

import base64
import binascii
import json
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from services.verification import metrics
from services.verification.fetching import Fetch, Unfetched, fetch_document
from services.verification.report import FAILED, Check, failed, passed, unsupported
from shared import safejson
from shared.lru import SizedLru

STATUS = "status"  # check code prefix: status.revocation, status.suspension, status.<other>
BITSTRING_TYPES = {"BitstringStatusListEntry": "bitstring", "StatusList2021Entry": "statuslist2021"}
LIST_TYPES = ("BitstringStatusListCredential", "StatusList2021Credential")
REVOCATION_LIST = "1EdTechRevocationList"
MIN_BITS = 131072  # §3.2 step 9: 16 KiB, the herd privacy a list must give
MAX_LIST_BYTES = 2_000_000
MAX_BITSTRING_BYTES = 16 * 1024 * 1024  # bounds the GZIP expansion (a "zip bomb" stops here)
_ACCEPT = ("application/vc+jwt", "application/jwt", "application/vc+ld+json", "application/vc",
           "application/ld+json", "application/json", "text/plain")

# verify_list(jwt=..., document=...) -> (report, claimed credential): the format step, for the list's own proof.
VerifyList = Callable[..., tuple[dict, dict | None]]


class ListProblem(Exception):
    """The list is unusable; `status` says whether that is failed or indeterminate."""

    def __init__(self, message: str, status: str = "indeterminate"):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class StatusList:
    """A fetched list whose own proof verified: purposes, bits (or revoked ids), issuer, and until when it holds."""
    purposes: tuple[str, ...]
    issuer: str | None
    expires_at: datetime
    bits: bytes = b""
    revoked: frozenset[str] = frozenset()

    @property
    def size(self) -> int:
        """About how many bytes of memory the list holds: its bits, its revoked ids, a little for the rest."""
        return len(self.bits) + sum(len(i) + _ID_OVERHEAD for i in self.revoked) + _LIST_OVERHEAD


_ID_OVERHEAD, _LIST_OVERHEAD = 80, 512  # a str and its set slot; the dataclass, its tuple and datetime
DEFAULT_CACHE_BYTES = 64 * 1024 * 1024  # shared.settings' VERIFY_STATUS_CACHE_BYTES default


class ListCache:
    """Lists by URL until their TTL, at most `max_bytes` of them, the least recently used evicted first.

    Only lists that verified are kept, so a failure is retried next time; a list larger than the whole
    cache is used but not kept.
    """

    def __init__(self, max_bytes: int = DEFAULT_CACHE_BYTES):
        self._lists: SizedLru[StatusList] = SizedLru(max_bytes)

    @property
    def bytes(self) -> int:
        return self._lists.bytes

    def get(self, url: str, now: datetime) -> StatusList | None:
        found = self._lists.get(url, now)
        metrics.cache("status_list", hit=found is not None)
        return found

    def put(self, url: str, status_list: StatusList) -> None:
        self._lists.put(url, status_list, size=status_list.size, expires=status_list.expires_at)


@dataclass(frozen=True)
class Context:
    """What the status stage needs: how to fetch, how to verify a list credential, the cache and the clock."""
    fetch: Fetch | None
    verify_list: VerifyList
    cache: ListCache
    now: datetime
    default_ttl: timedelta


@dataclass(frozen=True)
class Outcome:
    checks: list[Check]
    expires_at: datetime | None  # the earliest moment a list used here may have changed
    state: dict  # {"revoked": bool|None, "suspended": bool|None}: what the report's `status` says


def check(vc: dict, *, issuer_id: str | None, ctx: Context) -> Outcome:
    """One check per credentialStatus entry; none when the credential has no status."""
    checks, expiries, state = [], [], {}
    for entry in _entries(vc.get("credentialStatus")):
        result, status_list = _check_entry(entry, vc=vc, issuer_id=issuer_id, ctx=ctx)
        checks.append(result)
        if status_list is not None:
            expiries.append(status_list.expires_at)
        elif result.status != FAILED:
            expiries.append(ctx.now + ctx.default_ttl)  # unreachable now: try again after a while
        purpose = result.code.removeprefix(STATUS + ".")
        if purpose in ("revocation", "suspension"):
            # Revoked/suspended only when the list was read and says so; a list that cannot be used
            # (wrong purpose, index past its end) fails the check but says nothing either way.
            known = result.status in ("passed", "failed") and status_list is not None
            state[_STATE[purpose]] = (result.status == FAILED) if known else None
    return Outcome(checks=checks, expires_at=min(expiries, default=None), state=state)


_STATE = {"revocation": "revoked", "suspension": "suspended"}


def _entries(value: object) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _check_entry(entry: object, *, vc: dict, issuer_id: str | None, ctx: Context) -> tuple[Check, StatusList | None]:
    if not isinstance(entry, dict):
        return failed(STATUS, "a credentialStatus entry is not an object"), None
    kind = entry.get("type")
    if kind in BITSTRING_TYPES:
        return _bitstring_entry(entry, issuer_id=issuer_id, ctx=ctx)
    if kind == REVOCATION_LIST:
        return _revocation_list_entry(entry, vc=vc, issuer_id=issuer_id, ctx=ctx)
    return unsupported(STATUS, f"status type {str(kind)[:40]!r} is not supported yet"), None


# --- BitstringStatusList / StatusList2021 --------------------------------------------------------

def _bitstring_entry(entry: dict, *, issuer_id: str | None, ctx: Context) -> tuple[Check, StatusList | None]:
    purpose = entry.get("statusPurpose")
    code = f"{STATUS}.{purpose}" if purpose in ("revocation", "suspension") else STATUS
    try:
        index, url = _entry_fields(entry, purpose)
        status_list = _load(url, kind=BITSTRING_TYPES[entry["type"]], ctx=ctx)
        _same_issuer(status_list, issuer_id)
        if purpose not in status_list.purposes:  # §3.2 step 6
            raise ListProblem(f"the status list is for {', '.join(status_list.purposes) or 'no purpose'}, "
                              f"not {purpose}", FAILED)
        bit = _bit(status_list.bits, index)
    except ListProblem as exc:
        return Check(code, exc.status, str(exc)), None
    if bit:
        verb = "revoked" if purpose == "revocation" else "suspended"
        return failed(code, f"the issuer has {verb} this credential"), status_list
    state = "revoked" if purpose == "revocation" else "suspended"
    return passed(code, f"not {state}: its status list bit is clear"), status_list


def _entry_fields(entry: dict, purpose: object) -> tuple[int, str]:
    if purpose not in ("revocation", "suspension"):
        raise ListProblem(f"status purpose {str(purpose)[:40]!r} is not supported yet", "unsupported")
    if entry.get("statusSize", 1) not in (1, "1"):
        raise ListProblem("status entries wider than one bit (statusSize) are not supported yet", "unsupported")
    raw_index, url = entry.get("statusListIndex"), entry.get("statusListCredential")
    # §2.1: statusListIndex is an integer written as a string; some issuers write a JSON number.
    if isinstance(raw_index, bool) or not (isinstance(raw_index, int) or
                                           (isinstance(raw_index, str) and raw_index.isdigit())):
        raise ListProblem("statusListIndex is not a non-negative integer", FAILED)
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        raise ListProblem("statusListCredential is not an http(s) URL", FAILED)
    return int(raw_index), url


def _bit(bits: bytes, index: int) -> int:
    if index >= len(bits) * 8:  # §3.2 step 10: RANGE_ERROR
        raise ListProblem("statusListIndex is beyond the end of the status list", FAILED)
    return (bits[index // 8] >> (7 - index % 8)) & 1  # §3.1: index 0 is the leftmost bit


def _same_issuer(status_list: StatusList, issuer_id: str | None) -> None:
    # A list signed by someone else cannot speak for this issuer's credentials.
    if issuer_id is None or status_list.issuer != issuer_id:
        raise ListProblem("the status list was not issued by the credential's issuer")


def decode_bits(encoded: object, *, kind: str) -> bytes:
    """The raw bitstring from encodedList (multibase base64url for Bitstring, plain base64url for 2021)."""
    if not isinstance(encoded, str) or not encoded:
        raise ListProblem("the status list has no encodedList", FAILED)
    if kind == "bitstring" and encoded.startswith("u"):
        encoded = encoded[1:]  # §2.2: multibase 'u' (base64url, no padding)
    elif kind == "bitstring" and not encoded.startswith("H4sI"):
        # Lists made before multibase was required (the W3C test suite's own fixtures among them) have no
        # 'u'; GZIP's magic bytes always encode as "H4sI", so accepting that form is unambiguous.
        raise ListProblem("encodedList is not multibase base64url (it must start with 'u')", FAILED)
    try:
        compressed = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        inflater = zlib.decompressobj(wbits=31)  # 31: GZIP framing (RFC 1952)
        bits = inflater.decompress(compressed, MAX_BITSTRING_BYTES)
    except (binascii.Error, ValueError, zlib.error):
        raise ListProblem("encodedList is not base64url of GZIP data", FAILED) from None
    if inflater.unconsumed_tail:
        raise ListProblem("the status list is larger than this verifier accepts")
    if len(bits) * 8 < MIN_BITS:  # §3.2 step 9: STATUS_LIST_LENGTH_ERROR
        raise ListProblem(f"the status list has fewer than {MIN_BITS} entries", FAILED)
    return bits


# --- fetching and trusting a list ----------------------------------------------------------------

def _load(url: str, *, kind: str, ctx: Context) -> StatusList:
    cached = ctx.cache.get(url, ctx.now)
    if cached is not None:
        return cached
    body = _fetch(url, ctx=ctx)
    if kind == "revocation-list":
        status_list = _revocation_list(body, ctx=ctx)
    else:
        status_list = _bitstring_list(body, kind=kind, ctx=ctx)
    ctx.cache.put(url, status_list)
    return status_list


def _fetch(url: str, *, ctx: Context) -> bytes:
    if ctx.fetch is None:
        raise ListProblem("the status list was not fetched: this verification had no network access", "unsupported")
    try:
        return fetch_document(ctx.fetch, url, kind="status_list", purpose="status_list", accept=_ACCEPT,
                              max_bytes=MAX_LIST_BYTES)
    except Unfetched as exc:
        raise ListProblem({"refused": "the status list's address is not one this verifier may fetch",
                           "failed": "the status list is unreachable",
                           "budget": "the status list was not fetched: the credential's fetch budget is spent"}.get(
            exc.reason, f"the status list host answered HTTP {exc.status}")) from None


def _bitstring_list(body: bytes, *, kind: str, ctx: Context) -> StatusList:
    report, vc = _verified_list_credential(body, ctx=ctx)
    if not any(t in LIST_TYPES for t in _types(vc)):
        raise ListProblem("the status list credential is not a BitstringStatusListCredential", FAILED)
    subject = found if isinstance(found := vc.get("credentialSubject"), dict) else {}
    purposes = tuple(p for p in _entries(subject.get("statusPurpose")) if isinstance(p, str))
    return StatusList(purposes=purposes, issuer=_issuer_id(vc), bits=decode_bits(subject.get("encodedList"), kind=kind),
                      expires_at=_expiry(subject.get("ttl"), report, ctx=ctx))


def _verified_list_credential(body: bytes, *, ctx: Context) -> tuple[dict, dict]:
    text = body.decode("utf-8", errors="replace").strip()
    if text.startswith("{"):
        try:
            submission = {"document": safejson.loads(text)}
        except json.JSONDecodeError:
            raise ListProblem("the status list is not JSON") from None
    else:
        submission = {"jwt": text}
    report, vc = ctx.verify_list(**submission)
    if report["verdict"] != "verified" or not isinstance(vc, dict):
        reason = next((c["message"] for c in report["checks"] if c["status"] != "passed"), report["verdict"])
        raise ListProblem(f"the status list credential does not verify ({reason})")
    return report, vc


def _expiry(ttl_ms: object, report: dict, *, ctx: Context) -> datetime:
    ttl = ctx.default_ttl
    if isinstance(ttl_ms, int) and not isinstance(ttl_ms, bool) and ttl_ms > 0:
        ttl = timedelta(milliseconds=ttl_ms)  # §2.2: ttl is in milliseconds
    expires = ctx.now + ttl
    if report.get("valid_until"):
        expires = min(expires, datetime.fromisoformat(report["valid_until"]))
    return expires


# --- 1EdTech Revocation List ----------------------------------------------------------------------

def _revocation_list_entry(entry: dict, *, vc: dict, issuer_id: str | None,
                           ctx: Context) -> tuple[Check, StatusList | None]:
    code = f"{STATUS}.revocation"
    url, credential_id = entry.get("id"), vc.get("id")
    if not isinstance(url, str) or not url.startswith(("https://", "http://")):
        return failed(code, "the 1EdTechRevocationList id is not an http(s) URL"), None
    if not isinstance(credential_id, str):
        return failed(code, "a credential on a revocation list needs an id, and it has none"), None
    try:
        status_list = _load(url, kind="revocation-list", ctx=ctx)
        _same_issuer(status_list, issuer_id)
    except ListProblem as exc:
        return Check(code, exc.status, str(exc)), None
    if credential_id in status_list.revoked:
        return failed(code, "the issuer has revoked this credential"), status_list
    return passed(code, "not revoked: the issuer's revocation list does not name it"), status_list


def _revocation_list(body: bytes, *, ctx: Context) -> StatusList:
    # The 1EdTech list is plain JSON over HTTPS, with no proof of its own: its trust is the TLS origin.
    try:
        doc = safejson.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ListProblem("the revocation list is not JSON") from None
    entries = doc.get("revokedCredentials") if isinstance(doc, dict) else None
    if not isinstance(entries, list):
        raise ListProblem("the revocation list has no revokedCredentials", FAILED)
    revoked = frozenset(e["id"] for e in entries if isinstance(e, dict) and isinstance(e.get("id"), str))
    return StatusList(purposes=("revocation",), issuer=_issuer_id(doc), revoked=revoked,
                      expires_at=ctx.now + ctx.default_ttl)


def _types(node: dict) -> list[str]:
    value = node.get("type")
    return [value] if isinstance(value, str) else [t for t in value or [] if isinstance(t, str)]


def _issuer_id(doc: dict) -> str | None:
    node = doc.get("issuer")
    value = node.get("id") if isinstance(node, dict) else node
    return value if isinstance(value, str) else None
