"""A write-back world for unit tests: the in-memory repository, the real clients, a fake ATS on loopback, a clock."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from shared.events import new_event
from shared.fetch import Fetcher
from shared.oauth import TokenCache
from shared.settings import Settings

from services.writeback import clients
from services.writeback.clients import ConnectionContext
from services.writeback.config import WritebackConfig, check
from services.writeback.handlers import handle_application, handle_score
from services.writeback.http import AtsHttp
from services.writeback.service import Policy, attempt
from tests.support.fake_ats_write_more import ASHBY_NUMBER_FIELD, TEAMTAILOR_FIELD
from tests.unit.writeback_fakes import FakeWritebackRepository

CALLBACK_SECRET = "cb-secret"
T0 = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


QUICK = Policy(max_attempts=3, backoff_s=2.0, origin_attempts=3)


class World:
    def __init__(self, ats, *, policy_: Policy = QUICK):
        self.ats, self.policy_ = ats, policy_
        self.repo = FakeWritebackRepository()
        self.fetcher = Fetcher(Settings(fetch_allow_loopback=1, fetch_deadline_s=5.0))
        self.now = T0
        self.tokens = TokenCache(clock=lambda: self.now.timestamp())
        self.outcomes: list[str] = []
        self._computed = 0

    def clock(self) -> datetime:
        return self.now

    def later(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    def connect(self, config, origin):
        def on_limits(until):
            if until is not None:
                self.repo.block(config.tenant, config.provider, until=datetime.fromtimestamp(until, timezone.utc))
        http = AtsHttp(self.fetcher, on_limits=on_limits, clock=lambda: self.now.timestamp())
        return clients.build(ConnectionContext(config=config, http=http, webhook_secret=CALLBACK_SECRET,
                                               tokens=self.tokens))

    def configure(self, provider: str, tenant: str = "t1", **options) -> WritebackConfig:
        base = {"generic": dict(callback_url=f"{self.ats.base_url}/callback"),
                "greenhouse": dict(base_url=self.ats.base_url, auth_url=f"{self.ats.base_url}/token",
                                   acting_user="4080", secrets={"client_id": "gh-client", "client_secret": "gh-secret"}),
                "lever": dict(base_url=self.ats.base_url, acting_user="user-7", secrets={"api_key": "lever-key"},
                              score=False),
                "workable": dict(base_url=self.ats.base_url, acting_user="member-13", secrets={"api_key": "wk-token"},
                                 tags=False),
                "ashby": dict(base_url=self.ats.base_url, score_field=ASHBY_NUMBER_FIELD, tags=False,
                              secrets={"api_key": "ashby-key"}),
                "smartrecruiters": dict(base_url=self.ats.base_url, score=False, secrets={"api_key": "sr-token"}),
                "teamtailor": dict(base_url=self.ats.base_url, score_field=TEAMTAILOR_FIELD, acting_user="user-5",
                                   tags=False, secrets={"api_key": "tt-key"})}[provider]
        config = check(WritebackConfig(tenant=tenant, provider=provider, enabled=True, **{**base, **options}))
        self.repo.save_config(config)
        return config

    def application(self, provider: str, application_id: str = "a1", *, tenant: str = "t1",
                    candidate_id: str = "c1", enrich: dict | None = None) -> None:
        event = new_event("application.received", tenant=tenant, payload={
            "provider": provider, "delivery_id": f"d-{application_id}",
            "application": {"id": application_id, "job_id": "job-1"}, "candidate": {"id": candidate_id},
            "enrich": enrich})
        handle_application(event, repo=self.repo, clock=self.clock)

    def score(self, score: int, *, met: int, of: int = 4, application_id: str = "a1", tenant: str = "t1") -> None:
        self._computed += 1
        computed_at = (T0 + timedelta(minutes=self._computed)).isoformat()
        requirements = [{"id": f"r{i}", "competency": f"Skill {i}", "status": "met" if i < met else "missing",
                         "reason": "Met by a verified credential" if i < met else "No verified credential shows it"}
                        for i in range(of)]
        event = new_event("score.computed", tenant=tenant, payload={
            "application_id": application_id, "role_id": "job-1", "status": "scored", "score": score,
            "score_version": "2026-11.2", "computed_at": computed_at, "reason": f"{met} of {of} requirements met",
            "requirements": requirements})
        handle_score(event, repo=self.repo, wake=lambda: None, clock=self.clock)

    def run_due(self) -> list[str]:
        """One dispatcher pass, synchronously: every record due now is leased and attempted once."""
        done = []
        for record in self.repo.due(now=self.now, limit=100):
            claimed = self.repo.claim(record, now=self.now, lease_until=self.now + timedelta(seconds=60))
            if claimed is not None:
                done.append(attempt(claimed, repo=self.repo, connect=self.connect, policy_=self.policy_,
                                    clock=self.clock))
        self.outcomes += done
        return done
