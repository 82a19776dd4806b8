"""Verification-method resolution: a key id (DID URL or JWK) to the key, its controller and its purposes.

Sources: DID Core 1.0 §5.2 (verification methods), §5.3.2 (assertionMethod); Controlled Identifiers
1.0 §2.2 (Multikey: publicKeyMultibase with a multicodec header) and §2.2.3 (JsonWebKey);
did:key v0.7 §3.1.1 (the one key of a did:key is in every relationship); did:jwk §2 (a JWK whose
`use` is not "enc" is an assertionMethod, `#0`); did:web §3.2 (DID document location, didweb.py);
Controlled Identifiers 1.0 §3.3 (an https verification method: its document's `id` is the URL it was
read from); VC-JOSE-COSE §4.1.2/§4.2 (a kid looked up in the controller document of an https `iss`).
Whether the issuer controls the key is binding.py's question; this module only says what documents say.
"""
from __future__ import annotations

import base64
import binascii
import time
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from services.verification import didkey, didweb, fetch_budget, metrics
from shared import safejson
from shared.lru import SizedLru

ASSERTION = "assertionMethod"
_PURPOSES = ("assertionMethod", "authentication", "capabilityInvocation", "capabilityDelegation")
_CURVES = {"P-256": ec.SECP256R1(), "P-384": ec.SECP384R1(), "P-521": ec.SECP521R1()}


class KeyNotFound(ValueError):
    """The identifier is well formed but names no key (or a malformed one): the proof cannot hold."""


class KeyUnsupported(Exception):
    """A DID method or key type this service does not resolve yet."""


class KeyUnavailable(Exception):
    """The key's document could not be fetched now (transient): the verdict is indeterminate."""


@dataclass(frozen=True)
class Method:
    id: str
    controller: str  # as the method's own document states it ("" when it states none, as a JWK does)
    key: object  # Ed25519PublicKey | EllipticCurvePublicKey | RSAPublicKey
    purposes: frozenset[str]
    document: str = ""  # the DID or URL of the document it was read from ("" when handed in)
    key_set: bool = False  # read from a JWK / JWK set: the set's URL may stand for all of its keys


@dataclass(frozen=True)
class Document:
    """A DID document or controlled identifier document: its methods and the ids it lists per relationship."""
    id: str
    methods: dict[str, Method]
    listed: dict[str, frozenset[str]]  # relationship -> absolute ids listed, by reference or embedded
    kids: dict[str, str]  # a JsonWebKey's own `kid` -> its method id (VC-JOSE-COSE §4.1.1 kid hints)

    def lists(self, method: Method, purpose: str = "assertionMethod") -> bool:
        """Whether this document lists the method under `purpose` (a JWK set's URL lists all of its keys).

        A method of another document that this one also defines (embeds) must carry the same key here:
        listing an id is not a licence for whatever key that id's own document serves.
        """
        ids = self.listed.get(purpose, frozenset())
        if not (method.id in ids or (method.key_set and method.document in ids)):
            return False
        own = self.methods.get(method.id)
        return own is None or method.document == self.id or _same_key(own.key, method.key)


def _same_key(a: object, b: object) -> bool:
    spki = (Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    try:
        return bool(a is not None and b is not None
                    and a.public_bytes(*spki) == b.public_bytes(*spki))  # type: ignore[attr-defined]
    except (AttributeError, ValueError):
        return False


def _b64url(value: object, what: str) -> bytes:
    if not isinstance(value, str):
        raise KeyNotFound(f"the JWK {what} is missing")
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        raise KeyNotFound(f"the JWK {what} is not base64url") from None


def jwk_key(jwk: object):
    """A public key from a JWK (RFC 7517 / 7518 §6 / RFC 8037 §2): OKP Ed25519, EC P-256/P-384/P-521, RSA."""
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
    """A key from publicKeyMultibase (Multikey): base58-btc with an ed25519-pub or p256/p384/p521-pub header."""
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
    return Method(id=f"{did}#{did[len(didkey.PREFIX):]}", controller=did, key=key, purposes=frozenset(_PURPOSES),
                  document=did)


def _from_did_jwk(vm_id: str) -> Method:
    did, fragment = didkey.split_did_url(vm_id)
    if fragment not in (None, "0"):
        raise KeyNotFound("a did:jwk has one key, #0")
    try:
        jwk = safejson.loads(_b64url(did[len("did:jwk:"):], "did:jwk value"))
    except ValueError:
        raise KeyNotFound("the did:jwk value is not a base64url JSON object") from None
    purposes = {"keyAgreement"} if isinstance(jwk, dict) and jwk.get("use") == "enc" else set(_PURPOSES)
    return Method(id=f"{did}#0", controller=did, key=jwk_key(jwk), purposes=frozenset(purposes), document=did)


def did_web_url(did: str, *, http_loopback: bool = False) -> str:
    """did:web §3.2: did:web:host[:path...] -> https://host/.well-known/did.json or https://host/path/did.json.

    http_loopback: a loopback host is read over http (local runs and tests, never in production).
    """
    try:
        return didweb.location(did).url(http_loopback=http_loopback)
    except didweb.InvalidDidWeb as exc:
        raise KeyNotFound(str(exc)) from None


def methods_in(document: object, did: str) -> dict[str, Method]:
    """Every verification method a DID document defines, by absolute id, with its relationships."""
    return read_document(document, did).methods


def read_document(document: object, doc_id: str) -> Document:
    """A DID / controlled identifier document read from `doc_id` (CID 1.0 §3.3 step 4: its id must be that)."""
    if not isinstance(document, dict) or document.get("id") != doc_id:
        raise KeyNotFound("the document's id is not the identifier it was read for")
    absolute = lambda ref: doc_id + ref if isinstance(ref, str) and ref.startswith("#") else ref  # noqa: E731
    found: dict[str, tuple[dict, set]] = {}
    listed: dict[str, set[str]] = {purpose: set() for purpose in _PURPOSES}
    for entry in _as_list(document.get("verificationMethod")):
        if isinstance(entry, dict) and isinstance(entry.get("id"), str):
            found[absolute(entry["id"])] = (entry, set())
    for purpose in _PURPOSES:
        for ref in _as_list(document.get(purpose)):
            if isinstance(ref, dict) and isinstance(ref.get("id"), str):  # embedded method
                found.setdefault(absolute(ref["id"]), (ref, set()))[1].add(purpose)
                listed[purpose].add(absolute(ref["id"]))
            elif isinstance(ref, str):
                listed[purpose].add(absolute(ref))  # perhaps a method of another document
                if absolute(ref) in found:
                    found[absolute(ref)][1].add(purpose)
    methods = {vm_id: _method(vm_id, entry, purposes, doc_id) for vm_id, (entry, purposes) in found.items()}
    kids = {entry["publicKeyJwk"]["kid"]: vm_id for vm_id, (entry, _) in found.items()
            if isinstance(entry.get("publicKeyJwk"), dict) and isinstance(entry["publicKeyJwk"].get("kid"), str)}
    return Document(id=doc_id, methods=methods, listed={p: frozenset(ids) for p, ids in listed.items()}, kids=kids)


def _method(vm_id: str, entry: dict, purposes: set, doc_id: str) -> Method:
    controller = entry.get("controller")
    if "publicKeyJwk" in entry:
        key = jwk_key(entry["publicKeyJwk"])
    elif "publicKeyMultibase" in entry:
        key = multikey(entry["publicKeyMultibase"])
    else:
        key = None  # a key format this service does not read; unusable, reported when chosen
    if isinstance(controller, str) and controller.startswith("#"):
        controller = doc_id + controller
    return Method(id=vm_id, controller=controller if isinstance(controller, str) else "", key=key,
                  purposes=frozenset(purposes), document=doc_id)


def _as_list(value: object) -> list:
    return value if isinstance(value, list) else ([] if value is None else [value])


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


# A parsed JSON document holds about 4.4 times its text in memory (as schema_check measured); a small entry's
# key, tuple and parsed Document are counted as a fixed overhead.
_PARSED_PER_BYTE, _ENTRY_OVERHEAD = 5, 1024
DEFAULT_CACHE_BYTES = 32 * 1024 * 1024


class Resolver:
    """Resolves verification-method ids and reads controllers' own documents; fetched documents come from
    `fetch` and are cached for `ttl_s`."""

    def __init__(self, *, fetch: Callable[[str], bytes] | None = None, ttl_s: float = 300.0,
                 clock: Callable[[], float] = time.monotonic, http_loopback: bool = False,
                 max_cache_bytes: int = DEFAULT_CACHE_BYTES):
        self._fetch = fetch
        self._http_loopback = http_loopback
        self._ttl_s = ttl_s
        self._clock = clock
        # Documents by URL or DID, bounded by what they hold: an attacker's issuer can publish many and large ones.
        self._cache: SizedLru[Any] = SizedLru(max_cache_bytes)

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
        if self._web_url(vm_id):
            return self.resolve_jwk_url(vm_id)  # CID 1.0 §3.3: an https verification method
        raise KeyUnsupported("keys named by a plain URL are supported over https only")

    def resolve_jwk_url(self, url: str) -> Method:
        """The key an https kid names: a JWK or JWK set there (OB 3.0 §8.2.4.1; the fragment is the kid), or a
        method of the controlled identifier document there (CID 1.0 §3.3). Who controls it is binding.py's."""
        if not self._web_url(url):
            raise KeyNotFound("a key URL must be https")
        base = url.partition("#")[0]
        raw = self._cached(base, lambda: self._fetch_json(base))
        if isinstance(raw, dict) and ("keys" in raw or "kty" in raw):
            jwk = _pick_jwk(raw, url)
            purposes = {"keyAgreement"} if jwk.get("use") == "enc" else {ASSERTION}
            return Method(id=url, controller="", key=jwk_key(jwk), purposes=frozenset(purposes), document=base,
                          key_set=True)
        return _chosen(read_document(raw, base), url)

    def issuer_key(self, iss: str, kid: str) -> Method:
        """VC-JOSE-COSE §4.1.2: an https `iss` with a kid that is no URL names a key of iss's controller document."""
        document = self.document(iss)
        vm_id = document.kids.get(kid) or f"{iss}#{kid}"
        return _chosen(document, vm_id)

    def document(self, identifier: str) -> Document:
        """The identifier's own document, read from where the identifier says: a did:web's DID document, an https
        URL's controlled identifier document (its id must be that URL), a did:key's or did:jwk's implied one."""
        if identifier.startswith((didkey.PREFIX, "did:jwk:")):
            method = self.resolve(identifier)
            return Document(id=identifier, methods={method.id: method},
                            listed={p: frozenset({method.id}) for p in method.purposes}, kids={})
        if identifier.startswith("did:web:"):
            return self._did_web_document(identifier.partition("#")[0])
        if self._web_url(identifier) and "#" not in identifier:
            raw = self._cached(identifier, lambda: self._fetch_json(identifier))
            return read_document(raw, identifier)
        raise KeyUnsupported(f"no document can be read for {_scheme(identifier)} identifiers; only did:key, "
                             "did:jwk, did:web and https")

    def _web_url(self, url: str) -> bool:
        host = urlsplit(url).hostname or ""
        return url.startswith("https://") or (self._http_loopback and url.startswith("http://")
                                               and host in ("127.0.0.1", "localhost"))

    def _cached(self, key: str, load: Callable[[], tuple[Any, int]]) -> Any:
        """The value cached under `key`, else `load()`'s (value, bytes fetched for it), kept for the TTL."""
        now = self._clock()
        cached = self._cache.get(key, now)
        metrics.cache("issuer_key", hit=cached is not None)
        if cached is not None:
            return cached
        value, fetched = load()
        self._cache.put(key, value, size=fetched * _PARSED_PER_BYTE + _ENTRY_OVERHEAD, expires=now + self._ttl_s)
        return value

    def _fetch_json(self, url: str) -> tuple[object, int]:
        if self._fetch is None:
            raise KeyUnsupported("keys published by URL are not available: no safe fetcher is configured")
        return self._read_json(url, "the key document is not JSON")

    def _read_json(self, url: str, not_json: str) -> tuple[object, int]:
        assert self._fetch is not None
        body = self._fetch(url)  # KeyNotFound is a ValueError: fetch outside the JSON error handling
        try:
            return safejson.loads(body), len(body)
        except ValueError:
            raise KeyNotFound(not_json) from None

    def _from_did_web(self, vm_id: str) -> Method:
        did, fragment = didkey.split_did_url(vm_id)
        if fragment is None:
            raise KeyNotFound("a did:web verification method needs a #fragment naming the key")
        methods = self._did_web_document(did).methods
        if vm_id not in methods or methods[vm_id].key is None:
            raise KeyNotFound("the DID document has no usable key with that id")
        return methods[vm_id]

    def _did_web_document(self, did: str) -> Document:
        url = did_web_url(did, http_loopback=self._http_loopback)
        def load() -> tuple[Document, int]:
            raw, fetched = self._fetch_did_document(url)
            return read_document(raw, did), fetched
        return self._cached(did, load)

    def _fetch_did_document(self, url: str) -> tuple[object, int]:
        if self._fetch is None:
            raise KeyUnsupported("did:web is not available: no safe fetcher is configured")
        return self._read_json(url, "the DID document is not JSON")


def _chosen(document: Document, vm_id: str) -> Method:
    """The method `vm_id` names in the document; without a fragment, its one assertionMethod key."""
    if "#" not in vm_id:
        usable = [m for m in document.methods.values() if ASSERTION in m.purposes and m.key is not None]
        if len(usable) == 1:
            return usable[0]
    method = document.methods.get(vm_id)
    if method is None or method.key is None:
        raise KeyNotFound("the controller document has no usable key with that id")
    return method


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def _scheme(identifier: str) -> str:
    if identifier.startswith("did:") and identifier.count(":") >= 2:
        return "did:" + identifier.split(":", 2)[1][:32]
    return (identifier.split(":", 1)[0][:16] or "unnamed") if ":" in identifier else "unnamed"


_RESOLVERS: dict[object, Resolver] = {}
_KEY_TYPES = ("application/did+json", "application/did+ld+json", "application/json", "application/ld+json",
              "application/jwk+json", "application/jwk-set+json", "application/cid")  # CID 1.0's media type


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
        from shared.fetch import Fetcher
    except ImportError:  # shared/fetch.py is issue 4's; without it did:web stays unsupported
        return None
    return document_fetch(Fetcher(settings).get)


def document_fetch(get: Callable[..., Any]) -> Callable[[str], bytes]:
    """The resolver's fetch over a safe `get` (shared.fetch.Fetcher.get, or a test's network): a 2xx body, or
    KeyNotFound (refused, or not there) / KeyUnavailable (could not be fetched now)."""
    from shared.fetch import FetchFailed, FetchRefused

    def fetch(url: str) -> bytes:
        try:
            got = fetch_budget.charged(get, url, purpose="did_document", accept=_KEY_TYPES)
        except FetchRefused as exc:
            raise KeyNotFound(f"the document may not be fetched: {exc.reason}") from None
        except FetchFailed as exc:
            raise KeyUnavailable(f"the document could not be fetched now: {exc.reason}") from None
        if got.status >= 400:
            raise KeyNotFound(f"the document is not there (HTTP {got.status})")
        if _origin(got.final_url) != _origin(url):
            # An open redirect on the issuer's host must not let another host answer for the issuer.
            raise KeyNotFound("the document was redirected to another host")
        return got.body
    return fetch
