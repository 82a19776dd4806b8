"""`credbridge connection add` options for ATS API access: checked here, stored by shared/tenants."""
from __future__ import annotations

from urllib.parse import urlsplit

from shared.tenants import TenantError

# Every ATS whose job API gives a job's advert (services/ingest/jobs/apis.py) takes credentials for it; the thin ones
# (lever, smartrecruiters, teamtailor) also need them to complete their webhooks.
API_PROVIDERS = ("greenhouse", "lever", "workable", "ashby", "smartrecruiters", "teamtailor")
# ATS APIs reached with OAuth 2.0 client credentials instead of an API key (Greenhouse Harvest v3).
OAUTH_PROVIDERS = ("greenhouse",)
V1_RETIRED = ("Greenhouse retired Harvest v1/v2 API keys on 2026-08-31: give Harvest v3 OAuth credentials "
              "(--client-id, --client-secret, --acting-user)")


def connection_options(args) -> dict:
    """The options dict for a new connection; refuses flags that mean nothing for the provider."""
    options: dict = {}
    if (args.api_key or args.base_url) and args.provider not in API_PROVIDERS:
        raise TenantError(f"--api-key/--base-url are for {', '.join(API_PROVIDERS)}; "
                          f"{args.provider} has no ATS API")
    if args.api_key and args.provider in OAUTH_PROVIDERS:
        raise TenantError(V1_RETIRED)
    if args.base_url:
        options["base_url"] = _url("--base-url", args.base_url)
    if getattr(args, "teamtailor_v1", False):
        if args.provider != "teamtailor":
            raise TenantError("--teamtailor-v1 is only for teamtailor connections")
        options["teamtailor_v1"] = True
    return options | client_options(args, required=False)


def client_options(args, *, required: bool) -> dict:
    """acting_user / auth_url for OAuth client credentials, checked with them (`client_credentials`)."""
    given = [getattr(args, name, None) for name in ("client_id", "client_secret", "acting_user", "auth_url")]
    if not any(given) and not required:
        return {}
    if args.provider not in OAUTH_PROVIDERS:
        raise TenantError(f"--client-id/--client-secret/--acting-user/--auth-url are for {', '.join(OAUTH_PROVIDERS)}")
    client_id, client_secret, acting_user, auth_url = given
    if not (client_id and client_secret and acting_user):
        # Greenhouse issues a token for a user (`sub`); its list endpoints answer a Site Admin only.
        raise TenantError("Harvest v3 needs --client-id, --client-secret and --acting-user <Greenhouse user id> together")
    return {"acting_user": acting_user, **({"auth_url": _url("--auth-url", auth_url)} if auth_url else {})}


def client_credentials(args) -> tuple[str, str] | None:
    """(client_id, client_secret) when given; `client_options` has checked them."""
    client_id, client_secret = getattr(args, "client_id", None), getattr(args, "client_secret", None)
    return (client_id, client_secret) if client_id and client_secret else None


def required_client(args) -> tuple[tuple[str, str], dict]:
    """((client_id, client_secret), options) for `credbridge connection oauth`, where all of them are needed."""
    options = client_options(args, required=True)
    return (args.client_id, args.client_secret), options


def _url(flag: str, url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc or parts.query or parts.fragment or parts.username:
        raise TenantError(f"{flag} must be an absolute http(s) URL without credentials, query or fragment")
    # Fetches still go through the SSRF-safe fetcher, which refuses http and private hosts in production.
    return url.rstrip("/")
