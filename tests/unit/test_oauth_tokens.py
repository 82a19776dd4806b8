"""OAuth 2.0 client credentials (shared/oauth.py): the token request Greenhouse documents, its answer read with its
expiry, and the per-process cache both services share (reused until a minute before expiry, replaced on demand)."""
from __future__ import annotations

import base64
from urllib.parse import parse_qs

import pytest

from shared.oauth import MARGIN_S, ClientCredentials, Token, TokenCache, TokenError, read_token, token_request

CREDS = ClientCredentials(auth_url="https://auth.example/token", client_id="cid", client_secret="s3cret", sub="4080")


class Issuer:
    """A token endpoint that counts its calls: token-1, token-2, … each living `ttl` seconds from the cache's now."""

    def __init__(self, cache: TokenCache, ttl: float = 3600.0):
        self.cache, self.ttl, self.issued = cache, ttl, 0

    def __call__(self, creds: ClientCredentials) -> Token:
        self.issued += 1
        return Token(access_token=f"token-{self.issued}", expires_at=self.cache.clock() + self.ttl)


@pytest.fixture
def clock():
    return [1_000_000.0]


@pytest.fixture
def cache(clock):
    return TokenCache(clock=lambda: clock[0])


def test_the_token_request_is_http_basic_with_the_client_and_a_form_naming_the_grant_and_the_user():
    headers, body = token_request(CREDS)
    assert headers["Authorization"] == "Basic " + base64.b64encode(b"cid:s3cret").decode()
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert parse_qs(body.decode()) == {"grant_type": ["client_credentials"], "sub": ["4080"]}


def test_the_answer_gives_the_token_and_its_expiry_and_an_hour_when_it_names_none():
    assert read_token({"access_token": "t", "expires_in": 120}, now=10.0) == Token("t", 130.0)
    assert read_token({"access_token": "t", "token_type": "bearer"}, now=10.0).expires_at == 10.0 + 3600.0
    assert read_token({"access_token": "t", "expires_in": True}, now=0.0).expires_at == 3600.0   # not a number


@pytest.mark.parametrize("answer", [None, [], {}, {"access_token": ""}, {"access_token": 7}, {"error": "x"}])
def test_an_answer_without_an_access_token_is_refused(answer):
    with pytest.raises(TokenError):
        read_token(answer, now=0.0)


def test_a_token_is_reused_until_a_minute_before_it_expires_then_replaced(cache, clock):
    issue = Issuer(cache)
    assert cache.bearer(CREDS, fetch=issue) == cache.bearer(CREDS, fetch=issue) == "token-1"
    clock[0] += 3600 - MARGIN_S - 1
    assert cache.bearer(CREDS, fetch=issue) == "token-1"
    clock[0] += 2   # now within the margin: a request must not carry a token that lapses on the way
    assert cache.bearer(CREDS, fetch=issue) == "token-2" and issue.issued == 2


def test_fresh_replaces_a_token_the_api_refused_before_its_time_and_the_new_one_is_kept(cache):
    issue = Issuer(cache)
    cache.bearer(CREDS, fetch=issue)
    assert cache.bearer(CREDS, fetch=issue, fresh=True) == "token-2"
    assert cache.bearer(CREDS, fetch=issue) == "token-2" and issue.issued == 2


def test_tokens_are_kept_apart_by_token_endpoint_client_user_and_secret(cache):
    issue = Issuer(cache)
    others = [ClientCredentials("https://other.example/token", "cid", "s3cret", "4080"),
              ClientCredentials(CREDS.auth_url, "cid2", "s3cret", "4080"),
              ClientCredentials(CREDS.auth_url, "cid", "s3cret", "99"),
              # Another tenant naming the same client id with a wrong secret is not handed the real one's token.
              ClientCredentials(CREDS.auth_url, "cid", "guessed", "4080")]
    first = cache.bearer(CREDS, fetch=issue)
    assert len({first, *(cache.bearer(c, fetch=issue) for c in others)}) == 5 and issue.issued == 5


def test_a_failing_token_endpoint_caches_nothing(cache):
    def refuse(creds):
        raise TokenError("no")
    with pytest.raises(TokenError):
        cache.bearer(CREDS, fetch=refuse)
    assert cache.bearer(CREDS, fetch=Issuer(cache)) == "token-1"


def test_the_cache_is_bounded(clock):
    cache = TokenCache(clock=lambda: clock[0], max_tokens=2)
    issue = Issuer(cache)
    for n in range(3):
        cache.bearer(ClientCredentials(CREDS.auth_url, f"c{n}", "s"), fetch=issue)
    assert len(cache._tokens) == 1   # full: started over rather than grow without end


def test_secrets_stay_out_of_reprs():
    assert "s3cret" not in repr(CREDS) and "token-9" not in repr(Token("token-9", 1.0))


def test_a_connections_repr_names_no_secret_of_it():
    from shared.tenants import Connection
    connection = Connection(tenant="t1", provider="greenhouse", secrets=("whsec-1",), options={"acting_user": "7"},
                            api_key="key-2", client_id="cid-3", client_secret="csec-4")
    assert not any(secret in repr(connection) for secret in ("whsec-1", "key-2", "cid-3", "csec-4"))
