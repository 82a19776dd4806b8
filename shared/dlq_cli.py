"""`credbridge dlq list|replay TOPIC`: read dead letters and replay them once their cause is fixed."""
from __future__ import annotations

import json
import sys

from shared import dlq, mongo
from shared.kafka import Publisher
from shared.settings import Settings


def register(subparsers) -> None:
    group = subparsers.add_parser("dlq", help="dead-lettered messages").add_subparsers(dest="action", required=True)
    ls = group.add_parser("list", help="show dead-lettered messages and their errors (no payloads unless asked)")
    ls.add_argument("topic", help="the source topic (e.g. credentials.submitted) or its .dlq twin")
    ls.add_argument("--payload", action="store_true", help="also print each message body (may hold personal data)")
    ls.set_defaults(func=cmd_list)
    rp = group.add_parser("replay", help="re-publish dead-lettered messages to their original topic, each once")
    rp.add_argument("topic")
    rp.add_argument("--id", action="append", dest="ids", metavar="PARTITION:OFFSET",
                    help="replay only this record (repeatable); default: every record not replayed yet")
    rp.set_defaults(func=cmd_replay)


def cmd_list(args, settings: Settings) -> int:
    letters = _read(settings, args.topic)
    if letters is None:
        return 2
    db = mongo.connect(settings)
    try:
        ledger = dlq.ReplayLedger(db)
        done = ledger.replayed(letters)
        records = [dlq.describe(d, replayed=ledger.is_replayed(d, done), payload=args.payload) for d in letters]
    finally:
        db.client.close()
    _out({"topic": dlq.dlq_name(args.topic), "count": len(records), "records": records})
    return 0


def cmd_replay(args, settings: Settings) -> int:
    letters = _read(settings, args.topic)
    if letters is None:
        return 2
    if args.ids:
        unknown = sorted(set(args.ids) - {d.id for d in letters})
        if unknown:
            print(f"credbridge: no dead letter {', '.join(unknown)} on {dlq.dlq_name(args.topic)}", file=sys.stderr)
            return 2
        letters = [d for d in letters if d.id in set(args.ids)]
    db = mongo.connect(settings)
    publisher = Publisher(settings, client_id="credbridge-dlq-replay")
    try:
        replayed, skipped = dlq.replay(letters, ledger=dlq.ReplayLedger(db), publisher=publisher)
    finally:
        publisher.close()
        db.client.close()
    _out({"topic": dlq.dlq_name(args.topic), "replayed": replayed, "skipped_already_replayed": skipped})
    return 0


def _read(settings: Settings, topic: str) -> list[dlq.DeadLetter] | None:
    try:
        return dlq.read(settings, topic)
    except LookupError as exc:
        print(f"credbridge: {exc}", file=sys.stderr)
        return None


def _out(doc: dict) -> None:
    json.dump(doc, sys.stdout, indent=2)
    sys.stdout.write("\n")
