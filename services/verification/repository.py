"""The `verdicts` collection: one stored report per (tenant, credential_id)."""
from __future__ import annotations

from datetime import datetime, timezone

from pymongo import ASCENDING, ReturnDocument
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError


class VerdictRepository:
    def __init__(self, db: Database):
        self.verdicts = db["verdicts"]

    def ensure_indexes(self) -> None:
        # The natural key: a redelivered credentials.submitted event finds the verdict already there.
        self.verdicts.create_index([("tenant", ASCENDING), ("credential_id", ASCENDING)], unique=True,
                                   name="tenant_credential_unique")

    def save(self, *, tenant: str, credential_id: str, application_id: str, candidate_id: str,
             source_event_id: str, report: dict) -> dict:
        """Upserts the verdict and returns the one stored.

        The first write wins ($setOnInsert): if two deliveries race, both publish the stored report, so
        one derived event id never carries two different payloads.
        """
        key = {"tenant": tenant, "credential_id": credential_id}
        fields = {"application_id": application_id, "candidate_id": candidate_id,
                  "source_event_id": source_event_id, "report": report, "stored_at": datetime.now(timezone.utc)}
        try:
            return self.verdicts.find_one_and_update(key, {"$setOnInsert": fields}, upsert=True,
                                                     return_document=ReturnDocument.AFTER, projection={"_id": False})
        except DuplicateKeyError:
            # Two concurrent upserts on one unique key: the loser reads what the winner stored.
            return self.get(tenant, credential_id)

    def get(self, tenant: str, credential_id: str) -> dict | None:
        return self.verdicts.find_one({"tenant": tenant, "credential_id": credential_id}, projection={"_id": False})
