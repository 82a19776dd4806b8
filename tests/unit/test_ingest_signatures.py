"""credbridge's generic webhook signature scheme: what verifies and what does not."""
from __future__ import annotations

import pytest

from services.ingest.signatures import AuthError, check_timestamp, matches_any, sign_generic, verify_generic

NOW = 1_800_000_000
BODY = b'{"event_id":"e1","note":"caf\\u00e9"}'


def headers(secret="s3cret", body=BODY, ts=NOW):
    h = sign_generic(secret, body, ts)
    return h["X-Credbridge-Timestamp"], h["X-Credbridge-Signature"]


def verify(ts, sig, *, body=BODY, secrets=("s3cret",), now=NOW):
    verify_generic(secrets=secrets, timestamp=ts, signature=sig, body=body, now=now, window_s=300)


def test_a_signature_over_the_exact_bytes_verifies():
    verify(*headers())


def test_the_signature_is_the_published_hmac_of_timestamp_dot_body():
    # Independent computation of the documented scheme, so sign_generic cannot drift from the README.
    import hashlib
    import hmac
    expected = hmac.new(b"s3cret", f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert headers()[1] == "sha256=" + expected


def test_a_body_changed_by_one_byte_fails():
    ts, sig = headers()
    with pytest.raises(AuthError, match="does not match"):
        verify(ts, sig, body=BODY.replace(b"e1", b"e2"))


def test_the_same_json_with_its_unicode_escape_decoded_fails():
    ts, sig = headers()
    with pytest.raises(AuthError):
        verify(ts, sig, body='{"event_id":"e1","note":"café"}'.encode())


def test_a_timestamp_moved_after_signing_fails():
    _, sig = headers()
    with pytest.raises(AuthError):
        verify(str(NOW + 1), sig)


def test_either_of_two_live_secrets_verifies_during_rotation():
    for secret in ("old", "new"):
        verify(*headers(secret), secrets=("new", "old"))


@pytest.mark.parametrize("age", [301, -301])
def test_a_timestamp_outside_the_five_minute_window_is_refused_both_ways(age):
    with pytest.raises(AuthError, match="replay window"):
        check_timestamp(str(NOW - age), now=NOW, window_s=300)


@pytest.mark.parametrize("ts,sig", [(None, "sha256=00"), (str(NOW), None), (str(NOW), "md5=abc"), ("yesterday", "sha256=00")])
def test_missing_or_malformed_headers_are_refused(ts, sig):
    with pytest.raises(AuthError):
        verify(ts, sig)


def test_matches_any_is_case_insensitive_on_hex_and_false_on_no_candidates():
    assert matches_any(["abcdef"], "ABCDEF")
    assert not matches_any([], "abcdef")
