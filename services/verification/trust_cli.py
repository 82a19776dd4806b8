"""`credbridge trust add/list/remove/policy --tenant T ...`: manage a tenant's registry of trusted issuers."""
from __future__ import annotations

import json
import sys

from services.verification.trust import KINDS, POLICIES, TrustRepository
from shared import mongo
from shared.settings import Settings
from shared.tenants import TenantRepository


def register(subparsers) -> None:
    trust = subparsers.add_parser("trust", help="a tenant's registry of trusted issuers (DIDs, issuer ids, domains)")
    actions = trust.add_subparsers(dest="action", required=True)
    for name, func, help_text in (("add", cmd_add, "trust an issuer"), ("remove", cmd_remove, "stop trusting one")):
        cmd = actions.add_parser(name, help=help_text)
        cmd.add_argument("--tenant", required=True)
        which = cmd.add_mutually_exclusive_group(required=True)
        for kind in KINDS:
            which.add_argument(f"--{kind}", help=_HELP[kind])
        cmd.set_defaults(func=func)
    listing = actions.add_parser("list", help="the tenant's entries and policy")
    listing.add_argument("--tenant", required=True)
    listing.set_defaults(func=cmd_list)
    policy = actions.add_parser("policy", help="what an issuer outside the registry gets: fail, or flag (default)")
    policy.add_argument("--tenant", required=True)
    policy.add_argument("--unregistered", required=True, choices=POLICIES)
    policy.set_defaults(func=cmd_policy)


_HELP = {"did": "a DID, e.g. did:web:academy.example", "issuer": "an issuer id exactly as credentials state it",
         "domain": "a DNS name: https issuers and did:web on it or its subdomains"}


def cmd_add(args, settings: Settings) -> int:
    repo = _repo(args, settings)
    kind, value = _entry(args)
    try:
        added = repo.add(args.tenant, kind, value)
    except ValueError as exc:
        return _refuse(exc)
    _out({"tenant": args.tenant, "added": added, "policy": repo.policy(args.tenant)})
    return 0


def cmd_remove(args, settings: Settings) -> int:
    kind, value = _entry(args)
    try:
        removed = _repo(args, settings).remove(args.tenant, kind, value)
    except ValueError as exc:
        return _refuse(exc)
    _out({"tenant": args.tenant, "removed": removed})
    return 0 if removed else 1


def cmd_list(args, settings: Settings) -> int:
    repo = _repo(args, settings)
    _out({"tenant": args.tenant, "policy": repo.policy(args.tenant), "entries": repo.list(args.tenant)})
    return 0


def cmd_policy(args, settings: Settings) -> int:
    _repo(args, settings).set_policy(args.tenant, args.unregistered)
    _out({"tenant": args.tenant, "unregistered": args.unregistered})
    return 0


def _repo(args, settings: Settings) -> TrustRepository:
    db = mongo.connect(settings)
    if TenantRepository(db, settings).get_tenant(args.tenant) is None:
        raise SystemExit(f"credbridge: no tenant {args.tenant!r}")
    repo = TrustRepository(db)
    repo.ensure_indexes()
    return repo


def _entry(args) -> tuple[str, str]:
    kind = next(k for k in KINDS if getattr(args, k) is not None)
    return kind, getattr(args, kind)


def _refuse(exc: ValueError) -> int:
    print(f"credbridge: {exc}", file=sys.stderr)
    return 2


def _out(doc: dict) -> None:
    json.dump(doc, sys.stdout, indent=2)
    sys.stdout.write("\n")
