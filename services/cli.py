"""The `credbridge` command: manage tenants and connections, verify a credential file, send a test webhook."""
from __future__ import annotations

import argparse
import json
import sys
import time

from shared import mongo
from shared.settings import Settings
from shared.tenants import PROVIDERS, TenantError, TenantRepository


def _tenants(settings: Settings) -> TenantRepository:
    repo = TenantRepository(mongo.connect(settings), settings)
    repo.ensure_indexes()
    return repo


def webhook_url(settings: Settings, provider: str, tenant: str) -> str:
    return f"{settings.public_base_url.rstrip('/')}/v1/webhooks/{provider}/{tenant}"


def cmd_tenant_create(args, settings) -> int:
    tenant, key = _tenants(settings).create_tenant(args.name)
    _out({"tenant": tenant, "name": args.name, "api_key": key})
    return 0


def cmd_connection_add(args, settings) -> int:
    from services.ingest.connections_cli import client_credentials, connection_options
    options, client = connection_options(args), client_credentials(args)
    secret = _tenants(settings).add_connection(args.tenant, args.provider, secret=args.secret, options=options,
                                               api_key=args.api_key, client=client)
    _out({"tenant": args.tenant, "provider": args.provider, "secret": secret,
          "webhook_url": webhook_url(settings, args.provider, args.tenant),
          "options": options, "api_key_stored": bool(args.api_key), "client_credentials_stored": bool(client)})
    return 0


def cmd_connection_oauth(args, settings) -> int:
    """Gives an existing connection OAuth client credentials (a Greenhouse connection moving to Harvest v3)."""
    from services.ingest.connections_cli import required_client
    client, options = required_client(args)
    _tenants(settings).set_client_credentials(args.tenant, args.provider, client=client, options=options)
    _out({"tenant": args.tenant, "provider": args.provider, "options": options, "client_credentials_stored": True})
    return 0


def _client_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--client-id", help="Greenhouse: Harvest v3 OAuth client id (stored encrypted)")
    parser.add_argument("--client-secret", help="Greenhouse: Harvest v3 OAuth client secret (stored encrypted)")
    parser.add_argument("--acting-user", help="Greenhouse: the user id the token is issued for (`sub`; a Site Admin, "
                        "for the job posts list)")
    parser.add_argument("--auth-url", help="Greenhouse: the token endpoint (default https://auth.greenhouse.io/token)")


def cmd_connection_rotate(args, settings) -> int:
    secret = _tenants(settings).rotate_secret(args.tenant, args.provider, secret=args.secret)
    _out({"tenant": args.tenant, "provider": args.provider, "secret": secret,
          "note": "the previous secret keeps verifying until the next rotation"})
    return 0


def cmd_verify(args, settings) -> int:
    from services.verification.cli import verify_file
    report, code = verify_file(args.file, email=args.email, tenant=args.tenant, settings=settings)
    _out(report)
    return code


def cmd_demo_webhook(args, settings) -> int:
    """Sends one signed generic webhook carrying a freshly issued VC-JWT (for trying `make run`)."""
    import requests

    from services.demo_issuer import Issuer
    from shared.signing import sign_generic

    body = json.dumps({
        "event_id": f"demo-{int(time.time() * 1000)}",
        "application": {"id": args.application, "job_id": args.job},
        "candidate": {"id": "cand-1", "name": "Ada Example", "emails": ["ada@example.org"]},
        "credentials": [{"jwt": Issuer.generate().vc_jwt(achievement_name=args.competency,
                                                          subject_email="ada@example.org")}],
    }).encode()
    url = webhook_url(settings, "generic", args.tenant)
    resp = requests.post(url, data=body, headers=sign_generic(args.secret, body, int(time.time())), timeout=10)
    _out({"url": url, "status": resp.status_code, "response": resp.json()})
    return 0 if resp.ok else 1


def _out(doc: dict) -> None:
    json.dump(doc, sys.stdout, indent=2)
    sys.stdout.write("\n")


# Other command groups live beside the code they drive; each module has register(subparsers).
# Each command's function is called as func(args, settings) and returns the exit code.
EXTRA_COMMAND_MODULES: list[str] = ["shared.dlq_cli", "services.verification.trust_cli", "services.keys_cli",
                                    "services.writeback.cli"]


def parser() -> argparse.ArgumentParser:
    import importlib

    p = argparse.ArgumentParser(prog="credbridge", description=__doc__)
    sub = p.add_subparsers(dest="group", required=True)
    for module in EXTRA_COMMAND_MODULES:
        importlib.import_module(module).register(sub)

    tenant = sub.add_parser("tenant", help="employers").add_subparsers(dest="action", required=True)
    create = tenant.add_parser("create", help="create a tenant and its first recruiter API key (shown once)")
    create.add_argument("name")
    create.set_defaults(func=cmd_tenant_create)

    conn = sub.add_parser("connection", help="ATS connections").add_subparsers(dest="action", required=True)
    add = conn.add_parser("add", help="connect an ATS; prints the webhook URL and secret")
    add.add_argument("tenant")
    add.add_argument("provider", choices=PROVIDERS)
    add.add_argument("--secret", help="use this secret instead of generating one")
    add.add_argument("--api-key", help="key for the ATS API, stored encrypted: thin ATSs (lever, smartrecruiters, "
                     "teamtailor) need it for applications, and every ATS but Greenhouse (--client-id) for its job "
                     "descriptions (read-only jobs)")
    add.add_argument("--base-url", help="the ATS API base URL (default: the provider's public API; workable: "
                     "https://<subdomain>.workable.com)")
    add.add_argument("--teamtailor-v1", action="store_true", help="also accept Teamtailor's deprecated v1 signature")
    _client_arguments(add)
    add.set_defaults(func=cmd_connection_add)
    oauth = conn.add_parser("oauth", help="give a connection OAuth client credentials for its ATS API "
                            "(Greenhouse Harvest v3: its job posts)")
    oauth.add_argument("tenant")
    oauth.add_argument("provider", choices=PROVIDERS)
    _client_arguments(oauth)
    oauth.set_defaults(func=cmd_connection_oauth)
    rot = conn.add_parser("rotate", help="add a new secret; the previous one keeps verifying")
    rot.add_argument("tenant")
    rot.add_argument("provider", choices=PROVIDERS)
    rot.add_argument("--secret")
    rot.set_defaults(func=cmd_connection_rotate)
    from services.writeback.cli import add_connection_command
    add_connection_command(conn)

    verify = sub.add_parser("verify", help="verify a credential file; exit 0 only when verified")
    verify.add_argument("file")
    verify.add_argument("--email", help="the applicant's email, for the recipient check")
    verify.add_argument("--tenant", help="check the issuer against this tenant's trust registry")
    verify.set_defaults(func=cmd_verify)

    demo = sub.add_parser("demo-webhook", help="send a signed generic webhook with a fresh VC-JWT")
    demo.add_argument("tenant")
    demo.add_argument("--secret", required=True)
    demo.add_argument("--application", default="app-1")
    demo.add_argument("--job", default="job-1")
    demo.add_argument("--competency", default="Python Programming")
    demo.set_defaults(func=cmd_demo_webhook)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args, Settings.from_env())
    except TenantError as exc:
        print(f"credbridge: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
