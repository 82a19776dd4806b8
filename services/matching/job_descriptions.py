"""The ATS's own job descriptions (jobs.described, fetched by ingest from each ATS's job API), kept beside the roles.

Which wins: a description the recruiter set with `PUT /v1/roles/<id>` is the role's `description`, and nothing from the
ATS ever overwrites it; the ATS's advert is stored apart, shown on the role as `job_description`, and read by
`POST /v1/roles/<id>/suggest` only when the request gives no description and the recruiter set none. A role covers its
own id and its `job_ids`; the first of those (in that order) with an advert gives it.
"""
from __future__ import annotations

from datetime import datetime, timezone

from pymongo import ASCENDING
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from shared.events import Event

_FIELDS = {"_id": False, "job_id": True, "provider": True, "title": True, "text": True, "source": True,
           "fetched_at": True}


class JobDescriptions:
    """`job_descriptions`: one advert per (tenant, job_id), the most recently fetched."""

    def __init__(self, db: Database):
        self.descriptions = db["job_descriptions"]

    def ensure_indexes(self) -> None:
        self.descriptions.create_index([("tenant", ASCENDING), ("job_id", ASCENDING)], unique=True)

    def record(self, tenant: str, *, job_id: str, provider: str, title: str | None, text: str, source: str,
               fetched_at: datetime) -> bool:
        """Stores the advert unless a later fetch is stored already (events of one job may arrive out of order)."""
        key = {"tenant": tenant, "job_id": job_id}
        # Read by the unique key, then written by it: an extra predicate makes secantusdb scan the collection.
        known = self.descriptions.find_one(key, {"_id": False, "fetched_at": True})
        if known is not None and _naive(known["fetched_at"]) >= _naive(fetched_at):
            return False
        try:
            self.descriptions.update_one(key, {"$set": {"provider": provider, "title": title, "text": text,
                                                        "source": source, "fetched_at": fetched_at}}, upsert=True)
        except DuplicateKeyError:
            return False  # a concurrent first write of the same job: one of them is stored, both were the same job
        return True

    def for_role(self, tenant: str, role: dict) -> dict | None:
        """The advert of the role's own job, else of the first of its other jobs that has one."""
        for job_id in dict.fromkeys([role["role_id"], *role.get("job_ids", [])]):
            found = self.descriptions.find_one({"tenant": tenant, "job_id": job_id}, _FIELDS)
            if found is not None:
                return found
        return None


def described(tenant: str, view: dict, *, descriptions: JobDescriptions | None) -> dict:
    """A role's view with the ATS's advert beside the recruiter's description (None: the ATS has given none yet)."""
    return {**view, "job_description": descriptions.for_role(tenant, view) if descriptions is not None else None}


def handle_job_described(event: Event, *, descriptions: JobDescriptions) -> None:
    """Idempotent: the same advert stored twice is stored once; an older one never replaces a newer one."""
    p = event.payload
    descriptions.record(event.tenant, job_id=p["job_id"], provider=p["provider"], title=p.get("title"),
                        text=p["text"], source=p["source"], fetched_at=datetime.fromisoformat(p["fetched_at"]))


def _naive(moment: datetime) -> datetime:
    # BSON stores UTC and gives it back without a zone; the event's moment carries one.
    return moment.astimezone(timezone.utc).replace(tzinfo=None) if moment.tzinfo is not None else moment
