"""MongoDB client creation (after fork), and what several services' repositories do alike."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from pymongo import MongoClient
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import BulkWriteError, OperationFailure, PyMongoError

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


DUPLICATE_KEY = 11000


@dataclass(frozen=True)
class Insertion:
    """What one insert_new refused, by the documents' positions: the ones whose unique key was already stored, and
    the ones refused for any other reason, with the server's error."""
    duplicates: frozenset[int]
    refused: dict[int, OperationFailure]

    def raise_refused(self) -> None:
        """For a caller whose documents must all be stored or already there: the first other refusal, raised."""
        if self.refused:
            raise next(iter(self.refused.values()))


def insert_new(collection: Collection, docs: list[dict]) -> Insertion:
    """Inserts documents in one unordered insert_many; the first write of a unique key wins, as with a
    `$setOnInsert` upsert, at the cost of an insert (on secantusdb an upserted document costs 2-3 times an inserted one:
    docs/performance.md).

    The caller's documents are not changed (insert_many would give them an `_id`).
    """
    if not docs:
        return Insertion(frozenset(), {})
    try:
        collection.insert_many([dict(d) for d in docs], ordered=False)
    except BulkWriteError as exc:
        duplicates, refused = set(), {}
        for error in exc.details.get("writeErrors", []):
            if error.get("code") == DUPLICATE_KEY:
                duplicates.add(error["index"])
            else:
                refused[error["index"]] = OperationFailure(error.get("errmsg", "write refused"), error.get("code"))
        return Insertion(frozenset(duplicates), refused)
    return Insertion(frozenset(), {})


# What each update operator leaves in a document that did not exist: the operand's value.
_ON_A_NEW_DOCUMENT = ("$set", "$setOnInsert", "$inc", "$min", "$max")


def upserted_document(key: dict, update: dict) -> dict:
    """The document an upsert of `update` over `key` creates when nothing matches: the key's equality fields, then
    each operator's fields (dotted names as nested documents). Only operators whose effect on a missing field is
    its operand; any other is refused rather than guessed."""
    unknown = set(update) - set(_ON_A_NEW_DOCUMENT)
    if unknown:
        raise ValueError(f"no new-document rule for {sorted(unknown)}")
    doc: dict = {k: v for k, v in key.items() if not isinstance(v, dict)}
    for operator in _ON_A_NEW_DOCUMENT:
        for path, value in update.get(operator, {}).items():
            *parents, leaf = path.split(".")
            target = doc
            for part in parents:
                target = target.setdefault(part, {})
            target[leaf] = value
    return doc
