"""MongoDB client creation (after fork) and the index declarations each service applies at start-up."""
from __future__ import annotations

from datetime import datetime, timezone

from pymongo import MongoClient
from pymongo.database import Database
from pymongo.errors import PyMongoError

from shared.metrics import MongoCommandTimer
from shared.settings import Settings


def connect(settings: Settings) -> Database:
    """Call from create_app() or main(), never at import: a MongoClient must not cross a fork."""
    client: MongoClient[dict] = MongoClient(settings.mongo_uri, serverSelectionTimeoutMS=3000, connectTimeoutMS=3000,
                         tz_aware=True, appname="credbridge", event_listeners=[MongoCommandTimer()])
    return client[settings.mongo_db]


def database_reachable(db: Database) -> bool:
    try:
        db.client.admin.command("ping")
        return True
    except PyMongoError:
        return False


EPOCH = datetime.fromtimestamp(0, timezone.utc)


def due_by(now: datetime) -> dict:
    """The filter for "a moment at or before `now`" on an indexed date field that most documents leave unset.

    Bounded below as well as above: the same documents on MongoDB (a `$lte` on a date only ever matches dates),
    but secantusdb 0.7.0b3 otherwise walks every index entry, the unset ones included, so a sweep that finds
    nothing due cost O(collection): 1.1 s at 10,000 scores, every second (bench/repro/secantusdb_open_range.py).
    """
    return {"$gte": EPOCH, "$lte": now}
