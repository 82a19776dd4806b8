"""`credbridge connection add` options for ATS API access: checked here, stored by shared/tenants."""
from __future__ import annotations

from urllib.parse import urlsplit

from shared.tenants import TenantError

# Every ATS whose job API gives a job's advert (services/ingest/jobs/apis.py) takes a key for it; the thin ones
# (lever, smartrecruiters, teamtailor) also need it to complete their webhooks.
API_PROVIDERS = ("greenhouse", "lever", "workable", "ashby", "smartrecruiters", "teamtailor")


def connection_options(args) -> dict:
    """The options dict for a new connection; refuses flags that mean nothing for the provider."""
    options: dict = {}
    if (args.api_key or args.base_url) and args.provider not in API_PROVIDERS:
        raise TenantError(f"--api-key/--base-url are for {', '.join(API_PROVIDERS)}; "
                          f"{args.provider} has no ATS API")
    if args.base_url:
        parts = urlsplit(args.base_url)
        if parts.scheme not in ("https", "http") or not parts.netloc or parts.query or parts.fragment:
            raise TenantError("--base-url must be an absolute http(s) URL without query or fragment")
        # Fetches still go through the SSRF-safe fetcher, which refuses http and private hosts in production.
        options["base_url"] = args.base_url.rstrip("/")
    if getattr(args, "teamtailor_v1", False):
        if args.provider != "teamtailor":
            raise TenantError("--teamtailor-v1 is only for teamtailor connections")
        options["teamtailor_v1"] = True
    return options
