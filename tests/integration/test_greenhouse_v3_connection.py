"""A Greenhouse connection's Harvest v3 client credentials through `credbridge connection add|oauth`, over the real
database: stored encrypted, never printed, an old v1-key connection moved to v3 in place; flags that cannot work
refused with a reason."""
from __future__ import annotations

import io
import json
from contextlib import redirect_stdout

import pytest

from shared.tenants import TenantRepository

pytestmark = pytest.mark.integration


@pytest.fixture
def cli(settings, db, monkeypatch):
    from services.cli import main
    monkeypatch.setenv("MONGO_URI", settings.mongo_uri)
    monkeypatch.setenv("MONGO_DB", settings.mongo_db)
    tenants = TenantRepository(db, settings)
    tenants.ensure_indexes()

    def run(*argv: str) -> tuple[int, str]:
        out = io.StringIO()
        with redirect_stdout(out):
            code = main(list(argv))
        return code, out.getvalue()
    return run, tenants


def test_connection_add_stores_greenhouse_client_credentials_encrypted_and_never_prints_the_secret(cli):
    run, tenants = cli
    tenant, _ = tenants.create_tenant("Acme")
    code, out = run("connection", "add", tenant, "greenhouse", "--client-id", "cid-1", "--client-secret", "shh-1",
                    "--acting-user", "4080", "--auth-url", "https://auth.greenhouse.io/token/")
    printed = json.loads(out)
    assert code == 0 and printed["client_credentials_stored"] is True and "shh-1" not in out
    assert printed["options"] == {"acting_user": "4080", "auth_url": "https://auth.greenhouse.io/token"}
    conn = tenants.connection(tenant, "greenhouse")
    assert (conn.client_id, conn.client_secret, conn.api_key) == ("cid-1", "shh-1", None)
    assert "shh-1" not in repr(conn)
    stored = tenants.connections.find_one({"tenant": tenant, "provider": "greenhouse"})
    assert stored["client_secret"] != "shh-1" and stored["client_id"] != "cid-1"


def test_an_existing_v1_key_connection_gets_v3_credentials_in_place_keeping_its_webhook_secret(cli):
    run, tenants = cli
    tenant, _ = tenants.create_tenant("Acme")
    secret = tenants.add_connection(tenant, "greenhouse", api_key="old-v1-key")   # as issue 16 stored them
    code, out = run("connection", "oauth", tenant, "greenhouse", "--client-id", "cid-2", "--client-secret", "shh-2",
                    "--acting-user", "77")
    assert code == 0 and "shh-2" not in out
    conn = tenants.connection(tenant, "greenhouse")
    assert (conn.client_id, conn.client_secret, conn.options["acting_user"]) == ("cid-2", "shh-2", "77")
    assert conn.secrets == (secret,)
    assert run("connection", "oauth", tenant, "lever", "--client-id", "c", "--client-secret", "s",
               "--acting-user", "1")[0] == 2   # no lever connection, and lever takes no client credentials


@pytest.mark.parametrize("argv", [
    ["greenhouse", "--api-key", "v1-key"],                                   # Harvest v1 is retired
    ["greenhouse", "--client-id", "c", "--client-secret", "s"],              # no user to issue the token for
    ["greenhouse", "--auth-url", "https://auth.greenhouse.io/token"],        # an endpoint without credentials
    ["greenhouse", "--client-id", "c", "--client-secret", "s", "--acting-user", "1", "--auth-url", "ftp://x"],
    ["lever", "--client-id", "c", "--client-secret", "s", "--acting-user", "1"],
])
def test_flags_that_could_not_work_are_refused_and_store_nothing(cli, argv):
    run, tenants = cli
    tenant, _ = tenants.create_tenant("Acme")
    assert run("connection", "add", tenant, *argv)[0] == 2
    assert tenants.connection(tenant, argv[0]) is None


def test_client_credentials_go_only_on_a_connection_that_exists_with_the_options_that_belong_to_them(cli):
    from shared.tenants import TenantError
    _, tenants = cli
    tenant, _ = tenants.create_tenant("Acme")
    with pytest.raises(TenantError, match="no greenhouse connection"):
        tenants.set_client_credentials(tenant, "greenhouse", client=("c", "s"), options={"acting_user": "1"})
    tenants.add_connection(tenant, "greenhouse")
    with pytest.raises(TenantError, match="unknown client-credential options"):
        tenants.set_client_credentials(tenant, "greenhouse", client=("c", "s"), options={"base_url": "https://x"})
    assert tenants.connection(tenant, "greenhouse").client_id is None
