"""VC-JWT verification: a compact JWS (EdDSA, ES256, ES384, ES512, RS256) to checks and claimed content.

Both shapes: Open Badges 3.0 / VC DM 1.1 (a `vc` claim) and VC-JOSE-COSE (the payload is the VC
DM 2.0 credential itself). Keys come from `keys.Resolver` (did:key, did:jwk, did:web, kid URL).
Sources: RFC 7515 (JWS) §3.1 compact serialisation, §4.1.11 `crit`, §5.2 validation; jose.py for
the algorithms; RFC 7519 §4.1.4/§4.1.5 (`exp`/`nbf`, with leeway);
VC Data Model 1.1 §6.3.1 (the `vc` claim; `iss`/`nbf`/`exp` stand for issuer/validFrom/validUntil);
Open Badges 3.0 §8.2 (JSON Web Token Proof Format) and §9.1 (verification steps); Securing VCs
using JOSE and COSE §3.1.1 (payload is the credential; `iss`, when present, must be its issuer).
"""
from __future__ import annotations

import base64
import binascii
import math
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from services.verification import binding, credential, jose, keys
from services.verification.report import (FAILED, ISSUER_KEY, ISSUER_KEY_PURPOSE, ISSUER_MATCHES_KEY, JWT_ALG,
                                          JWT_DECODE, PASSED, PROOF_SIGNATURE, STRUCTURE_VC, VALIDITY_EXPIRY,
                                          VALIDITY_NOT_BEFORE, Check, failed, indeterminate, passed, skipped,
                                          unsupported)
from shared import safejson

FORMAT = "vc-jwt"
_B64URL = re.compile(r"[A-Za-z0-9_-]*")


class DecodeError(ValueError):
    """The token is not a compact JWS with a JSON object header and payload."""


@dataclass(frozen=True)
class Jws:
    header: dict
    payload: dict
    signing_input: bytes
    signature: bytes


@dataclass(frozen=True)
class Result:
    checks: list[Check]
    achievement: dict | None = None
    issuer: dict | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    credential: dict | None = None  # the credential as claimed (vc claim, JOSE payload, or document)


@dataclass
class _Window:
    start: datetime | None = None
    end: datetime | None = None
    checks: list[Check] = field(default_factory=list)


def shape(token: str) -> str:
    """'jws', 'jwe' or 'sd-jwt' by segment count, so the dispatcher can name formats it cannot verify yet."""
    if "~" in token:
        return "sd-jwt"  # SD-JWT: <jws>~<disclosure>~...~ (draft-ietf-oauth-selective-disclosure-jwt §4)
    return "jwe" if token.count(".") == 4 else "jws"


def verify(token: str, *, now: datetime, clock_skew_s: int, resolver: keys.Resolver | None = None) -> Result:
    """Every check a VC-JWT gets, in order; a token that does not decode gets only jwt.decode."""
    try:
        jws = parse_compact(token)
    except DecodeError as exc:
        return Result([failed(JWT_DECODE, str(exc))])
    jose_cose = "vc" not in jws.payload and credential.is_credential(jws.payload)
    vc = jws.payload if jose_cose else jws.payload.get("vc")  # VC-JOSE-COSE §3.1.1: the payload is the VC
    alg = _check_alg(jws.header)
    resolver = resolver or keys.Resolver()
    method, key_check = _resolve_key(jws.header, jws.payload, resolver)
    window = validity(jws.payload, vc, now=now, skew=timedelta(seconds=clock_skew_s))
    checks = [
        passed(JWT_DECODE, "the token is a compact JWS with a JSON header and payload"),
        alg,
        key_check,
        _check_signature(jws, jws.header["alg"] if alg.status == PASSED else None, method),
        _check_issuer(method, jws.payload, vc, jose_cose=jose_cose, resolver=resolver),
        _check_purpose(method),
        *window.checks,
        _check_structure(jws.payload, vc),
    ]
    return Result(checks, achievement=credential.achievement(vc),
                  issuer=credential.issuer(vc, fallback_id=_str(jws.payload.get("iss"))),
                  valid_from=window.start, valid_until=window.end,
                  credential=vc if isinstance(vc, dict) else None)


# --- decoding ----------------------------------------------------------------------------------

def parse_compact(token: str) -> Jws:
    """RFC 7515 §3.1 / §5.2 steps 1-4, strictly: base64url without padding, JSON objects, no duplicate names."""
    if not token.isascii():
        raise DecodeError("the token contains characters a compact JWS cannot")
    parts = token.split(".")
    if len(parts) != 3 or not all(parts):
        raise DecodeError("the token is not three non-empty dot-separated parts (header.payload.signature)")
    header = _json_object(_b64url(parts[0], "header"), "header")
    payload = _json_object(_b64url(parts[1], "payload"), "payload")
    return Jws(header=header, payload=payload, signing_input=f"{parts[0]}.{parts[1]}".encode("ascii"),
               signature=_b64url(parts[2], "signature"))


def _b64url(segment: str, name: str) -> bytes:
    # base64.urlsafe_b64decode silently skips stray characters; RFC 7515 §2 allows none, and no padding.
    if not _B64URL.fullmatch(segment) or len(segment) % 4 == 1:
        raise DecodeError(f"the {name} is not base64url")
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError):
        raise DecodeError(f"the {name} is not base64url") from None


def _json_object(raw: bytes, name: str) -> dict:
    try:
        value = safejson.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError) as exc:
        reason = str(exc) if isinstance(exc, DecodeError) else "not JSON"
        raise DecodeError(f"the {name} is {reason}") from None
    if not isinstance(value, dict):
        raise DecodeError(f"the {name} is not a JSON object")
    return value


def _no_duplicates(pairs: list[tuple[str, object]]) -> dict:
    # RFC 7515 §4 / RFC 7519 §4: duplicate member names must be rejected or resolved one way; two
    # parsers resolving them differently is how "what was signed" and "what was read" diverge.
    names = [k for k, _ in pairs]
    if len(names) != len(set(names)):
        raise DecodeError("JSON with duplicate member names")
    return dict(pairs)


def _no_constant(name: str) -> None:
    raise DecodeError(f"JSON with a non-standard constant {name}")


# --- header and key ----------------------------------------------------------------------------

def _check_alg(header: dict) -> Check:
    alg = header.get("alg")
    if not isinstance(alg, str) or not alg:
        return failed(JWT_ALG, "the header names no alg")
    if header.get("crit") is not None:
        # RFC 7515 §4.1.11: a recipient that does not understand a critical extension must reject.
        return unsupported(JWT_ALG, "critical header extensions (crit) are not supported yet")
    if alg in jose.ALGS:
        return passed(JWT_ALG, f"alg is {alg}")
    if alg == "none":
        return failed(JWT_ALG, "alg none: the token is not signed")
    if alg in jose.SYMMETRIC:
        return failed(JWT_ALG, "a shared-secret MAC cannot show who issued a credential")
    return unsupported(JWT_ALG, f"alg {alg[:16]} is not supported yet; only {', '.join(jose.ALGS)}")


def _key_reference(header: dict, payload: dict) -> str | None:
    kid, iss = _str(header.get("kid")), _str(payload.get("iss"))
    if kid and kid.startswith("#") and iss:
        return iss + kid  # a relative DID URL: the fragment of the issuer's DID (DID Core §3.2.2)
    return kid or iss


def _resolve_key(header: dict, payload: dict, resolver: keys.Resolver) -> tuple[keys.Method | None, Check]:
    """(the verification method, issuer.key check): kid (or iss) as a DID URL, or kid as a JWK/JWKS URL."""
    ref = _key_reference(header, payload)
    if ref is None:
        if "jwk" in header:
            # OB 3.0 §8.2.4 allows a key in the header, but nothing there ties it to the issuer.
            return None, unsupported(ISSUER_KEY, "a key embedded in the header is not trusted: nothing ties it "
                                                 "to the issuer; name it with kid")
        return None, failed(ISSUER_KEY, "neither kid nor iss names the signing key")
    iss = _str(payload.get("iss"))
    try:
        if iss is not None and _is_url(iss) and not ref.startswith(("did:", "http://", "https://", iss)):
            method = resolver.issuer_key(iss, ref)  # VC-JOSE-COSE §4.1.2: iss names the key set, kid the key
        elif _is_url(ref):
            method = resolver.resolve_jwk_url(ref)
        else:
            method = resolver.resolve(ref)
    except keys.KeyUnsupported as exc:
        return None, unsupported(ISSUER_KEY, str(exc))
    except keys.KeyUnavailable as exc:
        return None, indeterminate(ISSUER_KEY, str(exc))
    except keys.KeyNotFound as exc:
        return None, failed(ISSUER_KEY, str(exc))
    return method, passed(ISSUER_KEY, "the key id resolves to a public key")


def _is_url(value: str) -> bool:
    return value.startswith(("https://", "http://"))


def _check_signature(jws: Jws, alg: str | None, method: keys.Method | None) -> Check:
    if alg is None or method is None:
        return skipped(PROOF_SIGNATURE, "not checked: it needs a supported alg and a resolved key")
    if not jose.suits(alg, method.key):
        return failed(PROOF_SIGNATURE, f"alg {alg} needs {jose.key_kind(alg)} key; the issuer's key is not one")
    if not jose.verifies(alg, method.key, jws.signature, jws.signing_input):  # RFC 7515 §5.2 step 8
        return failed(PROOF_SIGNATURE, "the signature does not match: the token was altered or signed with another key")
    return passed(PROOF_SIGNATURE, f"the {alg} signature verifies with the issuer's key")


def _check_purpose(method: keys.Method | None) -> Check:
    if method is None:
        return skipped(ISSUER_KEY_PURPOSE, "not checked: no key was resolved")
    if keys.ASSERTION not in method.purposes:
        return failed(ISSUER_KEY_PURPOSE, "the key is not one of its controller's assertionMethod keys")
    return passed(ISSUER_KEY_PURPOSE, "the key may assert credentials")


def _check_issuer(method: keys.Method | None, payload: dict, vc: object, *, jose_cose: bool,
                  resolver: keys.Resolver) -> Check:
    """VC DM 1.1 §6.3.1 / VC-JOSE-COSE §3.1.1, §4.1.2: iss (and the credential's issuer) must control the key."""
    if method is None:
        return skipped(ISSUER_MATCHES_KEY, "not checked: no key was resolved")
    iss = _str(payload.get("iss"))
    claimed = [("iss", iss)] if iss is not None or not jose_cose else []
    stated, vc_issuer = credential.issuer_id(vc)
    if stated:
        claimed.append(("issuer" if jose_cose else "vc.issuer", vc_issuer))
    if not claimed:
        return failed(ISSUER_MATCHES_KEY, "the token names no issuer")
    bound = binding.check(resolver, method, claimed)
    if bound.status != FAILED and len({value for _, value in claimed}) > 1:
        # VC DM 1.1 §6.3.1 / VC-JOSE-COSE §4.1.2: iss must be the credential's issuer, whatever the key.
        return failed(ISSUER_MATCHES_KEY, f"{' and '.join(name for name, _ in claimed)} name different issuers")
    return bound


# --- validity ----------------------------------------------------------------------------------

def validity(payload: dict, vc: object, *, now: datetime, skew: timedelta) -> _Window:
    """The validity window is the intersection of the JWT claims and the credential's own dates."""
    window = _Window()
    try:
        starts = _numeric_dates(payload, "nbf") + credential.dates(vc, "validFrom", "issuanceDate")
        window.start = max((moment for _, moment in starts), default=None)
        window.checks.append(_not_before(window.start, now=now, skew=skew))
    except ValueError as exc:
        window.checks.append(failed(VALIDITY_NOT_BEFORE, str(exc)))
    try:
        ends = _numeric_dates(payload, "exp") + credential.dates(vc, "validUntil", "expirationDate")
        window.end = min((moment for _, moment in ends), default=None)
        window.checks.append(_expiry(window.end, now=now, skew=skew))
    except ValueError as exc:
        window.checks.append(failed(VALIDITY_EXPIRY, str(exc)))
    return window


def _not_before(start: datetime | None, *, now: datetime, skew: timedelta) -> Check:
    if start is None:
        return passed(VALIDITY_NOT_BEFORE, "no start of validity is stated")
    if now + skew < start:  # RFC 7519 §4.1.5, with leeway for clock skew
        return failed(VALIDITY_NOT_BEFORE, f"not valid before {start.isoformat()}")
    return passed(VALIDITY_NOT_BEFORE, f"valid from {start.isoformat()}")


def _expiry(end: datetime | None, *, now: datetime, skew: timedelta) -> Check:
    if end is None:
        return passed(VALIDITY_EXPIRY, "no expiry is stated")
    if now - skew >= end:  # RFC 7519 §4.1.4: valid only while now is before exp (plus leeway)
        return failed(VALIDITY_EXPIRY, f"expired at {end.isoformat()}")
    return passed(VALIDITY_EXPIRY, f"valid until {end.isoformat()}")


def _numeric_dates(payload: dict, claim: str) -> list[tuple[str, datetime]]:
    raw = payload.get(claim)
    if raw is None:
        return []
    # RFC 7519 §2 NumericDate: seconds since the epoch, possibly fractional. A bool is not one.
    if isinstance(raw, bool) or not isinstance(raw, (int, float)) or not math.isfinite(raw):
        raise ValueError(f"{claim} is not a NumericDate")
    try:
        return [(claim, datetime.fromtimestamp(raw, tz=timezone.utc))]
    except (OverflowError, OSError, ValueError):
        raise ValueError(f"{claim} is out of range") from None


# --- credential body ---------------------------------------------------------------------------

def _check_structure(payload: dict, vc: object) -> Check:
    if vc is None:
        return failed(STRUCTURE_VC, "the payload has no vc claim and is not itself a credential")
    return credential.check_structure(vc)


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
