"""The outbound address policy: only globally routable unicast is connected to; loopback only when allowed."""
from __future__ import annotations

import pytest

from shared.fetch import address_refusal

REFUSED = [
    ("10.1.2.3", "private"), ("172.16.0.1", "private"), ("172.31.255.254", "private"), ("192.168.1.1", "private"),
    ("127.0.0.1", "loopback"), ("127.45.6.7", "loopback"), ("169.254.169.254", "link-local"),
    ("0.0.0.0", "unspecified"), ("224.0.0.1", "multicast"), ("239.255.255.250", "multicast"),
    ("240.0.0.1", "reserved"), ("255.255.255.255", "reserved"), ("100.64.0.1", "not globally routable"),
    ("192.0.2.10", "private"), ("198.18.0.1", "private"),
    ("::1", "loopback"), ("::", "unspecified"), ("fe80::1", "link-local"), ("fe80::1%eth0", "link-local"),
    ("fc00::1", "private"), ("fd12:3456::1", "private"), ("ff02::1", "multicast"), ("2001:db8::1", "private"),
]


@pytest.mark.parametrize("address,why", REFUSED)
def test_a_non_public_address_is_refused_with_its_kind(address, why):
    assert address_refusal(address) == why


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "2a00:1450:4001::200e"])
def test_a_public_address_may_be_connected_to(address):
    assert address_refusal(address) is None


@pytest.mark.parametrize("address,why", [
    ("::ffff:127.0.0.1", "loopback"), ("::ffff:10.0.0.1", "private"), ("::ffff:169.254.169.254", "link-local"),
    ("64:ff9b::10.0.0.1", "private"), ("64:ff9b::127.0.0.1", "loopback"),
    ("2002:0a00:0001::1", "private"), ("2002:7f00:0001::1", "loopback"),
])
def test_an_ipv4_address_wrapped_in_ipv6_is_judged_by_the_ipv4_inside(address, why):
    assert address_refusal(address) == why


def test_an_ipv4_mapped_public_address_is_allowed():
    assert address_refusal("::ffff:8.8.8.8") is None


@pytest.mark.parametrize("address", ["127.0.0.1", "127.0.0.2", "::1", "::ffff:127.0.0.1"])
def test_allowing_loopback_allows_every_loopback_form(address):
    assert address_refusal(address, allow_loopback=True) is None


@pytest.mark.parametrize("address", ["10.0.0.1", "192.168.0.1", "169.254.169.254", "0.0.0.0", "::", "fd00::1", "::ffff:10.0.0.1"])
def test_allowing_loopback_relaxes_nothing_else(address):
    assert address_refusal(address, allow_loopback=True) is not None
