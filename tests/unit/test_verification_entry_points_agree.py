"""`credbridge verify FILE`, POST /v1/verify and POST /credentials/verify give one verdict and one set of checks
for the same credential: they share the verifier, and only the answer's shape differs."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from services.verification.api import bp
from services.verification.cli import verify_file
from shared.http import create_base_app
from shared.settings import Settings
from tests.support.di_signer import Signer, add_proof, ob3_credential
from tests.support.issuer import Issuer, tamper

V2 = "https://www.w3.org/ns/credentials/v2"


@pytest.fixture(scope="module")
def client():
    app = create_base_app("verification", ready_checks={})
    app.config["SETTINGS"] = Settings()
    app.register_blueprint(bp)
    return app.test_client()


def _jwt() -> str:
    return Issuer.generate().vc_jwt(nbf=datetime.now(timezone.utc) - timedelta(days=1))


def _signed(curve: str = "Ed25519", suite: str = "eddsa-rdfc-2022") -> dict:
    signer = Signer(curve=curve)
    return signer.sign(ob3_credential(signer.did), suite=suite)


def _altered() -> dict:
    secured = _signed()
    secured["name"] = "Brain Surgery"
    return secured


def _proof_set() -> dict:
    return add_proof(_signed(), Signer(curve="P-384"), suite="ecdsa-rdfc-2019")


CREDENTIALS = {  # name: (make it, the verdict all three must give)
    "a VC-JWT": (_jwt, "verified"),
    "a forged VC-JWT": (lambda: tamper(_jwt()), "failed"),
    "an eddsa-rdfc-2022 credential": (_signed, "verified"),
    "an ecdsa-rdfc-2019 P-384 credential": (lambda: _signed("P-384", "ecdsa-rdfc-2019"), "verified"),
    "an altered credential": (_altered, "failed"),
    "a proof set": (_proof_set, "verified"),
    "an enveloped SD-JWT": (lambda: {"@context": [V2], "type": "EnvelopedVerifiableCredential",
                                     "id": "data:application/vc+sd-jwt,eyJhbGciOiJFUzI1NiJ9.e30.c2ln~"}, "unsupported"),
}


@pytest.mark.parametrize("name", CREDENTIALS)
def test_the_cli_v1_verify_and_the_vc_api_agree(client, tmp_path, name):
    make, expected = CREDENTIALS[name]
    credential = make()
    path = tmp_path / "credential"
    path.write_text(credential if isinstance(credential, str) else json.dumps(credential))
    cli, _ = verify_file(path)

    if isinstance(credential, str):
        v1 = client.post("/v1/verify", data=credential, content_type="application/vc+jwt").json
        envelope = {"@context": [V2], "type": "EnvelopedVerifiableCredential", "id": f"data:application/vc+jwt,{credential}"}
        vc_api = client.post("/credentials/verify", json={"verifiableCredential": envelope})
    else:
        v1 = client.post("/v1/verify", json=credential).json
        vc_api = client.post("/credentials/verify", json={"verifiableCredential": credential})

    assert cli["verdict"] == v1["verdict"] == vc_api.json["verdict"] == expected
    assert [(c["code"], c["status"]) for c in cli["checks"]] == [(c["code"], c["status"]) for c in v1["checks"]]
    assert vc_api.json["verified"] is (cli["verdict"] == "verified")
    assert vc_api.status_code == (200 if cli["verdict"] == "verified" else 422)
    assert set(vc_api.json["checks"]) == {c["code"] for c in cli["checks"] if c["status"] != "skipped"}
