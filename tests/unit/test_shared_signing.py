"""One implementation of credbridge's generic HMAC scheme: what the write-back signs, ingest's webhook check accepts."""
from __future__ import annotations

import hashlib
import hmac

import pytest

from services.ingest import signatures
from shared import signing


def test_ingest_re_exports_the_shared_signer_rather_than_keeping_a_copy():
    assert signatures.sign_generic is signing.sign_generic
    assert signatures.hmac_sha256_hex is signing.hmac_sha256_hex


def test_a_body_signed_by_the_shared_signer_passes_ingests_generic_check_and_a_changed_byte_does_not():
    body = b'{"score":75}'
    headers = signing.sign_generic("s3cret", body, 1_800_000_000)
    signatures.verify_generic(secrets=["s3cret"], timestamp=headers["X-Credbridge-Timestamp"],
                              signature=headers["X-Credbridge-Signature"], body=body, now=1_800_000_010, window_s=300)
    with pytest.raises(signatures.AuthError):
        signatures.verify_generic(secrets=["s3cret"], timestamp=headers["X-Credbridge-Timestamp"],
                                  signature=headers["X-Credbridge-Signature"], body=b'{"score":76}',
                                  now=1_800_000_010, window_s=300)


def test_the_scheme_signs_the_timestamp_a_dot_and_the_raw_body():
    expected = hmac.new(b"k", b"1.{}", hashlib.sha256).hexdigest()
    assert signing.sign_generic("k", b"{}", 1)["X-Credbridge-Signature"] == "sha256=" + expected
