"""Tenants (employers), their ATS connections and their recruiters' API keys."""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timezone

from cryptography.fernet import Fernet, InvalidToken
from pymongo import ASCENDING
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from shared.problems import Problem
from shared.settings import Settings, UnsafeSettings
from shared.ttlcache import TTLCache

PROVIDERS = ("generic", "greenhouse", "lever", "workable", "ashby", "smartrecruiters", "teamtailor")
MAX_LIVE_SECRETS = 2  # rotation: the new secret and the one it replaces both verify
# SmartRecruiters keeps up to 16 unexpired keys and signs with each of them (one v1 entry per key).
MAX_LIVE_SECRETS_BY_PROVIDER = {"smartrecruiters": 16}
# Connection options an operator may set; the api_key and OAuth client credentials are not among them because they
# are stored encrypted. acting_user and auth_url go with the OAuth client credentials (Greenhouse Harvest v3).
OPTION_KEYS = ("base_url", "teamtailor_v1", "acting_user", "auth_url")
_DEV_KEY = base64.urlsafe_b64encode(hashlib.sha256(b"credbridge-development-only").digest())


_MAX_DECRYPTED = 4096  # decrypted secrets kept per process (a few per connection)


class TenantError(Exception):
    """A tenant-management request that cannot be carried out (unknown tenant, duplicate connection)."""


@dataclass(frozen=True)
class Connection:
    tenant: str
    provider: str
    secrets: tuple[str, ...] = field(repr=False)  # webhook signing secrets (decrypted; never logged)
    options: dict
    api_key: str | None = field(default=None, repr=False)  # thin ATSs: the key for the ATS API (decrypted; never logged)
    # OAuth 2.0 client credentials for the ATS API (Greenhouse Harvest v3; decrypted; never logged)
    client_id: str | None = field(default=None, repr=False)
    client_secret: str | None = field(default=None, repr=False)


class TenantRepository:
    def __init__(self, db: Database, settings: Settings, *, connection_ttl_s: float = 0.0):
        """`connection_ttl_s`: how long `connection` reuses what it read (ingest's webhook path; 0 reads every time).
        This process's own changes are seen at once; another's within the TTL."""
        self.tenants = db["tenants"]
        self.connections = db["connections"]
        self.api_keys = db["api_keys"]
        if not settings.secrets_key and settings.environment != "development":
            # The development key is in the source: secrets encrypted with it are readable by anyone.
            raise UnsafeSettings("CREDBRIDGE_SECRETS_KEY is not set; set a Fernet key (docs/operations.md), or "
                                 "CREDBRIDGE_ENV=development for a local run")
        self._fernet = Fernet(settings.secrets_key.encode() if settings.secrets_key else _DEV_KEY)
        # Ciphertext -> plaintext. Every webhook reads its connection's secrets before it is authenticated, so a
        # flood of forged deliveries would otherwise pay one decryption per stored secret per request. Keyed by the
        # ciphertext, a rotated secret (a new token) is seen at once; bounded, as tokens are never reused.
        self._plain: dict[str, str] = {}
        self._connections: TTLCache[Connection | None] = TTLCache(ttl_s=connection_ttl_s)

    def ensure_indexes(self) -> None:
        self.connections.create_index([("tenant", ASCENDING), ("provider", ASCENDING)], unique=True)
        self.api_keys.create_index([("tenant", ASCENDING)])

    # --- tenants ---------------------------------------------------------------------------
    def create_tenant(self, name: str) -> tuple[str, str]:
        tenant_id = "t_" + secrets.token_hex(6)
        self.tenants.insert_one({"_id": tenant_id, "name": name, "created_at": _now()})
        return tenant_id, self.create_api_key(tenant_id)

    def get_tenant(self, tenant_id: str) -> dict | None:
        return self.tenants.find_one({"_id": tenant_id})

    def _require_tenant(self, tenant_id: str) -> None:
        if self.get_tenant(tenant_id) is None:
            raise TenantError(f"no tenant {tenant_id!r}")

    # --- API keys: shown once, stored as a hash ---------------------------------------------
    def create_api_key(self, tenant_id: str) -> str:
        self._require_tenant(tenant_id)
        key_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
        self.api_keys.insert_one({"_id": key_id, "tenant": tenant_id, "hash": _digest(secret),
                                  "created_at": _now(), "revoked": False})
        return f"cbk_{key_id}.{secret}"

    def revoke_api_key(self, tenant_id: str, key: str) -> str:
        """Revokes one of the tenant's keys, named by its id or the whole key; returns the key id. Takes effect on the
        next request: keys are looked up on every request, never cached."""
        key_id = key[4:].partition(".")[0] if key.startswith("cbk_") else key
        done = self.api_keys.update_one({"_id": key_id, "tenant": tenant_id},
                                        {"$set": {"revoked": True, "revoked_at": _now()}})
        if done.matched_count == 0:
            raise TenantError(f"tenant {tenant_id!r} has no API key {key_id!r}")
        return key_id

    def tenant_for_api_key(self, presented: str) -> str | None:
        if not presented.startswith("cbk_") or "." not in presented:
            return None
        key_id, _, secret = presented[4:].partition(".")
        # By _id alone, revocation checked here: an extra predicate makes secantusdb scan the collection
        # (bench/repro/secantusdb_extra_predicate_collscan.py).
        doc = self.api_keys.find_one({"_id": key_id})
        doc = doc if doc is not None and doc.get("revoked") is False else None
        # Compare digests in constant time; an unknown key id still pays for one compare.
        stored = doc["hash"] if doc else _digest("")
        return doc["tenant"] if hmac.compare_digest(stored, _digest(secret)) and doc else None

    # --- ATS connections -------------------------------------------------------------------
    def add_connection(self, tenant_id: str, provider: str, *, secret: str | None = None,
                       options: dict | None = None, api_key: str | None = None,
                       client: tuple[str, str] | None = None) -> str:
        """Stores a new connection; `client` is (client_id, client_secret) for an OAuth ATS API, kept encrypted."""
        if provider not in PROVIDERS:
            raise TenantError(f"unknown provider {provider!r}; one of {', '.join(PROVIDERS)}")
        unknown = set(options or {}) - set(OPTION_KEYS)
        if unknown:
            raise TenantError(f"unknown connection options {sorted(unknown)}; known: {', '.join(OPTION_KEYS)}")
        self._require_tenant(tenant_id)
        secret = secret or secrets.token_urlsafe(32)
        doc = {"tenant": tenant_id, "provider": provider, "created_at": _now(),
               "secrets": [self._encrypt(secret)], "options": options or {}}
        if api_key:
            doc["api_key"] = self._encrypt(api_key)
        if client:
            doc.update(self._sealed_client(client))
        try:
            self.connections.insert_one(doc)
        except DuplicateKeyError:
            raise TenantError(f"tenant {tenant_id} already has a {provider} connection; rotate its secret instead") from None
        self._connections.forget((tenant_id, provider))
        return secret

    def rotate_secret(self, tenant_id: str, provider: str, *, secret: str | None = None) -> str:
        secret = secret or secrets.token_urlsafe(32)
        result = self.connections.update_one(
            {"tenant": tenant_id, "provider": provider},
            {"$push": {"secrets": {"$each": [self._encrypt(secret)], "$position": 0,
                                   "$slice": MAX_LIVE_SECRETS_BY_PROVIDER.get(provider, MAX_LIVE_SECRETS)}}})
        self._connections.forget((tenant_id, provider))
        if result.matched_count == 0:
            raise TenantError(f"tenant {tenant_id} has no {provider} connection")
        return secret

    def set_client_credentials(self, tenant_id: str, provider: str, *, client: tuple[str, str],
                               options: dict) -> None:
        """Gives an existing connection OAuth client credentials (and their acting_user / auth_url options)."""
        unknown = set(options) - {"acting_user", "auth_url"}
        if unknown:
            raise TenantError(f"unknown client-credential options {sorted(unknown)}")
        fields = {**self._sealed_client(client), **{f"options.{k}": v for k, v in options.items()}}
        if self.connections.update_one({"tenant": tenant_id, "provider": provider},
                                       {"$set": fields}).matched_count == 0:
            raise TenantError(f"tenant {tenant_id} has no {provider} connection")

    def _sealed_client(self, client: tuple[str, str]) -> dict:
        client_id, client_secret = client
        return {"client_id": self._encrypt(client_id), "client_secret": self._encrypt(client_secret)}

    def connection(self, tenant_id: str, provider: str) -> Connection | None:
        return self._connections.get((tenant_id, provider), lambda: self._read_connection(tenant_id, provider))

    def _read_connection(self, tenant_id: str, provider: str) -> Connection | None:
        doc = self.connections.find_one({"tenant": tenant_id, "provider": provider})
        if doc is None:
            return None
        return Connection(tenant=tenant_id, provider=provider, options=doc.get("options", {}),
                          secrets=tuple(self._decrypt(s) for s in doc["secrets"]),
                          api_key=self._decrypt(doc["api_key"]) if doc.get("api_key") else None,
                          client_id=self._decrypt(doc["client_id"]) if doc.get("client_id") else None,
                          client_secret=self._decrypt(doc["client_secret"]) if doc.get("client_secret") else None)

    def seal(self, secret: str) -> str:
        """Encrypts another credential of a connection (write-back's ATS keys) under the same key as its secrets."""
        return self._encrypt(secret)

    def unseal(self, token: str) -> str:
        return self._decrypt(token)

    def _encrypt(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def _decrypt(self, token: str) -> str:
        known = self._plain.get(token)  # one lookup: another thread may clear the dict in between
        if known is not None:
            return known
        try:
            plain = self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise RuntimeError("a stored webhook secret does not decrypt: CREDBRIDGE_SECRETS_KEY changed?") from None
        if len(self._plain) >= _MAX_DECRYPTED:
            self._plain.clear()  # rotations only ever add tokens: start over rather than grow without end
        self._plain[token] = plain
        return plain


def bearer_tenant(repo: TenantRepository, authorization: str | None) -> str:
    """The tenant a recruiter's `Authorization: Bearer <key>` belongs to, or a 401 problem."""
    scheme, _, key = (authorization or "").partition(" ")
    tenant = repo.tenant_for_api_key(key.strip()) if scheme.lower() == "bearer" else None
    if tenant is None:
        raise Problem(401, "Unauthorized", "Send a valid API key as 'Authorization: Bearer <key>'.",
                      headers={"WWW-Authenticate": 'Bearer realm="credbridge"'})
    return tenant


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _now() -> datetime:
    return datetime.now(timezone.utc)
