"""`credbridge connection writeback …` (a connection's opt-in), `credbridge writeback status|replay <tenant>`."""
from __future__ import annotations

import argparse
import json
import secrets
import sys

from shared import mongo
from shared.settings import Settings
from shared.tenants import PROVIDERS, TenantError, TenantRepository

from services.writeback.config import check, merged
from services.writeback.repository import WritebackRepository, utcnow


def _repo(settings: Settings) -> tuple[WritebackRepository, TenantRepository]:
    db = mongo.connect(settings)
    tenants = TenantRepository(db, settings)
    repo = WritebackRepository(db, tenants)
    repo.ensure_indexes()
    return repo, tenants


def cmd_connection_writeback(args, settings: Settings) -> int:
    repo, tenants = _repo(settings)
    if tenants.connection(args.tenant, args.provider) is None:
        raise TenantError(f"tenant {args.tenant} has no {args.provider} connection; add it first")
    current = repo.config(args.tenant, args.provider)
    # An assessment connection's partner key is credbridge's to issue: made here unless given, and shown once.
    issued = secrets.token_urlsafe(32) if args.assessment and not (args.api_key or current.secrets.get("api_key")) \
        else None
    config = check(merged(
        current, enabled=args.enabled, score=args.score, note=args.note,
        tags=args.tags, score_field=args.score_field, acting_user=args.acting_user, base_url=args.base_url,
        auth_url=args.auth_url, callback_url=args.callback_url, concurrency=args.concurrency,
        assessment=args.assessment, profile_url=args.profile_url,
        secrets={"api_key": args.api_key or issued, "client_id": args.client_id, "client_secret": args.client_secret}))
    repo.save_config(config)
    doc = {"writeback": config.public(),
           "note": "applies to scores computed from now on" if config.enabled else "write-back is off"}
    if issued:
        doc["partner_api_key"] = issued   # give it to Greenhouse with the four endpoint URLs (README)
    _out(doc)
    return 0


def cmd_writeback_status(args, settings: Settings) -> int:
    repo, _tenants = _repo(settings)
    summary = repo.summary(args.tenant, failures=args.limit)
    _out({"tenant": args.tenant, "connections": [c.public() for c in repo.configs_of(args.tenant)], **summary})
    return 0


def cmd_writeback_replay(args, settings: Settings) -> int:
    repo, _tenants = _repo(settings)
    count = repo.replay(args.tenant, now=utcnow(), application_id=args.application, provider=args.provider)
    _out({"tenant": args.tenant, "replayed": count,
          "note": "the write-back worker retries them within WRITEBACK_POLL_SECONDS" if count else
          "no failed write-back matched"})
    return 0


def add_connection_command(conn) -> None:
    """`credbridge connection writeback`: registered under the `connection` group by services/cli.py."""
    wb = conn.add_parser("writeback", help="opt a connection in to (or out of) writing scores back into its ATS")
    wb.add_argument("tenant")
    wb.add_argument("provider", choices=PROVIDERS)
    on = wb.add_mutually_exclusive_group()
    on.add_argument("--enable", dest="enabled", action="store_const", const=True, default=None)
    on.add_argument("--disable", dest="enabled", action="store_const", const=False)
    for name, what in (("score", "the number, in a custom field"), ("note", "the explanation, as a note"),
                       ("tags", "a tag like 'credbridge: verified 3/4'")):
        wb.add_argument(f"--{name}", action=argparse.BooleanOptionalAction, default=None, help=f"write {what}")
    wb.add_argument("--score-field", help="the custom field the score goes in (Greenhouse: its name_key; Ashby, "
                                          "Teamtailor: the field's id)")
    wb.add_argument("--acting-user", help="the ATS user writes are made as (Greenhouse user id, Lever perform_as, "
                                          "Workable member_id, Teamtailor user id)")
    wb.add_argument("--api-key", help="Lever, Workable, Ashby, SmartRecruiters, Teamtailor: a key allowed to write "
                                      "(README 'Write-back'; stored encrypted)")
    wb.add_argument("--client-id", help="Greenhouse Harvest v3 OAuth client id (stored encrypted)")
    wb.add_argument("--client-secret", help="Greenhouse Harvest v3 OAuth client secret (stored encrypted)")
    wb.add_argument("--base-url", help="the ATS API base URL (default: the provider's public API)")
    wb.add_argument("--auth-url", help="Greenhouse's token endpoint (default https://auth.greenhouse.io/token)")
    wb.add_argument("--callback-url", help="generic: where the signed score callback is POSTed")
    wb.add_argument("--concurrency", type=int, help="writes in flight at once for this connection (default 2)")
    wb.add_argument("--assessment", action=argparse.BooleanOptionalAction, default=None,
                    help="Greenhouse: answer as an Assessment partner (partner_status / partner_score) instead of Harvest")
    wb.add_argument("--profile-url", help="Greenhouse assessment: the partner_profile_url, {application_id} filled in")
    wb.set_defaults(func=cmd_connection_writeback)


def register(sub) -> None:
    group = sub.add_parser("writeback", help="ATS write-back").add_subparsers(dest="action", required=True)
    status = group.add_parser("status", help="what was written back, and what is waiting or failed, and why")
    status.add_argument("tenant")
    status.add_argument("--limit", type=int, default=20, help="how many unwritten applications to list")
    status.set_defaults(func=cmd_writeback_status)
    replay = group.add_parser("replay", help="try failed write-backs again (after fixing the key or configuration)")
    replay.add_argument("tenant")
    replay.add_argument("--application", help="only this application's write-back")
    replay.add_argument("--provider", choices=PROVIDERS, help="only this connection's write-backs")
    replay.set_defaults(func=cmd_writeback_replay)


def _out(doc: dict) -> None:
    json.dump(doc, sys.stdout, indent=2, default=str)
    sys.stdout.write("\n")
