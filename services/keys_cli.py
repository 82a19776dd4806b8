"""`credbridge key create|revoke`: recruiters' API keys — a new key for a tenant (shown once), or one revoked at once."""
from __future__ import annotations

import json

from shared import mongo
from shared.settings import Settings
from shared.tenants import TenantRepository


def register(subparsers) -> None:
    group = subparsers.add_parser("key", help="recruiters' API keys").add_subparsers(dest="action", required=True)
    create = group.add_parser("create", help="another API key for a tenant (shown once)")
    create.add_argument("tenant")
    create.set_defaults(func=cmd_create)
    revoke = group.add_parser("revoke", help="revoke an API key at once (by its id, cbk_<id>, or the whole key)")
    revoke.add_argument("tenant")
    revoke.add_argument("key")
    revoke.set_defaults(func=cmd_revoke)


def cmd_create(args, settings: Settings) -> int:
    key = _tenants(settings).create_api_key(args.tenant)
    print(json.dumps({"tenant": args.tenant, "api_key": key}))
    return 0


def cmd_revoke(args, settings: Settings) -> int:
    key_id = _tenants(settings).revoke_api_key(args.tenant, args.key)
    print(json.dumps({"tenant": args.tenant, "revoked": key_id}))
    return 0


def _tenants(settings: Settings) -> TenantRepository:
    return TenantRepository(mongo.connect(settings), settings)
