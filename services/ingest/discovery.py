"""Credential discovery (pure): which candidate links and texts may hold credentials, and what a fetched body holds.

Recognised: VC-JWT strings in text; URLs of hosted Open Badges assertions / credentials; Credly badge
pages, followed to their Open Badges 2.0 assertion through Credly's documented public OBI endpoint
`GET https://api.credly.com/v1/obi/v2/badge_assertions/<badge_id>`
(https://api.credly.com/docs/obi_specified_endpoints, "Get Badge Assertion"), where the badge id is the
UUID in `https://www.credly.com/badges/<badge_id>`; and baked badge images (see baked.py).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from services.ingest import baked
from shared import safejson

CREDLY_API_BASE = "https://api.credly.com/v1"
_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_CREDLY_PAGE = re.compile(rf"^https?://(?:www\.)?(?:credly|youracclaim)\.com/badges/({_UUID})(?:[/?#].*)?$", re.I)
# A compact JWS whose header and payload are JSON objects: base64url of '{"' starts with "eyJ".
_JWT = re.compile(r"(?<![A-Za-z0-9_.-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}(?![A-Za-z0-9_~-])(?!\.[A-Za-z0-9_-])")
_URL = re.compile(r"https?://[^\s<>\"'`()\[\]{}|\\^]+", re.I)
_CREDENTIAL_EXTENSIONS = (".json", ".jsonld", ".jwt", ".png", ".svg")
_CREDENTIAL_WORDS = re.compile(r"(^|[/_.-])(assertions?|badges?|credentials?|certificates?|obi|openbadges?)([/_.-]|$)", re.I)
MAX_LEADS_PER_TEXT = 20

JSON_TYPES = ("application/json", "application/ld+json")
JWT_TYPES = ("application/vc+jwt", "application/jwt", "text/plain")
PULL_TYPES = JSON_TYPES + JWT_TYPES + ("image/png", "image/svg+xml", "text/html")


@dataclass(frozen=True)
class Lead:
    """Something found that is, or points at, a credential; provenance says where it was found."""
    provenance: str
    url: str | None = None
    jwt: str | None = None


@dataclass(frozen=True)
class Found:
    """What a fetched body holds: a credential (document or jwt), a URL to follow, leads, or nothing (why)."""
    label: str
    document: dict | None = None
    jwt: str | None = None
    follow: str | None = None
    leads: tuple[Lead, ...] = field(default_factory=tuple)
    problem: str | None = None


def credly_badge_id(url: str) -> str | None:
    m = _CREDLY_PAGE.match(url.strip())
    return m.group(1).lower() if m else None


def credly_assertion_url(badge_id: str, api_base: str = CREDLY_API_BASE) -> str:
    return f"{api_base.rstrip('/')}/obi/v2/badge_assertions/{badge_id}"


def looks_like_credential_url(url: str) -> bool:
    """Candidate links are only fetched when they look like credentials: a profile page is not pulled on a hunch."""
    if credly_badge_id(url):
        return True
    path = urlsplit(url).path.lower()
    return path.endswith(_CREDENTIAL_EXTENSIONS) or bool(_CREDENTIAL_WORDS.search(path))


def is_jwt(text: str) -> bool:
    return bool(_JWT.fullmatch(text.strip()))


def leads_in_text(text: str, provenance: str) -> list[Lead]:
    """VC-JWT strings and credential-looking URLs in free text (a cover letter, a custom field, a page)."""
    leads: list[Lead] = []
    for i, m in enumerate(_JWT.finditer(text)):
        leads.append(Lead(provenance=f"{provenance} -> VC-JWT in text [{i}]", jwt=m.group(0)))
    urls = [u.rstrip(".,;:!?") for u in _URL.findall(text)]
    for i, url in enumerate(dict.fromkeys(u for u in urls if looks_like_credential_url(u))):
        leads.append(Lead(provenance=f"{provenance} -> URL in text [{i}]", url=url))
    return leads[:MAX_LEADS_PER_TEXT]


def leads_in_link(link: dict) -> list[Lead]:
    """A candidate link (applications.received `links` item): a URL worth pulling, or text to scan."""
    prov = link["provenance"]
    if link.get("url"):
        return [Lead(provenance=prov, url=link["url"])] if looks_like_credential_url(link["url"]) else []
    if link.get("text"):
        return leads_in_text(link["text"], prov)
    return []


def classify(content_type: str, body: bytes) -> Found:
    """What a body fetched from a credential URL holds, judged by its declared type and then its content."""
    if content_type in JSON_TYPES:
        return _from_json(body, label="hosted JSON")
    if content_type in JWT_TYPES:
        text = _utf8(body).strip()
        return Found(label="hosted VC-JWT", jwt=text) if is_jwt(text) else Found(label="text", problem="the text is not a VC-JWT")
    if content_type == "image/png":
        return _from_baked(lambda: (baked.unbake_png(body), None), label="baked PNG")
    if content_type == "image/svg+xml":
        return _from_baked(lambda: baked.unbake_svg(body), label="baked SVG")
    if content_type == "text/html":
        leads = [lead for lead in leads_in_text(_utf8(body), "page") if lead.jwt or credly_badge_id(lead.url or "")]
        return Found(label="web page", leads=tuple(leads), problem=None if leads else "the page names no credential")
    return Found(label=content_type or "unknown", problem=f"content type {content_type!r} holds no credential")


def _from_json(raw: bytes | str, *, label: str) -> Found:
    try:
        doc = safejson.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return Found(label=label, problem="the JSON does not parse")
    if not isinstance(doc, dict):
        return Found(label=label, problem="the JSON is not an object")
    return Found(label=label, document=doc)


def _from_baked(unbake, *, label: str) -> Found:
    try:
        text, verify_url = unbake()
    except baked.BakedError as exc:
        return Found(label=label, problem=str(exc))
    return interpret_baked(text, verify_url, label=label)


def interpret_baked(text: str | None, verify_url: str | None, *, label: str) -> Found:
    """Baked text is the assertion JSON, a JWS / VC-JWT, or (OB 1.x style) the hosted assertion's URL."""
    text = (text or "").strip()
    if text.startswith("{"):
        return _from_json(text, label=label)
    if is_jwt(text):
        return Found(label=label, jwt=text)
    if _URL.fullmatch(text):
        return Found(label=label, follow=text)
    if verify_url and _URL.fullmatch(verify_url.strip()):
        return Found(label=label, follow=verify_url.strip())
    return Found(label=label, problem="the image carries no baked credential")


def _utf8(body: bytes) -> str:
    return body.decode("utf-8", errors="replace")
