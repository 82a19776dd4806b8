"""A connection's write-back configuration: opt-in, what to write, where, as whom; checked before it is stored."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from urllib.parse import urlsplit

from shared.tenants import TenantError

# What each provider can show (README "Write-back"); asking for anything else is refused, never faked.
CAPABILITIES: dict[str, frozenset[str]] = {
    "generic": frozenset({"score", "note", "tags"}),   # all of it travels in the signed callback
    "greenhouse": frozenset({"score", "note", "tags"}),
    "lever": frozenset({"note", "tags"}),              # Lever's API has no numeric field: the score is in both
    "workable": frozenset({"score", "note"}),          # the score as the member's rating, the explanation a comment
    "ashby": frozenset({"score", "note"}),
    "smartrecruiters": frozenset({"note", "tags"}),    # no custom field writable per application: note and tag
    "teamtailor": frozenset({"score", "note"}),
}
# Where the score field's key must be the ATS's own id for the field: the default name cannot be right there.
FIELD_BY_ID = ("ashby", "teamtailor")
DEFAULT_CONCURRENCY = 2
MAX_CONCURRENCY = 16
DEFAULT_SCORE_FIELD = "credbridge_score"
SECRET_KEYS = ("api_key", "client_id", "client_secret")


class ConfigError(TenantError):
    """A write-back configuration that cannot work; the message says which part."""


@dataclass(frozen=True)
class WritebackConfig:
    tenant: str
    provider: str
    enabled: bool = False
    score: bool = True
    note: bool = True
    tags: bool = True
    score_field: str = DEFAULT_SCORE_FIELD     # the custom-field key (Greenhouse: the field's name_key)
    acting_user: str | None = None             # Greenhouse `sub`/user_id, Lever `perform_as`
    base_url: str | None = None                # the ATS API (tests point it at a local fake)
    auth_url: str | None = None                # Greenhouse's token endpoint
    callback_url: str | None = None            # generic: where the signed callback goes
    concurrency: int = DEFAULT_CONCURRENCY
    assessment: bool = False                   # Greenhouse: answer as an Assessment partner instead of via Harvest
    profile_url: str | None = None             # the assessment's partner_profile_url, `{application_id}` filled in
    secrets: dict = field(default_factory=dict, repr=False)   # api_key / client_id / client_secret (decrypted)

    def public(self) -> dict:
        """What `credbridge` prints and status shows: never a secret, only which ones are stored."""
        doc = {k: v for k, v in asdict(self).items() if k != "secrets"}
        doc["secrets_stored"] = sorted(k for k, v in self.secrets.items() if v)
        return doc


def default_config(tenant: str, provider: str) -> WritebackConfig:
    """Off; once enabled, everything the provider can show."""
    can = CAPABILITIES.get(provider, frozenset())
    return WritebackConfig(tenant=tenant, provider=provider, score="score" in can, note="note" in can,
                           tags="tags" in can)


def check(config: WritebackConfig) -> WritebackConfig:
    """Refuses a configuration that could not write (raises ConfigError); returns it unchanged otherwise."""
    can = CAPABILITIES.get(config.provider)
    if can is None:
        raise ConfigError(f"no write-back for provider {config.provider!r}")
    wanted = {k for k in ("score", "note", "tags") if getattr(config, k)}
    if config.enabled and not wanted:
        raise ConfigError("enable at least one of score, note, tags")
    if "score" in wanted - can:
        raise ConfigError(f"{config.provider} has no score field: its score is shown in the note and tag")
    if "tags" in wanted - can:
        raise ConfigError(f"write-back to {config.provider} has no tags in this version: use --no-tags")
    if not 1 <= config.concurrency <= MAX_CONCURRENCY:
        raise ConfigError(f"--concurrency must be 1..{MAX_CONCURRENCY}")
    if config.assessment and config.provider != "greenhouse":
        raise ConfigError("--assessment is Greenhouse's Assessment partner API: only for a greenhouse connection")
    for name in ("base_url", "auth_url", "callback_url", "profile_url"):
        _check_url(name, getattr(config, name))
    if config.enabled:
        _check_complete(config)
    return config


def _check_complete(config: WritebackConfig) -> None:
    key, acting = config.secrets.get("api_key"), config.acting_user
    needs: dict[str, list[tuple[str, object]]] = {
        "generic": [("callback_url", config.callback_url)],
        "greenhouse": [("client_id", config.secrets.get("client_id")),
                       ("client_secret", config.secrets.get("client_secret")), ("acting_user", acting)],
        "lever": [("api_key", key)],
        # Workable's API is on the account's own host, and comments and ratings are made by a member.
        "workable": [("api_key", key), ("base_url", config.base_url), ("acting_user", acting)],
        "ashby": [("api_key", key)],
        "smartrecruiters": [("api_key", key)],
        "teamtailor": [("api_key", key)] + ([("acting_user", acting)] if config.note else []),   # a note has a user
    }
    # An assessment connection is called by Greenhouse with the partner key and PATCHes with it; no Harvest calls.
    missing = [("api_key", key)] if config.assessment else needs[config.provider]
    if config.provider in FIELD_BY_ID and config.score and config.score_field == DEFAULT_SCORE_FIELD:
        missing.append(("--score-field (the custom field's id)", None))
    absent = [name for name, value in missing if not value]
    if absent:
        raise ConfigError(f"{config.provider} write-back needs {', '.join(absent)}")


def _check_url(name: str, url: str | None) -> None:
    if url is None:
        return
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc or parts.fragment or parts.username:
        raise ConfigError(f"--{name.replace('_', '-')} must be an absolute http(s) URL without credentials")


def merged(current: WritebackConfig, **changes) -> WritebackConfig:
    """`current` with the given changes; None means "leave as is", secrets merge key by key."""
    secrets = {**current.secrets, **{k: v for k, v in (changes.pop("secrets", None) or {}).items() if v}}
    return replace(current, secrets=secrets, **{k: v for k, v in changes.items() if v is not None})
