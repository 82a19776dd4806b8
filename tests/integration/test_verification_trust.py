"""The trust registry in the real database, managed by `credbridge trust`, used by `credbridge verify --tenant`."""
from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta, timezone

import pytest

from services import cli
from services.verification import trust
from services.verification.cli import verify_file
from shared.tenants import TenantRepository
from tests.support.issuer import Issuer


@pytest.fixture
def tenant(db, settings):
    repo = TenantRepository(db, settings)
    repo.ensure_indexes()
    return repo.create_tenant("Acme")[0]


@pytest.fixture
def run(settings, monkeypatch, capsys):
    monkeypatch.setenv("MONGO_URI", settings.mongo_uri)
    monkeypatch.setenv("MONGO_DB", settings.mongo_db)

    def invoke(*argv):
        code = cli.main(list(argv))
        out = capsys.readouterr().out
        return code, json.loads(out) if out.strip() else None
    return invoke


@pytest.fixture
def credential_file(tmp_path):
    issuer = Issuer.generate()
    path = tmp_path / "badge.jwt"
    path.write_text(issuer.vc_jwt(subject_email="ada@example.org",
                                  nbf=datetime.now(timezone.utc) - timedelta(days=1)))
    return issuer, path


def test_entries_added_with_the_cli_are_listed_and_removed(run, tenant):
    assert run("trust", "add", "--tenant", tenant, "--domain", "Academy.Example")[0] == 0
    assert run("trust", "add", "--tenant", tenant, "--did", "did:web:academy.example#key-1")[0] == 0
    code, listing = run("trust", "list", "--tenant", tenant)
    assert listing["entries"] == [{"kind": "did", "value": "did:web:academy.example"},
                                  {"kind": "domain", "value": "academy.example"}]
    assert listing["policy"] == "flag"
    assert run("trust", "remove", "--tenant", tenant, "--domain", "academy.example")[1] == {
        "tenant": tenant, "removed": True}
    assert run("trust", "remove", "--tenant", tenant, "--domain", "academy.example")[0] == 1


def test_a_malformed_entry_is_refused_with_exit_code_2(run, tenant):
    assert run("trust", "add", "--tenant", tenant, "--domain", "https://academy.example/x")[0] == 2


def test_a_registry_is_kept_per_tenant(db, settings, tenant):
    other = TenantRepository(db, settings).create_tenant("Globex")[0]
    repo = trust.TrustRepository(db)
    repo.add(tenant, "did", "did:key:z6MkA")
    assert repo.registry(other) == trust.Registry(entries=frozenset(), policy="flag")


def test_verify_with_a_tenant_passes_a_registered_issuer_and_fails_an_unregistered_one_under_the_fail_policy(
        run, tenant, credential_file, settings):
    issuer, path = credential_file
    run("trust", "policy", "--tenant", tenant, "--unregistered", "fail")
    report, code = verify_file(path, email="ada@example.org", tenant=tenant, settings=settings)
    assert (report["verdict"], code) == ("failed", 1)
    run("trust", "add", "--tenant", tenant, "--did", issuer.did)
    report, code = verify_file(path, email="ada@example.org", tenant=tenant, settings=settings)
    assert (report["verdict"], code) == ("verified", 0)
    assert next(c for c in report["checks"] if c["code"] == "issuer.trusted")["status"] == "passed"


def test_verify_with_a_tenant_under_the_default_policy_flags_an_unregistered_issuer(tenant, credential_file, settings):
    _, path = credential_file
    report, code = verify_file(path, email="ada@example.org", tenant=tenant, settings=settings)
    assert (report["verdict"], report["flags"], code) == ("verified", ["issuer.unregistered"], 0)


def test_an_unreachable_registry_is_indeterminate_not_untrusted(credential_file, settings):
    _, path = credential_file
    dead = dataclasses.replace(settings, mongo_uri="mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=300")
    report, code = verify_file(path, tenant="t_any", settings=dead)
    check = next(c for c in report["checks"] if c["code"] == "issuer.trusted")
    assert (report["verdict"], check["status"], code) == ("indeterminate", "indeterminate", 1)
    assert "unreachable" in check["message"]


def test_the_verify_command_takes_email_and_tenant_and_prints_the_report(run, tenant, credential_file):
    issuer, path = credential_file
    run("trust", "add", "--tenant", tenant, "--did", issuer.did)
    code, report = run("verify", str(path), "--email", "eve@example.org", "--tenant", tenant)
    assert code == 1 and report["verdict"] == "failed"
    assert next(c for c in report["checks"] if c["code"] == "recipient")["status"] == "failed"


def test_the_verify_api_uses_the_registry_of_the_tenant_whose_api_key_is_sent(db, settings, credential_file):
    from services.verification.app import create_app

    issuer, path = credential_file
    tenant_id, api_key = TenantRepository(db, settings).create_tenant("Initech")
    trust.TrustRepository(db).set_policy(tenant_id, "fail")
    client = create_app(settings).test_client()
    body = path.read_text()
    anonymous = client.post("/v1/verify?email=ada@example.org", data=body, content_type="application/vc+jwt")
    as_tenant = client.post("/v1/verify?email=ada@example.org", data=body, content_type="application/vc+jwt",
                            headers={"Authorization": f"Bearer {api_key}"})
    wrong_key = client.post("/v1/verify", data=body, content_type="application/vc+jwt",
                            headers={"Authorization": "Bearer cbk_0000.nope"})
    assert (anonymous.json["verdict"], anonymous.json["flags"]) == ("verified", ["issuer.trust_not_checked"])
    assert as_tenant.json["verdict"] == "failed"
    assert wrong_key.status_code == 401 and wrong_key.mimetype == "application/problem+json"
