"""Verification-method resolution: a key id (DID URL or JWK) to the key, its controller and its purposes.

Sources: DID Core 1.0 §5.2 (verification methods), §5.3.2 (assertionMethod); Controlled Identifiers
1.0 §2.2 (Multikey: publicKeyMultibase with a multicodec header) and §2.2.3 (JsonWebKey);
did:key v0.7 §3.1.1 (the one key of a did:key is in every relationship); did:jwk §2 (a JWK whose
`use` is not "enc" is an assertionMethod, `#0`); did:web §3.2 (DID document location).
"""
from __future__ import annotations

import base64
import binascii
import time
from dataclasses import dataclass
from typing import Callable
from urllib.parse import unquote, urlsplit

from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from services.verification import didkey, metrics
from shared import safejson

ASSERTION = "assertionMethod"
_PURPOSES = ("assertionMethod", "authentication", "capabilityInvocation", "capabilityDelegation")
_CURVES = {"P-256": ec.SECP256R1(), "P-384": ec.SECP384R1()}


class KeyNotFound(ValueError):
    """The identifier is well formed but names no key (or a malformed one): the proof cannot hold."""


class KeyUnsupported(Exception):
    """A DID method or key type this service does not resolve yet."""


class KeyUnavailable(Exception):
    """The key's document could not be fetched now (transient): the verdict is indeterminate."""


@dataclass(frozen=True)
class Method:
    id: str
    controller: str
    key: object  # Ed25519PublicKey | EllipticCurvePublicKey | RSAPublicKey
    purposes: frozenset[str]


def _b64url(value: object, what: str) -> bytes:
    if not isinstance(value, str):
        raise KeyNotFound(f"the JWK {what} is missing")
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        raise KeyNotFound(f"the JWK {what} is not base64url") from None


def jwk_key(jwk: object):
    """A public key from a JWK (RFC 7517 / 7518 §6 / RFC 8037 §2): OKP Ed25519, EC P-256/P-384, RSA."""
    if not isinstance(jwk, dict):
        raise KeyNotFound("the JWK is not an object")
    if "d" in jwk:
        raise KeyNotFound("the JWK holds a private key")  # never accept published private keys
    kty, crv = jwk.get("kty"), jwk.get("crv")
    try:
        if kty == "OKP" and crv == "Ed25519":
            return ed25519.Ed25519PublicKey.from_public_bytes(_b64url(jwk.get("x"), "x"))
        if kty == "EC" and crv in _CURVES:
            x, y = _b64url(jwk.get("x"), "x"), _b64url(jwk.get("y"), "y")
            return ec.EllipticCurvePublicKey.from_encoded_point(_CURVES[crv], b"\x04" + x + y)
        if kty == "RSA":
            n, e = (int.from_bytes(_b64url(jwk.get(k), k), "big") for k in ("n", "e"))
            if n.bit_length() < 2048:
                raise KeyNotFound("the RSA key is shorter than 2048 bits")
            return rsa.RSAPublicNumbers(e, n).public_key()
    except ValueError as exc:
        raise KeyNotFound(f"the JWK is not a valid public key: {exc}") from None
    raise KeyUnsupported(f"JWK keys of type {str(kty)[:8]}/{str(crv)[:8]} are not supported yet")


def multikey(value: object):
    """A key from publicKeyMultibase (Multikey): base58-btc with an ed25519-pub or p256-pub header."""
    if not isinstance(value, str) or not value.startswith("z"):
        raise KeyNotFound("publicKeyMultibase is not base58-btc multibase")
    try:
        return didkey.public_key(didkey.PREFIX + value)
    except didkey.InvalidDidKey as exc:
        raise KeyNotFound(str(exc)) from None
    except didkey.UnsupportedKey as exc:
        raise KeyUnsupported(str(exc)) from None


def _from_did_key(vm_id: str) -> Method:
    did, _ = didkey.split_did_url(vm_id)
    try:
        key = didkey.public_key(vm_id)
    except didkey.InvalidDidKey as exc:
        raise KeyNotFound(str(exc)) from None
    except didkey.UnsupportedKey as exc:
        raise KeyUnsupported(str(exc)) from None
    return Method(id=f"{did}#{did[len(didkey.PREFIX):]}", controller=did, key=key, purposes=frozenset(_PURPOSES))


def _from_did_jwk(vm_id: str) -> Method:
    did, fragment = didkey.split_did_url(vm_id)
    if fragment not in (None, "0"):
        raise KeyNotFound("a did:jwk has one key, #0")
    try:
        jwk = safejson.loads(_b64url(did[len("did:jwk:"):], "did:jwk value"))
    except ValueError:
        raise KeyNotFound("the did:jwk value is not a base64url JSON object") from None
    purposes = {"keyAgreement"} if isinstance(jwk, dict) and jwk.get("use") == "enc" else set(_PURPOSES)
    return Method(id=f"{did}#0", controller=did, key=jwk_key(jwk), purposes=frozenset(purposes))


def did_web_url(did: str, *, http_loopback: bool = False) -> str:
    """did:web §3.2: did:web:host[:path...] -> https://host/.well-known/did.json or https://host/path/did.json.

    http_loopback: a loopback host is read over http (local runs and tests, never in production).
    """
    parts = did[len("did:web:"):].split(":")
    if not parts[0]:
        raise KeyNotFound("the did:web names no host")
    host = unquote(parts[0])  # a port is percent-encoded as %3A
    if "/" in host or "@" in host:
        raise KeyNotFound("the did:web host is not a host name")
    path = "/".join(unquote(p) for p in parts[1:]) if len(parts) > 1 else ".well-known"
    scheme = "http" if http_loopback and host.split(":")[0] in ("127.0.0.1", "localhost") else "https"
    return f"{scheme}://{host}/{path}/did.json"


def methods_in(document: object, did: str) -> dict[str, Method]:
    """Every verification method a DID document defines, by absolute id, with its relationships."""
    if not isinstance(document, dict) or document.get("id") != did:
        raise KeyNotFound("the DID document is not for this DID")
    absolute = lambda ref: did + ref if isinstance(ref, str) and ref.startswith("#") else ref  # noqa: E731
    found: dict[str, tuple[dict, set]] = {}
    for entry in _as_list(document.get("verificationMethod")):
        if isinstance(entry, dict) and isinstance(entry.get("id"), str):
            found[absolute(entry["id"])] = (entry, set())
    for purpose in _PURPOSES:
        for ref in _as_list(document.get(purpose)):
            if isinstance(ref, dict) and isinstance(ref.get("id"), str):  # embedded method
                found.setdefault(absolute(ref["id"]), (ref, set()))[1].add(purpose)
            elif isinstance(ref, str) and absolute(ref) in found:
                found[absolute(ref)][1].add(purpose)
    return {vm_id: _method(vm_id, entry, purposes) for vm_id, (entry, purposes) in found.items()}


def _method(vm_id: str, entry: dict, purposes: set) -> Method:
    controller = entry.get("controller")
    if "publicKeyJwk" in entry:
        key = jwk_key(entry["publicKeyJwk"])
    elif "publicKeyMultibase" in entry:
        key = multikey(entry["publicKeyMultibase"])
    else:
        key = None  # a key format this service does not read; unusable, reported when chosen
    return Method(id=vm_id, controller=controller if isinstance(controller, str) else "", key=key,
                  purposes=frozenset(purposes))


def _as_list(value: object) -> list:
    return value if isinstance(value, list) else ([] if value is None else [value])


def owns(controller: str, issuer_id: str | None) -> bool:
    """Whether the key's controller is the issuer: the same DID, or an https key URL on the issuer's origin."""
    if not issuer_id or not controller:
        return False
    if controller == issuer_id:
        return True
    # A JWK served from https://academy.example/... speaks for https://academy.example[/...] issuers.
    return controller.startswith(("https://", "http://")) and (issuer_id + "/").startswith(controller + "/")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _pick_jwk(document: object, url: str) -> dict:
    """A JWK document, or the key of a JWKS (RFC 7517 §5) whose kid is the URL's fragment (or the only one)."""
    if isinstance(document, dict) and isinstance(document.get("keys"), list):
        fragment = urlsplit(url).fragment
        candidates = [k for k in document["keys"] if isinstance(k, dict)]
        if fragment:
            candidates = [k for k in candidates if k.get("kid") == fragment]
        if len(candidates) != 1:
            raise KeyNotFound("the key set has no single key for this kid")
        return candidates[0]
    if isinstance(document, dict):
        return document
    raise KeyNotFound("the key document is not a JWK or a JWK set")


class Resolver:
    """Resolves verification-method ids; did:web documents come from `fetch` and are cached for `ttl_s`."""

    def __init__(self, *, fetch: Callable[[str], bytes] | None = None, ttl_s: float = 300.0,
                 clock: Callable[[], float] = time.monotonic, http_loopback: bool = False):
        self._fetch = fetch
        self._http_loopback = http_loopback
        self._ttl_s = ttl_s
        self._clock = clock
        self._cache: dict[str, tuple[float, dict[str, Method]]] = {}

    def resolve(self, vm_id: object) -> Method:
        if not isinstance(vm_id, str) or not vm_id:
            raise KeyNotFound("the verification method is not an identifier")
        if vm_id.startswith(didkey.PREFIX):
            return _from_did_key(vm_id)
        if vm_id.startswith("did:jwk:"):
            return _from_did_jwk(vm_id)
        if vm_id.startswith("did:web:"):
            return self._from_did_web(vm_id)
        method = vm_id.split(":", 2)[1] if vm_id.startswith("did:") and vm_id.count(":") >= 2 else None
        if method:
            raise KeyUnsupported(f"did:{method[:32]} keys are not supported yet (did:key, did:jwk, did:web are)")
        raise KeyUnsupported("keys named by a plain URL are not supported yet; only DIDs")

    def resolve_jwk_url(self, url: str) -> Method:
        """A JWK or JWKS published at an https kid URL (OB 3.0 §8.2.4.1); its controller is the URL's origin."""
        host = urlsplit(url).hostname or ""
        if not url.startswith("https://") and not (self._http_loopback and host in ("127.0.0.1", "localhost")):
            raise KeyNotFound("a key URL must be https")
        methods = self._cached(url.partition("#")[0], lambda: self._fetch_json(url.partition("#")[0]))
        jwk = _pick_jwk(methods, url)
        purposes = {"keyAgreement"} if jwk.get("use") == "enc" else {ASSERTION}
        return Method(id=url, controller=_origin(url), key=jwk_key(jwk), purposes=frozenset(purposes))

    def _cached(self, key: str, load: Callable[[], object]):
        cached = self._cache.get(key)
        hit = bool(cached and cached[0] > self._clock())
        metrics.cache("issuer_key", hit=hit)
        if hit:
            return cached[1]
        value = load()
        self._cache[key] = (self._clock() + self._ttl_s, value)
        return value

    def _fetch_json(self, url: str) -> object:
        if self._fetch is None:
            raise KeyUnsupported("keys published by URL are not available: no safe fetcher is configured")
        try:
            return safejson.loads(self._fetch(url))
        except ValueError:
            raise KeyNotFound("the key document is not JSON") from None

    def _from_did_web(self, vm_id: str) -> Method:
        did, fragment = didkey.split_did_url(vm_id)
        if fragment is None:
            raise KeyNotFound("a did:web verification method needs a #fragment naming the key")
        methods = self._document_methods(did)
        if vm_id not in methods or methods[vm_id].key is None:
            raise KeyNotFound("the DID document has no usable key with that id")
        return methods[vm_id]

    def _document_methods(self, did: str) -> dict[str, Method]:
        url = did_web_url(did, http_loopback=self._http_loopback)
        return self._cached(did, lambda: methods_in(self._fetch_did_document(url), did))

    def _fetch_did_document(self, url: str) -> object:
        if self._fetch is None:
            raise KeyUnsupported("did:web is not available: no safe fetcher is configured")
        try:
            return safejson.loads(self._fetch(url))
        except ValueError:
            raise KeyNotFound("the DID document is not JSON") from None


_RESOLVERS: dict[object, Resolver] = {}
_KEY_TYPES = ("application/did+json", "application/did+ld+json", "application/json", "application/ld+json",
              "application/jwk+json", "application/jwk-set+json")


def resolver_for(settings) -> Resolver:
    """One resolver (and so one did:web cache) per process and settings; its fetcher is built on first use."""
    resolver = _RESOLVERS.get(settings)
    if resolver is None:
        resolver = Resolver(fetch=_safe_fetch(settings), ttl_s=settings.key_cache_ttl_s,
                            http_loopback=bool(settings.fetch_allow_loopback))
        _RESOLVERS[settings] = resolver
    return resolver


def _safe_fetch(settings) -> Callable[[str], bytes] | None:
    try:
        from shared.fetch import FetchFailed, FetchRefused, Fetcher
    except ImportError:  # shared/fetch.py is issue 4's; without it did:web stays unsupported
        return None
    fetcher = Fetcher(settings)

    def fetch(url: str) -> bytes:
        try:
            got = fetcher.get(url, purpose="did_document", accept=_KEY_TYPES)
        except FetchRefused as exc:
            raise KeyNotFound(f"the DID document may not be fetched: {exc.reason}") from None
        except FetchFailed as exc:
            raise KeyUnavailable(f"the DID document could not be fetched now: {exc.reason}") from None
        if got.status >= 400:
            raise KeyNotFound(f"the DID document is not there (HTTP {got.status})")
        return got.body
    return fetch
