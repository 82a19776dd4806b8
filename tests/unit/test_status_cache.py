"""The status-list cache holds at most its size in bytes, evicting the least recently used list first."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from services.verification.stage import Caches
from services.verification.status import ListCache, StatusList
from services.verification.verify import verify_credential
from shared.settings import Settings
from tests.support.issuer import Issuer
from tests.support.memory_host import MemoryHost
from tests.support.status_lists import credential_with_status, encode_bits, list_credential, status_entry

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
LATER = NOW + timedelta(hours=1)
KIB, MIB = 1024, 1024 * 1024


def a_list(size: int) -> StatusList:
    return StatusList(purposes=("revocation",), issuer="did:example:issuer", expires_at=LATER, bits=bytes(size))


def test_a_list_larger_than_the_whole_cache_is_not_kept_and_does_not_evict_the_others():
    cache = ListCache(max_bytes=MIB)
    cache.put("https://a.example/small", a_list(16 * KIB))
    cache.put("https://a.example/huge", a_list(16 * MIB))
    assert cache.get("https://a.example/huge", NOW) is None
    assert cache.get("https://a.example/small", NOW) is not None and cache.bytes < MIB


def test_the_cache_never_holds_more_than_its_size_however_many_lists_arrive():
    cache = ListCache(max_bytes=MIB)
    for n in range(500):
        cache.put(f"https://a.example/{n}", a_list(16 * KIB))
        assert cache.bytes <= MIB
    assert cache.get("https://a.example/499", NOW) is not None and cache.get("https://a.example/0", NOW) is None


def test_the_least_recently_used_list_is_evicted_first():
    size = a_list(300 * KIB).size
    cache = ListCache(max_bytes=3 * size)
    for name in ("a", "b", "c"):
        cache.put(f"https://a.example/{name}", a_list(300 * KIB))
    assert cache.get("https://a.example/a", NOW) is not None  # a is now the most recently used
    cache.put("https://a.example/d", a_list(300 * KIB))
    assert cache.get("https://a.example/b", NOW) is None
    assert all(cache.get(f"https://a.example/{name}", NOW) is not None for name in ("a", "c", "d"))


def test_putting_a_list_again_replaces_it_without_counting_it_twice():
    cache = ListCache(max_bytes=MIB)
    for _ in range(3):
        cache.put("https://a.example/1", a_list(100 * KIB))
    assert cache.bytes == a_list(100 * KIB).size


def test_an_expired_list_gives_its_bytes_back():
    cache = ListCache(max_bytes=MIB)
    cache.put("https://a.example/1", a_list(100 * KIB))
    assert cache.get("https://a.example/1", LATER + timedelta(seconds=1)) is None and cache.bytes == 0


def test_a_huge_status_list_is_used_for_the_verdict_but_not_kept_past_the_configured_cap():
    issuer, url = Issuer.generate(), "https://status.example/lists/huge"
    host = MemoryHost()
    host.routes[url] = list_credential(issuer, url=url, nbf=NOW - timedelta(days=1),
                                       encoded=encode_bits(size_bytes=8 * MIB))
    settings = Settings(verify_status_cache_bytes=MIB)
    caches = Caches.sized(settings)
    token = credential_with_status(issuer, [status_entry(url, 42)], nbf=NOW - timedelta(days=1))
    for _ in range(2):
        report = verify_credential(jwt=token, now=NOW, settings=settings, fetch=host, caches=caches)
        assert report["verdict"] == "verified"
    assert caches.status_lists.bytes == 0 and host.hits == 2

