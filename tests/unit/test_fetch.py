"""The safe fetcher against a real HTTP server on 127.0.0.1: redirects, size, time, types, and the address policy."""
from __future__ import annotations

import socket
import ssl
import time
from datetime import datetime, timedelta, timezone

import pytest

from shared.fetch import FETCHES, Fetcher, FetchFailed, FetchRefused, address_refusal
from shared.settings import Settings
from tests.support.credential_host import CredentialHost

LOOPBACK = Settings(fetch_allow_loopback=1, fetch_deadline_s=5, fetch_read_timeout_s=2, fetch_connect_timeout_s=2)


def only_127_0_0_1_counts_as_public(address: str) -> str | None:
    """Stands the test host in for a public one, so the real policy can judge where a redirect leads."""
    return None if address == "127.0.0.1" else address_refusal(address)


@pytest.fixture
def host():
    with CredentialHost() as h:
        yield h


@pytest.fixture
def fetcher():
    f = Fetcher(LOOPBACK)
    yield f
    f.close()


def test_a_json_document_is_fetched_with_its_status_type_and_final_url(host, fetcher):
    url = host.add("/a.json", '{"type": "Assertion"}', content_type="application/ld+json; charset=utf-8")
    got = fetcher.get(url, purpose="credential")
    assert (got.status, got.content_type, got.body, got.final_url) == (200, "application/ld+json", b'{"type": "Assertion"}', url)


def test_without_the_loopback_setting_a_loopback_host_is_refused_before_any_request(host):
    url = host.add("/a.json", "{}")
    with pytest.raises(FetchRefused, match="only https"):
        Fetcher(Settings()).get(url, purpose="credential")
    with pytest.raises(FetchRefused, match="loopback"):
        Fetcher(Settings()).get(url.replace("http://", "https://"), purpose="credential")
    assert host.hits == {}


def test_a_redirect_to_a_loopback_address_is_refused_when_loopback_is_not_allowed(host):
    target = host.add("/internal.json", '{"secret": true}')
    start = host.redirect("/badge.json", target.replace("127.0.0.1", "127.0.0.2"))
    fetcher = Fetcher(LOOPBACK, refusal=only_127_0_0_1_counts_as_public)
    with pytest.raises(FetchRefused, match="loopback"):
        fetcher.get(start, purpose="credential")
    assert host.hits == {"/badge.json": 1}  # the redirect was read; its target was never connected to


def test_a_redirect_to_the_unspecified_address_is_refused_even_with_loopback_allowed(host, fetcher):
    # 0.0.0.0 reaches the local machine on Linux: a classic SSRF bypass.
    target = host.add("/internal.json", "{}")
    start = host.redirect("/badge.json", target.replace("127.0.0.1", "0.0.0.0"))
    with pytest.raises(FetchRefused, match="unspecified"):
        fetcher.get(start, purpose="credential")
    assert "/internal.json" not in host.hits


def test_an_ipv4_mapped_loopback_literal_is_refused_when_loopback_is_not_allowed(host):
    url = f"http://[::ffff:127.0.0.2]:{host.port}/a.json"
    host.add("/a.json", "{}")
    with pytest.raises(FetchRefused):
        Fetcher(LOOPBACK, refusal=only_127_0_0_1_counts_as_public).get(url, purpose="credential")
    assert host.hits == {}


def test_redirects_are_followed_within_the_limit_and_refused_beyond_it(host):
    host.add("/end.json", '{"ok": 1}')
    host.redirect("/r0", "/end.json")
    for i in range(1, 4):
        host.redirect(f"/r{i}", f"/r{i - 1}")
    settings = Settings(**{**LOOPBACK.__dict__, "fetch_max_redirects": 3})
    assert Fetcher(settings).get(host.url("/r2"), purpose="credential").final_url == host.url("/end.json")
    with pytest.raises(FetchRefused, match="more than 3 redirects"):
        Fetcher(settings).get(host.url("/r3"), purpose="credential")


def test_headers_given_for_one_host_are_not_sent_to_another_after_a_redirect(host, fetcher):
    seen = {}
    host.add("/end.json", "{}")
    original = host._server.RequestHandlerClass.do_GET

    def spy(handler):
        seen[handler.path] = handler.headers.get("Authorization")
        return original(handler)
    host._server.RequestHandlerClass.do_GET = spy
    start = host.redirect("/start", host.url("/end.json", host="localhost"))
    fetcher.get(start, purpose="ats_api", headers={"Authorization": "Bearer k"})
    assert seen == {"/start": "Bearer k", "/end.json": None}


def test_an_oversized_response_is_cut_off_without_reading_it_whole(host, fetcher):
    host.add("/huge.json", length=50 * 1024 * 1024)
    started = time.monotonic()
    with pytest.raises(FetchRefused, match="larger than"):
        fetcher.get(host.url("/huge.json"), purpose="credential", max_bytes=1024 * 1024)
    assert time.monotonic() - started < 3


def test_a_declared_length_over_the_cap_is_refused_before_reading(host, fetcher):
    host.add("/big.json", b"{" + b" " * 2048 + b"}")
    with pytest.raises(FetchRefused, match="larger than 1000 bytes"):
        fetcher.get(host.url("/big.json"), purpose="credential", max_bytes=1000)


def test_a_slow_drip_is_cut_off_at_the_total_deadline(host, fetcher):
    # Each byte arrives well within the read timeout; only the total deadline stops it.
    host.add("/slow.json", b"{" + b" " * 200 + b"}", drip_s=0.05)
    started = time.monotonic()
    with pytest.raises(FetchFailed, match="deadline"):
        fetcher.get(host.url("/slow.json"), purpose="credential", deadline_s=1.0)
    assert time.monotonic() - started < 1.5


def test_a_content_type_outside_the_allow_list_is_refused(host, fetcher):
    host.add("/page", "<html></html>", content_type="text/html")
    with pytest.raises(FetchRefused, match="text/html"):
        fetcher.get(host.url("/page"), purpose="credential", accept=("application/json",))


def test_server_errors_and_unreachable_hosts_are_transient_and_client_errors_are_returned(host, fetcher):
    host.add("/down", status=503, content_type="text/plain")
    with pytest.raises(FetchFailed, match="503"):
        fetcher.get(host.url("/down"), purpose="credential")
    assert fetcher.get(host.url("/missing"), purpose="credential").status == 404
    with CredentialHost() as gone:
        dead = gone.url("/x")
    with pytest.raises(FetchFailed):
        fetcher.get(dead, purpose="credential")


def test_urls_with_other_schemes_or_embedded_credentials_are_refused(fetcher):
    for url in ("file:///etc/passwd", "ftp://example.org/x", "http://user:pw@127.0.0.1/x", "gopher://x",
                "http://[::1", "http://127.0.0.1:99999/x", "http://127.0.0.1:port/x", "not a url"):
        with pytest.raises(FetchRefused):
            fetcher.get(url, purpose="credential")


def test_outcomes_are_counted_by_purpose_and_a_fixed_outcome_word(host, fetcher):
    def count(outcome):
        return FETCHES.labels(purpose="did_document", outcome=outcome)._value.get()
    before_ok, before_refused = count("ok"), count("content_type")
    host.add("/did.json", "{}")
    host.add("/did.html", "<p>", content_type="text/html")
    fetcher.get(host.url("/did.json"), purpose="did_document")
    with pytest.raises(FetchRefused):
        fetcher.get(host.url("/did.html"), purpose="did_document")
    assert (count("ok") - before_ok, count("content_type") - before_refused) == (1, 1)


def test_a_purpose_outside_the_fixed_set_is_counted_as_other_never_as_given(host, fetcher):
    before = FETCHES.labels(purpose="other", outcome="ok")._value.get()
    url = host.add("/x.json", "{}")
    fetcher.get(url, purpose=url)
    assert FETCHES.labels(purpose="other", outcome="ok")._value.get() == before + 1


def self_signed_tls(tmp_path, hostname: str):
    """A server context and the CA file a client needs, for a certificate naming only `hostname`."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(hostname)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return context, str(cert_file)


def test_https_connects_to_the_checked_address_yet_verifies_the_certificate_against_the_urls_host(tmp_path):
    context, ca_file = self_signed_tls(tmp_path, "localhost")
    with CredentialHost(tls=context) as tls_host:
        tls_host.add("/a.json", '{"tls": true}')
        fetcher = Fetcher(LOOPBACK)
        fetcher._session.verify = ca_file  # trust the test's own CA; production uses the system's
        got = fetcher.get(tls_host.url("/a.json", host="localhost"), purpose="credential")
        assert got.body == b'{"tls": true}'
        # The same server by IP: the certificate names only "localhost", so SNI/hostname checking must fail it.
        with pytest.raises(FetchRefused, match="certificate"):
            fetcher.get(tls_host.url("/a.json"), purpose="credential")


def test_each_connection_checks_the_address_it_resolved_so_a_rebound_name_is_refused(host, monkeypatch):
    # A DNS-rebinding name: public (here: the stand-in) at first, an internal address on the next lookup.
    answers = iter(["127.0.0.1", "127.0.0.2"])
    real = socket.getaddrinfo

    def rebinding(name, port, *args, **kwargs):
        if name != "rebind.test":
            return real(name, port, *args, **kwargs)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), port))]
    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    host.add("/a.json", "{}")
    url = f"http://rebind.test:{host.port}/a.json"
    assert Fetcher(LOOPBACK, refusal=only_127_0_0_1_counts_as_public).get(url, purpose="credential").status == 200
    with pytest.raises(FetchRefused, match="loopback"):
        Fetcher(LOOPBACK, refusal=only_127_0_0_1_counts_as_public).get(url, purpose="credential")
    assert host.hits == {"/a.json": 1}
