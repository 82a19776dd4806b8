"""MongoDB client creation (after fork) and the index declarations each service applies at start-up."""
from __future__ import annotations

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
