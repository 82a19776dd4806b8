"""What arrives from outside ingest — a webhook's v1 body signature, a baked badge image — malformed on purpose:
each is refused with a reason (AuthError, BakedError), never accepted and never a crash.

PNG iTXt layout per PNG 1.2 §11.3.4.5 (keyword NUL, compression flag, method, language NUL, translated keyword
NUL, text), as the Open Badges baking specification uses it; Teamtailor's deprecated v1 body signature is
Base64 of hex HMAC-SHA256(key, data.id).
"""
from __future__ import annotations

import json
import zlib
from pathlib import Path

import pytest
from werkzeug.datastructures import Headers

from services.ingest.baked import BakedError, unbake_png
from services.ingest.providers import Delivery, teamtailor
from services.ingest.signatures import AuthError
from shared.settings import Settings
from tests.support.credential_host import png_chunk, tiny_png

BODY = json.loads((Path(__file__).parents[1] / "fixtures" / "providers" /
                   "teamtailor_job_application_create.json").read_bytes())


def authenticate_v1(doc: dict) -> None:
    delivery = Delivery(tenant="t1", headers=Headers(), body=json.dumps(doc).encode(), now=0)
    teamtailor.authenticate(delivery, doc, secrets=("tt-key",), options={"teamtailor_v1": True}, settings=Settings())


@pytest.mark.parametrize("signature, problem", [
    pytest.param(None, "missing v1 signature", id="no signature"),
    pytest.param("not base64!", "not Base64", id="not Base64"),
    pytest.param("//79", "not Base64", id="Base64 of bytes that are not text"),
])
def test_a_teamtailor_v1_body_signature_that_cannot_be_read_is_refused(signature, problem):
    doc = {**BODY, "signature": signature} if signature is not None else {k: v for k, v in BODY.items()
                                                                          if k != "signature"}
    with pytest.raises(AuthError, match=problem):
        authenticate_v1(doc)


def baked_itxt(data: bytes) -> bytes:
    return tiny_png(png_chunk(b"iTXt", data))


@pytest.mark.parametrize("chunk, problem", [
    pytest.param(b"openbadges", "malformed iTXt", id="no separators"),
    pytest.param(b"openbadges\0\x01", "malformed iTXt", id="cut after the compression flag"),
    pytest.param(b"openbadges\0\x01\x07\0\0" + zlib.compress(b"{}"), "unknown compression method",
                 id="an unknown compression method"),
    pytest.param(b"openbadges\0\x01\x00\0\0not zlib at all", "does not decompress", id="compressed text that is not"),
    pytest.param(b"openbadges\0\x00\x00\0\0\xff\xfe{}", "not UTF-8", id="text that is not UTF-8"),
])
def test_a_baked_png_with_a_malformed_openbadges_chunk_is_rejected_with_a_reason(chunk, problem):
    with pytest.raises(BakedError, match=problem):
        unbake_png(baked_itxt(chunk))


def test_a_baked_png_whose_text_inflates_past_the_limit_is_rejected():
    bomb = b"openbadges\0\x01\x00\0\0" + zlib.compress(b" " * (20 * 1024 * 1024))
    with pytest.raises(BakedError, match="too large"):
        unbake_png(baked_itxt(bomb))
