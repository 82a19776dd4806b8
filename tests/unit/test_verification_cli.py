"""verify_file: what `credbridge verify FILE` reports, and exit code 0 only for a verified credential."""
from __future__ import annotations

import json

from services.verification.cli import verify_file
from tests.support.issuer import Issuer, tamper


def test_a_file_holding_a_genuine_vc_jwt_is_verified_with_exit_code_zero(tmp_path):
    path = tmp_path / "badge.jwt"
    path.write_text(Issuer.generate().vc_jwt() + "\n")
    report, code = verify_file(path)
    assert (report["verdict"], code) == ("verified", 0)


def test_a_file_holding_a_tampered_vc_jwt_fails_with_a_nonzero_exit_code(tmp_path):
    path = tmp_path / "badge.jwt"
    path.write_text(tamper(Issuer.generate().vc_jwt()))
    report, code = verify_file(path, email="ada@example.org")
    assert (report["verdict"], code) == ("failed", 1)


def test_a_json_credential_with_a_malformed_embedded_proof_fails_with_a_nonzero_exit_code(tmp_path):
    path = tmp_path / "badge.json"
    path.write_text(json.dumps({"type": ["VerifiableCredential"], "proof": {"type": "DataIntegrityProof"}}))
    report, code = verify_file(path)
    assert (report["verdict"], report["format"], code) == ("failed", "data-integrity", 1)


def test_a_json_file_wrapping_a_jwt_with_a_byte_order_mark_is_read_as_that_jwt(tmp_path):
    path = tmp_path / "badge.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"jwt": Issuer.generate().vc_jwt()}).encode())
    assert verify_file(path)[0]["verdict"] == "verified"


def test_a_file_that_looks_like_json_but_does_not_parse_fails_the_input_check(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{"type": ')
    report, code = verify_file(path)
    assert [(c["code"], c["status"]) for c in report["checks"]] == [("input", "failed")]
    assert code == 1


def test_a_file_holding_a_url_is_an_unsupported_url_reference(tmp_path):
    path = tmp_path / "link.txt"
    path.write_text("https://academy.example/credentials/42\n")
    assert verify_file(path)[0]["format"] == "url-reference"
