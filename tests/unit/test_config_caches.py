"""What the hot paths stop reading from MongoDB on every use: a tenant's connection, its trust registry, and the
webhook rate limit's shared count; and how soon a change made elsewhere counts."""
from __future__ import annotations

import pytest
from pymongo.errors import AutoReconnect

from services.verification.trust import UNREACHABLE, TrustRepository
from shared.problems import Problem
from shared.ratelimit import Limit, RateLimiter
from shared.settings import Settings
from shared.tenants import TenantRepository
from shared.ttlcache import TTLCache


class Clock:
    def __init__(self, t: float = 1_800_000_010.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


def test_a_cached_value_is_reused_within_its_ttl_and_read_again_after():
    clock, reads = Clock(), []
    cache: TTLCache[str] = TTLCache(ttl_s=5, clock=clock)

    def load() -> str:
        reads.append(clock.t)
        return f"v{len(reads)}"

    assert [cache.get("k", load) for _ in range(3)] == ["v1"] * 3
    clock.t += 5
    assert cache.get("k", load) == "v2" and len(reads) == 2


def test_an_absent_value_is_cached_but_a_failed_read_is_not():
    cache: TTLCache[None] = TTLCache(ttl_s=5, clock=Clock())
    reads = []
    assert cache.get("unknown", lambda: reads.append(1)) is None
    assert cache.get("unknown", lambda: reads.append(1)) is None
    assert len(reads) == 1

    def fail():
        raise AutoReconnect("away")
    with pytest.raises(AutoReconnect):
        cache.get("other", fail)
    assert cache.get("other", lambda: "read again") == "read again"


def test_a_ttl_of_zero_reads_every_time_and_a_full_cache_starts_over():
    reads = []
    cache: TTLCache[int] = TTLCache(ttl_s=0)
    cache.get("k", lambda: reads.append(1) or 1)
    cache.get("k", lambda: reads.append(1) or 1)
    assert len(reads) == 2
    small: TTLCache[int] = TTLCache(ttl_s=60, max_entries=2, clock=Clock())
    for key in ("a", "b", "c"):
        small.get(key, lambda: 1)
    assert len(small._entries) == 1


# --- connections -------------------------------------------------------------------------------
class Updated:
    matched_count = 1


class Connections:
    """The connections collection in memory, counting reads."""

    def __init__(self):
        self.doc: dict | None = None
        self.reads = 0

    def find_one(self, _filter):
        self.reads += 1
        return None if self.doc is None else {**self.doc, "secrets": list(self.doc["secrets"])}

    def insert_one(self, doc):
        self.doc = doc

    def update_one(self, _filter, update):
        self.doc["secrets"].insert(0, update["$push"]["secrets"]["$each"][0])
        del self.doc["secrets"][2:]
        return Updated()


def repository(connections: Connections, ttl_s: float) -> TenantRepository:
    db = {"tenants": _Tenants(), "connections": connections, "api_keys": None}
    return TenantRepository(db, Settings(environment="development"), connection_ttl_s=ttl_s)  # type: ignore[arg-type]


class _Tenants:
    def find_one(self, _filter):
        return {"_id": "t1"}


def test_a_webhook_path_reads_its_connection_once_per_ttl_and_sees_its_own_processes_rotation_at_once():
    connections = Connections()
    ingest = repository(connections, ttl_s=60)
    first = ingest.add_connection("t1", "generic")
    for _ in range(5):
        assert ingest.connection("t1", "generic").secrets == (first,)
    assert connections.reads == 1
    second = ingest.rotate_secret("t1", "generic")
    assert ingest.connection("t1", "generic").secrets == (second, first)


def test_a_secret_rotated_out_by_another_process_stops_verifying_once_the_ttl_has_passed(monkeypatch):
    clock = Clock()
    monkeypatch.setattr("shared.ttlcache.time.monotonic", clock)
    connections = Connections()
    ingest, cli = repository(connections, ttl_s=5), repository(connections, ttl_s=0)
    first = cli.add_connection("t1", "generic")
    assert ingest.connection("t1", "generic").secrets == (first,)
    second, third = cli.rotate_secret("t1", "generic"), cli.rotate_secret("t1", "generic")
    assert ingest.connection("t1", "generic").secrets == (first,)  # within the TTL: what it read
    clock.t += 5
    assert ingest.connection("t1", "generic").secrets == (third, second)  # the first no longer verifies


def test_an_unknown_tenants_flood_costs_one_read_per_ttl():
    connections = Connections()
    ingest = repository(connections, ttl_s=60)
    assert all(ingest.connection("t_forged", "generic") is None for _ in range(100))
    assert connections.reads == 1


# --- trust registries ----------------------------------------------------------------------------
class Entries:
    def __init__(self):
        self.reads, self.fail = 0, False

    def find(self, _filter, _projection):
        self.reads += 1
        if self.fail:
            raise AutoReconnect("away")
        return self

    def sort(self, _keys):
        return [{"kind": "domain", "value": "academy.example"}]


class Policies:
    def find_one(self, _filter):
        return {"unregistered": "fail"}


def test_a_trust_registry_is_read_once_per_ttl_and_an_unreachable_database_is_never_remembered():
    entries = Entries()
    trust = TrustRepository({"trust_entries": entries, "trust_policies": Policies()})  # type: ignore[arg-type]
    registry = trust.cached_registry(ttl_s=60)
    entries.fail = True
    assert registry("t1") is UNREACHABLE
    entries.fail = False
    found = [registry("t1") for _ in range(5)]
    assert entries.reads == 2
    assert found[0].entries == frozenset({("domain", "academy.example")}) and found[0].policy == "fail"


# --- the rate limit ------------------------------------------------------------------------------
class Counters:
    """rate_limits in memory: one shared counter per id, counting round trips."""

    def __init__(self):
        self.counts: dict[str, int] = {}
        self.round_trips = 0

    def find_one_and_update(self, query, update, **_kwargs):
        self.round_trips += 1
        self.counts[query["_id"]] = self.counts.get(query["_id"], 0) + update["$inc"]["count"]
        return {"count": self.counts[query["_id"]]}


def limiter(counters: Counters, clock: Clock) -> RateLimiter:
    return RateLimiter({"rate_limits": counters}, clock=clock)  # type: ignore[arg-type]


def admitted(limiter_: RateLimiter, limit: Limit, n: int) -> int:
    ok = 0
    for _ in range(n):
        try:
            limiter_.check(limit, "t1")
            ok += 1
        except Problem:
            pass
    return ok


def test_a_high_limit_is_counted_in_shares_of_one_percent_not_one_round_trip_per_request():
    counters, clock = Counters(), Clock()
    assert admitted(limiter(counters, clock), Limit("webhooks", 12_000), 1_000) == 1_000
    assert counters.round_trips <= 1_000 // 120 + 1
    assert sum(counters.counts.values()) >= 1_000 - 120  # what is not counted yet is at most one share


def test_two_processes_admit_at_most_one_share_each_over_the_limit_and_then_nothing_until_the_minute_ends():
    counters, clock = Counters(), Clock()
    a, b = limiter(counters, clock), limiter(counters, clock)
    limit = Limit("webhooks", 1_000)
    ok = sum(admitted(p, limit, 1) for _ in range(800) for p in (a, b))
    assert limit.per_minute <= ok <= limit.per_minute + 2 * (limit.per_minute // 100)
    trips = counters.round_trips
    assert admitted(a, limit, 50) + admitted(b, limit, 50) == 0
    assert counters.round_trips <= trips + 2  # over the limit is known locally: a flood costs no round trips
    clock.t += 60
    assert admitted(a, limit, 1) == 1  # a new minute, a new count


def test_a_limit_under_a_hundred_a_minute_is_counted_exactly_request_by_request():
    counters, clock = Counters(), Clock()
    a, b = limiter(counters, clock), limiter(counters, clock)
    limit = Limit("api", 3)
    assert [admitted(p, limit, 1) for p in (a, b, a, b, a)] == [1, 1, 1, 0, 0]
