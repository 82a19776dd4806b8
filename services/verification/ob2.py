"""Open Badges 2.0: hosted assertions (fetched from their id and compared) and signed ones (a JWS by the issuer's key).

Sources: Open Badges 2.0 (IMS Global, 2018) §Assertion, §BadgeClass, §Profile (Issuer), §VerificationObject
(hosted: the assertion's id is fetched and must be on the issuer's origin unless the issuer's
verification says otherwise — allowedOrigins / startsWith; signed: a JWS whose `verification.creator`
is the issuer's CryptographicKey), §RevocationList, and the 1EdTech "Verification" section (a hosted
assertion answering 410 Gone, or `revoked: true`, is revoked).

Nothing a badge embeds is trusted: the BadgeClass, the Issuer and the signing key are each fetched from
their own id, must name that very id and stay on its origin across redirects (else anyone could serve a
profile "of" any issuer), and only that Issuer's `verification` rules and `publicKey` list count.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import jwt as pyjwt
from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from services.verification import credential
from services.verification.fetching import Fetch, Unfetched, fetch_answer
from services.verification.report import (ISSUER_KEY, PROOF_SIGNATURE, VALIDITY_EXPIRY, VALIDITY_NOT_BEFORE, Check,
                                          failed, indeterminate, passed, unsupported)
from shared import safejson

OB2_CONTEXT = "https://w3id.org/openbadges/v2"
HOSTED = "ob2.hosted"        # the assertion fetched from its id is the one submitted, and still there
BADGE = "ob2.badge"          # the BadgeClass and its Issuer could be fetched and belong together
ORIGIN = "ob2.origin"        # the assertion is hosted where its issuer says its assertions live
REVOCATION = "status.revocation"
_JSON = ("application/ld+json", "application/json")
_MAX = 1_000_000
_ALGORITHMS = ("RS256", "RS384", "RS512", "ES256", "ES384", "PS256")
_RSA_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256")


class Unverifiable(Exception):
    def __init__(self, check: Check):
        super().__init__(check.message)
        self.check = check


@dataclass(frozen=True)
class Result:
    checks: list[Check]
    assertion: dict | None = None
    achievement: dict | None = None
    issuer: dict | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None


def is_assertion(doc: object) -> bool:
    if not isinstance(doc, dict):
        return False
    contexts = doc.get("@context")
    contexts = contexts if isinstance(contexts, list) else [contexts]
    return OB2_CONTEXT in contexts or "Assertion" in credential.types_of(doc)


def signed_payload(token: str) -> dict | None:
    """The OB 2.0 assertion a compact JWS carries, unverified, or None if it carries none."""
    try:
        payload = pyjwt.decode(token, options={"verify_signature": False})
    except pyjwt.PyJWTError:
        return None
    return payload if is_assertion(payload) else None


def verify_hosted(submitted: dict, *, fetch: Fetch | None, now: datetime, skew_s: int) -> Result:
    """§VerificationObject "hosted": the assertion at its own id is authoritative; it must match what was sent."""
    try:
        fetch = _require(fetch)
        url = _http_url(submitted.get("id"), "the assertion's id")
        hosted = _fetch_node(fetch, url, purpose="ob2_assertion", what="the hosted assertion", code=HOSTED,
                             gone_is_revoked=True)
        checks = [_compare(submitted, hosted)]
        badge, issuer = _badge_and_issuer(hosted, fetch)
        checks.append(_origin(url, issuer))
    except Unverifiable as exc:
        return Result([exc.check], assertion=submitted)
    return _finish(hosted, badge, issuer, checks, fetch=fetch, now=now, skew_s=skew_s)


def verify_signed(token: str, *, fetch: Fetch | None, now: datetime, skew_s: int) -> Result:
    """§VerificationObject "signed": a JWS by a key the issuer publishes, owned by that issuer."""
    assertion = signed_payload(token) or {}
    try:
        fetch = _require(fetch)
        key_url = _http_url((assertion.get("verification") or {}).get("creator"), "verification.creator")
        key_doc = _fetch_node(fetch, key_url, purpose="ob2_issuer", what="the signing key", code=ISSUER_KEY)
        signature = _signature(token, key_doc)
        if signature.status != "passed":
            return Result([signature], assertion=assertion)  # an altered badge's references are not followed
        badge, issuer = _badge_and_issuer(assertion, fetch)
        checks = [_key_belongs(key_doc, issuer, key_url), signature]
    except Unverifiable as exc:
        return Result([exc.check], assertion=assertion)
    return _finish(assertion, badge, issuer, checks, fetch=fetch, now=now, skew_s=skew_s)


def _finish(assertion: dict, badge: dict, issuer: dict, checks: list[Check], *, fetch: Fetch, now: datetime,
            skew_s: int) -> Result:
    checks.append(_revocation(assertion, issuer, fetch))
    start, end, dates = _validity(assertion, now=now, skew=timedelta(seconds=skew_s))
    return Result(checks + dates, assertion=assertion, achievement=achievement(badge, assertion),
                  issuer={"id": _str(issuer.get("id")), "name": _str(issuer.get("name"))},
                  valid_from=start, valid_until=end)


# --- fetching -----------------------------------------------------------------------------------

def _require(fetch: Fetch | None) -> Fetch:
    if fetch is None:
        raise Unverifiable(unsupported(HOSTED, "Open Badges 2.0 needs its issuer's documents fetched; "
                                              "this verification had no network access"))
    return fetch


def _http_url(value: object, what: str) -> str:
    if not isinstance(value, str) or not value.startswith(("https://", "http://")):
        raise Unverifiable(failed(HOSTED, f"{what} is not an http(s) URL"))
    return value


def _fetch_json(fetch: Fetch, url: str, *, purpose: str, what: str, gone_is_revoked: bool = False) -> tuple[dict, str]:
    """(the JSON object at `url`, the URL it finally came from after redirects)."""
    try:
        got = fetch_answer(fetch, url, kind="ob2", purpose=purpose, accept=_JSON, max_bytes=_MAX)
    except Unfetched as exc:
        if exc.status == 410 and gone_is_revoked:
            raise Unverifiable(failed(REVOCATION, "the issuer has revoked this badge (its assertion is gone: 410)")) from None
        raise Unverifiable(indeterminate(HOSTED, f"{what} could not be fetched{exc.answer}")) from None
    try:
        doc = safejson.loads(got.body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise Unverifiable(failed(HOSTED, f"{what} is not JSON")) from None
    if not isinstance(doc, dict):
        raise Unverifiable(failed(HOSTED, f"{what} is not a JSON object"))
    return doc, got.final_url or url


def _fetch_node(fetch: Fetch, url: str, *, purpose: str, what: str, code: str, gone_is_revoked: bool = False) -> dict:
    """The document at `url`, which must be the node with that id, served from that id's own origin.

    §Profile / §BadgeClass / §CryptographicKey: a node's id is where it is published. A document that names
    another id is a copy (or a claim), and one that a redirect fetched from another origin speaks for that
    origin, not for the id: neither is the node it claims to be.
    """
    doc, final_url = _fetch_json(fetch, url, purpose=purpose, what=what, gone_is_revoked=gone_is_revoked)
    if doc.get("id") != url:
        raise Unverifiable(failed(code, f"{what} fetched from its id names a different id: it is not what it claims to be"))
    if _origin_of(final_url) != _origin_of(url):
        raise Unverifiable(failed(code, f"{what} was redirected to another origin, which cannot speak for its id"))
    return doc


def _origin_of(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port


def _badge_and_issuer(assertion: dict, fetch: Fetch) -> tuple[dict, dict]:
    """The BadgeClass and its Issuer as their own ids serve them; whatever the assertion embeds is only a reference."""
    badge = _fetch_node(fetch, _http_url(_ref(assertion.get("badge")), "the assertion's badge"),
                        purpose="ob2_issuer", what="the BadgeClass", code=BADGE)
    issuer = _fetch_node(fetch, _http_url(_ref(badge.get("issuer")), "the BadgeClass's issuer"),
                         purpose="ob2_issuer", what="the Issuer profile", code=BADGE)
    return badge, issuer


# --- checks -------------------------------------------------------------------------------------

def _compare(submitted: dict, hosted: dict) -> Check:
    if hosted.get("id") != submitted.get("id"):
        return failed(HOSTED, "the assertion hosted at its id has a different id")
    for name in ("recipient", "badge", "issuedOn", "expires"):
        if _ref(hosted.get(name)) != _ref(submitted.get(name)):
            return failed(HOSTED, f"the submitted assertion's {name} differs from the one its issuer hosts")
    if hosted.get("revoked") is True:
        return failed(REVOCATION, "the issuer has revoked this badge")
    return passed(HOSTED, "the assertion its issuer hosts at its id is the one submitted")


def _ref(value: object) -> object:
    return value.get("id") if isinstance(value, dict) and "id" in value else value  # an embedded node or its IRI


def _origin(assertion_url: str, issuer: dict) -> Check:
    # §VerificationObject: by default a hosted assertion must be on the issuer id's origin.
    rules = found if isinstance(found := issuer.get("verification"), dict) else {}
    prefixes = [p for p in _list(rules.get("startsWith")) if isinstance(p, str)]
    if prefixes:
        ok = any(assertion_url.startswith(p) for p in prefixes)
    else:
        allowed = [o for o in _list(rules.get("allowedOrigins")) if isinstance(o, str)]
        allowed = allowed or [urlsplit(issuer["id"]).netloc]
        ok = urlsplit(assertion_url).netloc in allowed
    if not ok:
        return failed(ORIGIN, "the assertion is hosted somewhere its issuer does not host assertions")
    return passed(ORIGIN, "the assertion is hosted where its issuer hosts assertions")


def _key_belongs(key_doc: dict, issuer: dict, key_url: str) -> Check:
    # §Profile publicKey: the issuer's own profile lists its keys. A key's `owner` is only the key's claim
    # about itself (anyone can publish a key "owned" by any issuer), so it can refuse a key, never admit one.
    published = [_ref(k) for k in _list(issuer.get("publicKey"))]
    if key_url not in published:
        raise Unverifiable(failed(ISSUER_KEY, "the signing key is not among the keys the badge's issuer publishes"))
    if key_doc.get("owner") not in (None, issuer["id"]):
        raise Unverifiable(failed(ISSUER_KEY, "the signing key names another owner than the badge's issuer"))
    return passed(ISSUER_KEY, "the signing key is published by the badge's issuer")


def _signature(token: str, key_doc: dict) -> Check:
    if not isinstance(key_doc.get("publicKeyPem"), str):
        return failed(ISSUER_KEY, "the signing key document has no publicKeyPem")
    try:
        key = load_pem_public_key(key_doc["publicKeyPem"].encode())
        if not isinstance(key, (RSAPublicKey, EllipticCurvePublicKey)):
            return failed(ISSUER_KEY, "the issuer's publicKeyPem is neither an RSA nor an EC key")
        # Only the algorithms of the key's kind: PyJWT raises TypeError for a key of the other kind.
        algorithms = [a for a in _ALGORITHMS if (a in _RSA_ALGORITHMS) == isinstance(key, RSAPublicKey)]
        # Only the signature: an OB 2.0 assertion's dates are its own (issuedOn / expires), checked below.
        pyjwt.decode(token, key=key, algorithms=algorithms,
                     options={"verify_exp": False, "verify_nbf": False, "verify_iat": False, "verify_aud": False})
    except ValueError:
        return failed(ISSUER_KEY, "the issuer's publicKeyPem is not a public key")
    except pyjwt.InvalidSignatureError:
        return failed(PROOF_SIGNATURE, "the signature does not match: the badge was altered or signed with another key")
    except pyjwt.PyJWTError as exc:
        return failed(PROOF_SIGNATURE, f"the JWS does not verify ({type(exc).__name__})")
    return passed(PROOF_SIGNATURE, "the JWS verifies with the issuer's published key")


def _revocation(assertion: dict, issuer: dict, fetch: Fetch) -> Check:
    url = issuer.get("revocationList")
    if url is None:
        return passed(REVOCATION, "not revoked: the issuer publishes no revocation list")
    try:
        doc, _ = _fetch_json(fetch, _http_url(url, "the issuer's revocationList"), purpose="status_list",
                             what="the revocation list")
    except Unverifiable as exc:
        return indeterminate(REVOCATION, exc.check.message)
    revoked = {e if isinstance(e, str) else (e.get("id") or e.get("uid")) for e in _list(doc.get("revokedAssertions"))
               if isinstance(e, (str, dict))}
    if assertion.get("id") in revoked or assertion.get("uid") in revoked:
        return failed(REVOCATION, "the issuer has revoked this badge")
    return passed(REVOCATION, "not revoked: the issuer's revocation list does not name it")


def _validity(assertion: dict, *, now: datetime,
              skew: timedelta) -> tuple[datetime | None, datetime | None, list[Check]]:
    try:
        start, end = _date(assertion, "issuedOn"), _date(assertion, "expires")
    except ValueError as exc:
        return None, None, [failed(VALIDITY_EXPIRY, str(exc))]
    checks = [failed(VALIDITY_NOT_BEFORE, f"issued in the future ({start.isoformat()})") if start and now + skew < start
              else passed(VALIDITY_NOT_BEFORE, "issued in the past"),
              failed(VALIDITY_EXPIRY, f"expired at {end.isoformat()}") if end and now - skew >= end
              else passed(VALIDITY_EXPIRY, f"valid until {end.isoformat()}" if end else "no expiry is stated")]
    return start, end, checks


def achievement(badge: dict, assertion: dict) -> dict:
    """The BadgeClass in the report's achievement shape (the same keys an OB 3.0 Achievement gives)."""
    alignments = [{k: _str(a.get(k)) for k in ("targetUrl", "targetCode", "targetFramework", "targetName")}
                  | {"targetType": None} for a in _list(badge.get("alignment")) if isinstance(a, dict)]
    return {"id": _str(badge.get("id")), "name": _str(badge.get("name")), "type": credential.types_of(badge),
            "description": _str(badge.get("description")),
            "criteria": _criteria(badge.get("criteria")),
            "alignments": alignments, "achieved_level": None}


def _date(node: dict, name: str) -> datetime | None:
    raw = node.get(name)
    return credential.parse_datetime(raw, name) if isinstance(raw, str) else None


def _criteria(criteria: object) -> str | None:
    # OB 2.0 Criteria: a URL, or an object with a narrative and/or an id.
    if isinstance(criteria, dict):
        return _str(criteria.get("narrative")) or _str(criteria.get("id"))
    return _str(criteria)


def _list(value: object) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _str(value: object) -> str | None:
    return value[:2000] if isinstance(value, str) and value else None
