"""POST /credentials/verify on the real app (real database): the tenant's trust registry applies as on /v1/verify,
and an enveloped VC-JWT gets the same verdict as the bare one."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from services.verification import trust
from services.verification.app import create_app
from shared.tenants import TenantRepository
from tests.support.issuer import Issuer


def test_the_vc_api_and_v1_verify_judge_an_enveloped_credential_by_the_same_tenant_registry(db, settings):
    issuer = Issuer.generate()
    token = issuer.vc_jwt(nbf=datetime.now(timezone.utc) - timedelta(days=1))
    envelope = {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": "EnvelopedVerifiableCredential",
                "id": f"data:application/vc+jwt,{token}"}
    tenants = TenantRepository(db, settings)
    tenants.ensure_indexes()
    tenant_id, api_key = tenants.create_tenant("Globex")
    registry = trust.TrustRepository(db)
    registry.set_policy(tenant_id, "fail")
    client = create_app(settings).test_client()
    as_tenant = {"Authorization": f"Bearer {api_key}"}

    refused = client.post("/credentials/verify", json={"verifiableCredential": envelope}, headers=as_tenant)
    v1 = client.post("/v1/verify", data=token, content_type="application/vc+jwt", headers=as_tenant)
    assert (refused.status_code, refused.json["verified"], v1.json["verdict"]) == (422, False, "failed")
    assert [e["check"] for e in refused.json["errors"]] == ["issuer.trusted"]

    registry.add(tenant_id, "did", issuer.did)
    accepted = client.post("/credentials/verify", json={"verifiableCredential": envelope}, headers=as_tenant)
    v1 = client.post("/v1/verify", data=token, content_type="application/vc+jwt", headers=as_tenant)
    assert (accepted.status_code, accepted.json["verified"], v1.json["verdict"]) == (200, True, "verified")
    assert "issuer.trusted" in accepted.json["checks"]
