"""Fetching each job's advert once, in the background: the first application for a job notes it, a thread fetches
its description from the ATS's job API and publishes it (jobs.described) for matching to keep beside the role.

When: as the first application for a job is resolved (ingest's worker notes the job after publishing the
application). Noting costs a dictionary lookup; the fetch, the cache and the publish happen on this thread, never on
the application's path. Once per job: a job noted in the last NOTE_INTERVAL_S is not noted again, and `job_fetches`
(one document per tenant, provider and job) says when its advert may next be fetched, across processes and restarts:
REFRESH_S after a success (an advert edited in the ATS is seen within a day), RETRY_S after a failure worth retrying,
REFRESH_S after one that is not (no API key, 401, 404, a Greenhouse connection with only a retired v1 key). An advert whose text has not changed is not published again.
A job is forgotten, not lost, when the queue is full: its next application notes it again.
"""
from __future__ import annotations

import hashlib
import logging
import queue
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import Callable

from pymongo.database import Database
from pymongo.errors import PyMongoError

from services.ingest.jobs.apis import APIS, Http, JobApi
from services.ingest.providers import EnrichError
from shared.events import Event, derive_id, new_event
from shared.fetch import FetchFailed, FetchRefused, Fetcher
from shared.kafka import PublishError
from shared.tenants import TenantRepository

log = logging.getLogger(__name__)

REFRESH_S = 24 * 3600
RETRY_S = 300
NOTE_INTERVAL_S = 600
MAX_QUEUED = 1000
ATS_TYPES = ("application/json", "application/vnd.api+json")

Publish = Callable[[list[Event]], None]
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Job:
    tenant: str
    provider: str
    job_id: str

    @property
    def key(self) -> str:
        return derive_id("job", self.tenant, self.provider, self.job_id)


class JobFetches:
    """`job_fetches`: per job, when its advert may next be fetched and the digest of the text last published."""

    def __init__(self, db: Database):
        self.fetches = db["job_fetches"]

    def get(self, job: Job) -> dict | None:
        return self.fetches.find_one({"_id": job.key})

    def store(self, job: Job, *, state: str, retry_at: datetime, digest: str | None = None,
              reason: str | None = None) -> None:
        fields = {"tenant": job.tenant, "provider": job.provider, "job_id": job.job_id, "state": state,
                  "retry_at": retry_at, "reason": reason, "checked_at": datetime.now(timezone.utc)}
        if digest is not None:
            fields["digest"] = digest
        self.fetches.update_one({"_id": job.key}, {"$set": fields}, upsert=True)


def describe_job(job: Job, *, tenants: TenantRepository, http: Http, fetches: JobFetches, publish: Publish,
                 now: datetime, apis: dict[str, JobApi] = APIS) -> str:
    """Fetches the job's advert if it is due and publishes it if its text changed; returns what happened."""
    api = apis.get(job.provider)
    if api is None:
        return "unsupported"  # the generic format has no job API
    known = fetches.get(job)
    if known is not None and _aware(known["retry_at"]) > now:
        return "cached"
    connection = tenants.connection(job.tenant, job.provider)
    if connection is None or not (connection.api_key or connection.client_id):
        fetches.store(job, state="unavailable", retry_at=now + timedelta(seconds=REFRESH_S),
                      reason=f"the {job.provider} connection has no API key for its job API")
        return "unavailable"
    try:
        posting = api(job.job_id, connection=connection, http=http)
    except (EnrichError, FetchFailed, FetchRefused) as exc:
        retryable = isinstance(exc, FetchFailed) or (isinstance(exc, EnrichError) and exc.retryable)
        reason = exc.reason if isinstance(exc, EnrichError) else f"the job API could not be reached ({exc.reason})"
        fetches.store(job, state="unavailable", reason=reason,
                      retry_at=now + timedelta(seconds=RETRY_S if retryable else REFRESH_S))
        return "failed"
    digest = hashlib.sha256(f"{posting.title}\x1f{posting.text}".encode()).hexdigest()
    if known is None or known.get("digest") != digest:
        publish([new_event("job.described", tenant=job.tenant,
                           event_id=derive_id("job.described", job.key, digest),
                           payload={"provider": job.provider, "job_id": job.job_id, "title": posting.title,
                                    "text": posting.text, "source": posting.source, "fetched_at": now.isoformat()})])
    # Stored after the publish: a crash in between fetches again, and the same text is the same event id.
    fetches.store(job, state="described", digest=digest, retry_at=now + timedelta(seconds=REFRESH_S))
    return "described"


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)  # BSON dates come back naive


def http_over(fetcher: Fetcher) -> Http:
    """The job APIs' GET and POST through the safe fetcher (https and public addresses only, bounded time and size)."""
    def post(url: str, headers: dict | None = None, body: bytes | None = None) -> tuple:
        got = fetcher.send("POST", url, purpose="ats_api", headers=headers, body=body)
        return got.status, got.headers, got.body
    return Http(get=fetcher.getter(purpose="ats_api", accept=ATS_TYPES), post=post)


class JobDescriber(threading.Thread):
    """Takes noted jobs off a bounded queue and describes each (describe_job); `note` is what ingest's worker calls."""

    def __init__(self, *, describe: Callable[[Job], str], clock: Callable[[], float] = time.monotonic,
                 max_queued: int = MAX_QUEUED):
        super().__init__(name="ingest-job-describer", daemon=True)
        self._describe, self._clock = describe, clock
        self._queue: queue.Queue[Job | None] = queue.Queue(maxsize=max_queued)
        self._noted: dict[Job, float] = {}

    def note(self, tenant: str, provider: str, job_id: str | None) -> None:
        """Cheap and never blocking: a job seen in the last NOTE_INTERVAL_S, or a full queue, is left alone."""
        if not job_id or provider not in APIS:
            return
        job, now = Job(tenant, provider, job_id), self._clock()
        if now - self._noted.get(job, -NOTE_INTERVAL_S) < NOTE_INTERVAL_S:
            return
        if len(self._noted) >= 10 * MAX_QUEUED:
            self._noted.clear()  # bounded: forgetting only means one more look at the cache
        try:
            self._queue.put_nowait(job)
        except queue.Full:
            return
        self._noted[job] = now

    def noting(self, publish: Publish) -> Publish:
        """`publish`, noting the job of every application.ready it publishes once the broker has it."""
        def published(events: list[Event]) -> None:
            publish(events)
            for event in events:
                if event.type == "application.ready":
                    self.note(event.tenant, event.payload["provider"], event.payload["application"].get("job_id"))
        return published

    def run(self) -> None:
        while True:
            job = self._queue.get()
            try:
                if job is None:
                    return
                self._describe_one(job)
            finally:
                self._queue.task_done()

    def _describe_one(self, job: Job) -> None:
        try:
            self._describe(job)
        except (PyMongoError, PublishError) as exc:
            # The database or broker is away: forget the note, so the job's next application tries again.
            self._noted.pop(job, None)
            log.warning("describing a job failed", extra={"error": type(exc).__name__})
        except Exception:  # noqa: BLE001 - the thread's policy: one job's bug must not stop describing the rest
            log.exception("describing a job failed unexpectedly")

    def stop(self) -> None:
        self._queue.put(None)

    def drain(self, timeout_s: float = 10.0) -> None:
        """Waits until every noted job has been described (tests)."""
        deadline = time.monotonic() + timeout_s
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)


def describer_for(*, db: Database, tenants: TenantRepository, fetcher: Fetcher, publish: Publish,
                  clock: Clock = lambda: datetime.now(timezone.utc)) -> JobDescriber:
    """The describer ingest's worker runs: the tenants' connections, the safe fetcher, `job_fetches`, the producer."""
    describe = partial(_describe_now, tenants=tenants, http=http_over(fetcher), fetches=JobFetches(db),
                       publish=publish, clock=clock)
    return JobDescriber(describe=describe)


def _describe_now(job: Job, *, clock: Clock, **kwargs) -> str:
    return describe_job(job, now=clock(), **kwargs)
