"""The one entry point the worker, the API and the CLI share: dispatch a submitted credential to its format."""
from __future__ import annotations

import time
from datetime import datetime

from services.verification import credential, metrics, vcjwt
from services.verification.report import (FORMAT, INPUT, PROOF_PRESENT, build_report, failed, unsupported)
from shared.settings import Settings

# Format names a report can carry: a fixed set, so they are safe as metric labels.
DATA_INTEGRITY = "data-integrity"
URL_REFERENCE = "url-reference"
OPEN_BADGES_2 = "openbadges-2.0"
ENVELOPED = "enveloped-vc"
SD_JWT = "sd-jwt"
JWE = "jwe"
UNKNOWN = "unknown"
FORMATS = (vcjwt.FORMAT, DATA_INTEGRITY, URL_REFERENCE, OPEN_BADGES_2, ENVELOPED, SD_JWT, JWE, UNKNOWN)

_OB2_CONTEXT = "https://w3id.org/openbadges/v2"


def verify_credential(*, jwt: str | None = None, document: dict | None = None, url: str | None = None,
                      now: datetime, settings: Settings) -> dict:
    """The report for whichever of jwt / document / url was submitted (in that order of preference).

    Never raises on bad input: anything unverifiable becomes a failed or unsupported report.
    """
    started = time.perf_counter()
    if jwt is not None:
        report = _from_jwt(jwt, now=now, settings=settings)
    elif document is not None:
        report = _from_document(document, now=now, settings=settings)
    elif url is not None:
        report = build_report(format=URL_REFERENCE, now=now, checks=[
            unsupported(FORMAT, "fetching credentials by URL is not supported yet")])
    else:
        report = build_report(format=UNKNOWN, now=now, checks=[failed(INPUT, "no credential was submitted")])
    metrics.record(report["format"], report["verdict"], time.perf_counter() - started)
    return report


def _from_jwt(token: str, *, now: datetime, settings: Settings) -> dict:
    token = token.strip() if isinstance(token, str) else ""
    kind = vcjwt.shape(token)
    if kind == "sd-jwt":
        return build_report(format=SD_JWT, now=now, checks=[
            unsupported(FORMAT, "SD-JWT credentials are not supported yet")])
    if kind == "jwe":
        return build_report(format=JWE, now=now, checks=[
            unsupported(FORMAT, "encrypted JWTs (JWE) are not supported yet")])
    result = vcjwt.verify(token, now=now, clock_skew_s=settings.clock_skew_s)
    return build_report(format=vcjwt.FORMAT, now=now, checks=result.checks, achievement=result.achievement,
                        issuer=result.issuer, valid_from=result.valid_from, valid_until=result.valid_until)


def _from_document(document: object, *, now: datetime, settings: Settings) -> dict:
    if not isinstance(document, dict):
        return build_report(format=UNKNOWN, now=now, checks=[failed(INPUT, "the credential is not a JSON object")])
    if isinstance(document.get("jwt"), str) and len(document) == 1:
        return _from_jwt(document["jwt"], now=now, settings=settings)  # {"jwt": "..."}: a wrapped VC-JWT
    fmt, check = _classify_document(document)
    return build_report(format=fmt, now=now, checks=[check], achievement=credential.achievement(document),
                        issuer=credential.issuer(document))


def _classify_document(document: dict):
    """(format, the one check) for the JSON shapes this slice recognises but cannot verify."""
    if "EnvelopedVerifiableCredential" in credential.types_of(document):
        # VC DM 2.0 §4.13: an envelope whose id is a data: URL carrying a secured credential.
        return ENVELOPED, unsupported(FORMAT, "enveloped credentials are not supported yet")
    if document.get("proof") is not None:
        return DATA_INTEGRITY, unsupported(FORMAT, "embedded Data Integrity proofs are not supported yet")
    if _is_open_badge_2(document):
        return OPEN_BADGES_2, unsupported(FORMAT, "Open Badges 2.0 assertions are not supported yet")
    return UNKNOWN, failed(PROOF_PRESENT, "the credential carries no proof, so nothing shows who issued it")


def _is_open_badge_2(document: dict) -> bool:
    contexts = document.get("@context")
    contexts = contexts if isinstance(contexts, list) else [contexts]
    return _OB2_CONTEXT in contexts or "Assertion" in credential.types_of(document)
