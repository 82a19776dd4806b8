"""Each ATS's job API: one function per provider, `(job_id, *, connection, http) -> Posting`, the advert as text.

Every call uses the connection's API key (Greenhouse: its OAuth client credentials) and base URL (`credbridge
connection add ... --api-key --base-url`) and goes through the safe fetcher the describer hands in; failures are
EnrichError (retryable or not), as enrichment's are.

Sources, per provider (the field that holds the advert; all of them HTML):
- Greenhouse Harvest v3 (v1/v2 were retired on 2026-08-31): a Bearer token from OAuth client credentials
  (shared/oauth.py; https://harvestdocs.greenhouse.io/docs/authentication, scope `harvest:job_posts:list`), then
  GET https://harvest.greenhouse.io/v3/job_posts?job_ids={id} ("List job posts": a parent-resource filter,
  https://harvestdocs.greenhouse.io/docs/list-endpoints) -> a JSON array of posts, each `title`, `live`,
  `internal`, `content` (HTML). One page is read: a job has a handful of posts and a page holds 100
  (https://harvestdocs.greenhouse.io/docs/pagination).
- Lever: GET /v1/postings/{id} (HTTP Basic, the key as user name) -> data.text (title), data.content.descriptionHtml,
  data.content.lists[] {text, content}, data.content.closingHtml
  (https://hire.lever.co/developer/documentation#retrieve-a-single-posting).
- Workable SPI v3: GET https://{subdomain}.workable.com/spi/v3/jobs/{shortcode} (Bearer token) -> `title`,
  `full_description`, else `description` + `requirements` + `benefits` (https://workable.readme.io/reference/job).
- Ashby: POST /job.info {"id"} -> results.jobPostingIds, then POST /jobPosting.info {"jobPostingId"} ->
  results.title, results.descriptionHtml (HTTP Basic, the key as user name; an error is 200 with success=false)
  (https://developers.ashbyhq.com/reference/jobinfo, .../jobpostinginfo).
- SmartRecruiters Job API: GET /jobs/{id} (X-SmartToken) -> `title`, and the ad's jobAd.sections {companyDescription,
  jobDescription, qualifications, additionalInformation} {title, text}; when the job carries no ad, the first of
  GET /jobs/{id}/jobads (content[]) (https://developers.smartrecruiters.com/reference/jobsget, .../jobadsall).
- Teamtailor: GET /v1/jobs/{id} (`Authorization: Token token=…`, X-Api-Version) -> data.attributes.title,
  data.attributes.body (https://docs.teamtailor.com/#jobs).
"""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Callable

from services.ingest.jobs.text import joined
from services.ingest.providers import EnrichError, Get
from services.ingest.providers.api import fetch_json, fetch_json_array, path_part, require_connection_api
from services.ingest.providers.collect import listed, mapping
from services.ingest.providers.teamtailor import API_VERSION, DEFAULT_BASE_URL as TEAMTAILOR_API
from shared.oauth import GREENHOUSE_AUTH_URL, TOKENS, ClientCredentials, Token, TokenCache, TokenError, read_token, \
    token_request
from shared.tenants import Connection

# (url, headers=..., body=...) -> (status, headers, body): the fetcher's `send("POST", ...)`, bound by the describer.
Post = Callable[..., tuple]


@dataclass(frozen=True)
class Http:
    get: Get
    post: Post


@dataclass(frozen=True)
class Posting:
    """A job's advert: its title, its text (HTML read as text), and which API gave it."""
    title: str | None
    text: str
    source: str


def _basic(key: str) -> str:
    return "Basic " + base64.b64encode(f"{key}:".encode()).decode()


def _text_of(value: object) -> str | None:
    return value[:500] if isinstance(value, str) and value.strip() else None


def _posting(title: object, text: str, source: str) -> Posting:
    if not text.strip():
        raise EnrichError("the ATS's job has no description", retryable=False)
    return Posting(title=_text_of(title), text=text, source=source)


GREENHOUSE_API = "https://harvest.greenhouse.io"
HARVEST_V1_RETIRED = ("Greenhouse retired Harvest v1 (API keys) on 2026-08-31; configure v3 client credentials: "
                      "credbridge connection oauth <tenant> greenhouse --client-id ... --client-secret ... "
                      "--acting-user <user id>")


class _Unauthorised(Exception):
    """Harvest answered 401: the token was revoked or expired early."""


def greenhouse(job_id: str, *, connection: Connection, http: Http, tokens: TokenCache = TOKENS) -> Posting:
    creds = _greenhouse_client(connection)
    if not (job_id.isascii() and job_id.isdigit()):
        raise EnrichError("a Greenhouse job id is a number", retryable=False)   # job_ids is an array of integers
    url = f"{(connection.options.get('base_url') or GREENHOUSE_API).rstrip('/')}/v3/job_posts?job_ids={job_id}"

    def get(u: str, headers: dict) -> tuple:
        answer = http.get(u, headers=headers)
        if answer[0] == 401:
            raise _Unauthorised
        return answer

    for fresh in (False, True):
        token = tokens.bearer(creds, fetch=lambda c: _greenhouse_token(c, http=http, now=tokens.clock()), fresh=fresh)
        try:
            posts = fetch_json_array(get, url, headers={"Authorization": f"Bearer {token}",
                                                        "Accept": "application/json"})
            break
        except _Unauthorised:
            continue   # one new token: a token can be revoked before it expires
    else:
        raise EnrichError("Greenhouse answered 401 to a new token: the client credentials were revoked or lack "
                          "harvest:job_posts:list", retryable=False)
    post = _advert_post(posts)
    if post is None:
        raise EnrichError("the Greenhouse job has no job post", retryable=False)
    return _posting(post.get("title"), joined((None, post.get("content"))), "greenhouse.job_posts")


def _greenhouse_client(connection: Connection) -> ClientCredentials:
    if not (connection.client_id and connection.client_secret):
        if connection.api_key:
            raise EnrichError(HARVEST_V1_RETIRED, retryable=False)   # never a v1 call: it cannot work
        raise EnrichError("the greenhouse connection has no Harvest v3 client credentials", retryable=False)
    return ClientCredentials(auth_url=connection.options.get("auth_url") or GREENHOUSE_AUTH_URL,
                             client_id=connection.client_id, client_secret=connection.client_secret,
                             sub=connection.options.get("acting_user"))


def _greenhouse_token(creds: ClientCredentials, *, http: Http, now: float) -> Token:
    headers, body = token_request(creds)
    try:
        doc = fetch_json(lambda u, headers: http.post(u, headers=headers, body=body), creds.auth_url, headers=headers)
        return read_token(doc, now=now)
    except EnrichError as exc:
        raise EnrichError(f"Greenhouse's token endpoint: {exc.reason}", retryable=exc.retryable) from None
    except TokenError as exc:
        raise EnrichError(f"Greenhouse's token endpoint: {exc}", retryable=False) from None


def _advert_post(posts: list) -> dict | None:
    """The post candidates see: a live one that is not internal-only, else any live one, else the first with text."""
    written = [p for p in posts if isinstance(p, dict) and isinstance(p.get("content"), str) and p["content"].strip()]
    return min(written, key=lambda p: (p.get("live") is not True, p.get("internal") is True), default=None)


def lever(job_id: str, *, connection: Connection, http: Http) -> Posting:
    base, key = require_connection_api(connection, default_base_url="https://api.lever.co")
    doc = mapping(fetch_json(http.get, f"{base}/v1/postings/{path_part(job_id)}",
                             headers={"Authorization": _basic(key), "Accept": "application/json"}).get("data"))
    content = mapping(doc.get("content"))
    lists = [(_text_of(mapping(item).get("text")), mapping(item).get("content")) for item in listed(content.get("lists"))]
    text = joined((None, content.get("descriptionHtml") or content.get("description")), *lists,
                  (None, content.get("closingHtml") or content.get("closing")))
    return _posting(doc.get("text"), text, "lever.postings")


def workable(job_id: str, *, connection: Connection, http: Http) -> Posting:
    # Workable's API lives on the account's own subdomain: there is no default base URL.
    base, key = require_connection_api(connection, default_base_url=None)
    doc = fetch_json(http.get, f"{base}/spi/v3/jobs/{path_part(job_id)}",
                     headers={"Authorization": f"Bearer {key}", "Accept": "application/json"})
    if isinstance(doc.get("full_description"), str) and doc["full_description"].strip():
        text = joined((None, doc["full_description"]))
    else:
        text = joined((None, doc.get("description")), ("Requirements", doc.get("requirements")),
                      ("Benefits", doc.get("benefits")))
    return _posting(doc.get("title"), text, "workable.jobs")


def ashby(job_id: str, *, connection: Connection, http: Http) -> Posting:
    base, key = require_connection_api(connection, default_base_url="https://api.ashbyhq.com")
    headers = {"Authorization": _basic(key), "Accept": "application/json; version=1",
               "Content-Type": "application/json"}
    job = _ashby_results(http, f"{base}/job.info", {"id": job_id}, headers=headers)
    postings = [p for p in listed(job.get("jobPostingIds")) if isinstance(p, str) and p]
    if not postings:
        raise EnrichError("the Ashby job has no job posting", retryable=False)
    posting = _ashby_results(http, f"{base}/jobPosting.info", {"jobPostingId": postings[0]}, headers=headers)
    text = joined((None, posting.get("descriptionHtml") or posting.get("descriptionPlain")))
    return _posting(posting.get("title") or job.get("title"), text, "ashby.jobPosting")


def _ashby_results(http: Http, url: str, body: dict, *, headers: dict) -> dict:
    encoded = json.dumps(body).encode()
    doc = fetch_json(lambda u, headers: http.post(u, headers=headers, body=encoded), url, headers=headers)
    if doc.get("success") is not True:
        raise EnrichError("Ashby answered success=false", retryable=False)
    return mapping(doc.get("results"))


_SR_SECTIONS = ("companyDescription", "jobDescription", "qualifications", "additionalInformation")


def smartrecruiters(job_id: str, *, connection: Connection, http: Http) -> Posting:
    base, key = require_connection_api(connection, default_base_url="https://api.smartrecruiters.com")
    headers = {"X-SmartToken": key, "Accept": "application/json"}
    job = fetch_json(http.get, f"{base}/jobs/{path_part(job_id)}", headers=headers)
    sections = mapping(mapping(job.get("jobAd")).get("sections"))
    if not sections:
        ads = listed(fetch_json(http.get, f"{base}/jobs/{path_part(job_id)}/jobads", headers=headers).get("content"))
        sections = mapping(mapping(mapping(ads[0]).get("jobAd")).get("sections")) if ads else {}
    parts = [(_text_of(mapping(sections.get(name)).get("title")), mapping(sections.get(name)).get("text"))
             for name in _SR_SECTIONS]
    return _posting(job.get("title") or job.get("name"), joined(*parts), "smartrecruiters.jobs")


def teamtailor(job_id: str, *, connection: Connection, http: Http) -> Posting:
    base, key = require_connection_api(connection, default_base_url=TEAMTAILOR_API)
    doc = fetch_json(http.get, f"{base}/v1/jobs/{path_part(job_id)}",
                     headers={"Authorization": f"Token token={key}", "X-Api-Version": API_VERSION,
                              "Accept": "application/vnd.api+json"})
    attrs = mapping(mapping(doc.get("data")).get("attributes"))
    return _posting(attrs.get("title"), joined((None, attrs.get("body"))), "teamtailor.jobs")


JobApi = Callable[..., Posting]
APIS: dict[str, JobApi] = {"greenhouse": greenhouse, "lever": lever, "workable": workable, "ashby": ashby,
                           "smartrecruiters": smartrecruiters, "teamtailor": teamtailor}
