"""The one entry point the worker, the API and the CLI share: dispatch a submitted credential to its format."""
from __future__ import annotations

import time
from datetime import datetime
from functools import partial

from services.verification import (credential, dataintegrity, envelope, fetch_budget, keys, metrics, ob2, stage,
                                      trust, vcjwt)
from services.verification.fetching import Fetch
from services.verification.report import (FETCH_BUDGET, FORMAT, INPUT, PROOF_PRESENT, Check, build_report, failed,
                                          indeterminate, unsupported, verdict)
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
                      now: datetime, settings: Settings, emails: list[str] | tuple[str, ...] = (),
                      registry: trust.Registry | trust.Unreachable | None = None, fetch: Fetch | None = None,
                      caches: stage.Caches | None = None) -> dict:
    """The report for whichever of jwt / document / url was submitted (in that order of preference).

    The format step checks the proof; the shared stage then checks the recipient against `emails`,
    the issuer against the tenant's `registry`, and the credential's status lists (via `fetch`).
    Never raises on bad input: anything unverifiable becomes a failed or unsupported report. Every fetch
    is charged to the credential's fetch budget; past it, the report says so (`fetch.budget`).
    """
    started = time.perf_counter()
    jwt, document = _opened(jwt, document)
    with fetch_budget.opened(settings) as budget:
        report, claimed = _open_badge_2(jwt=jwt, document=document, fetch=fetch, now=now, settings=settings)
        if report is None:
            report = _format_step(jwt=jwt, document=document, url=url, now=now, settings=settings)
            claimed = stage.claimed_credential(jwt=jwt, document=document)
        inputs = stage.Inputs(emails=tuple(emails or ()), registry=registry, fetch=fetch, caches=caches)
        report = stage.apply(report, claimed=claimed, inputs=inputs, now=now, settings=settings,
                             verify_list=partial(verify_list_credential, now=now, settings=settings))
    if budget.refused:
        report = _with_check(report, indeterminate(FETCH_BUDGET, f"{budget.explanation()}: {budget.refused} "
                                                                 "were not made, so what they would show is unknown"))
    metrics.record(report["format"], report["verdict"], time.perf_counter() - started, checks=report["checks"])
    return report


def _with_check(report: dict, check: Check) -> dict:
    checks = [*report["checks"], check.to_dict()]
    return {**report, "checks": checks, "verdict": verdict(Check(**c) for c in checks)}


def _open_badge_2(*, jwt: str | None, document: object, fetch: Fetch | None, now: datetime,
                  settings: Settings) -> tuple[dict | None, dict | None]:
    """(report, assertion) for an Open Badges 2.0 assertion, hosted (a JSON document) or signed (a JWS);
    (None, None) for anything else, which the format step verifies."""
    if isinstance(document, dict) and isinstance(document.get("jwt"), str) and len(document) == 1:
        jwt, document = document["jwt"], None  # {"jwt": "..."}: a wrapped JWS, perhaps a signed OB 2.0 badge
    if isinstance(document, dict) and ob2.is_assertion(document) and document.get("proof") is None:
        result = ob2.verify_hosted(document, fetch=fetch, now=now, skew_s=settings.clock_skew_s)
    elif isinstance(jwt, str) and vcjwt.shape(jwt.strip()) == "jws" and ob2.signed_payload(jwt.strip()) is not None:
        result = ob2.verify_signed(jwt.strip(), fetch=fetch, now=now, skew_s=settings.clock_skew_s)
    else:
        return None, None
    return build_report(format=OPEN_BADGES_2, now=now, checks=result.checks, achievement=result.achievement,
                        issuer=result.issuer, valid_from=result.valid_from,
                        valid_until=result.valid_until), result.assertion


def verify_list_credential(*, jwt: str | None = None, document: dict | None = None, now: datetime,
                           settings: Settings) -> tuple[dict, dict | None]:
    """A status list credential through the same format step, so every format a credential may use works for lists."""
    jwt, document = _opened(jwt, document)
    report = _format_step(jwt=jwt, document=document, url=None, now=now, settings=settings)
    return report, stage.claimed_credential(jwt=jwt, document=document)


def _opened(jwt: str | None, document: dict | None) -> tuple[str | None, dict | None]:
    """An enveloped VC-JWT as the JWT it carries (verified like one submitted bare); anything else unchanged."""
    if jwt is None and envelope.is_envelope(document):
        try:
            return envelope.opened_jwt(document), None
        except envelope.Unopened:
            pass  # the format step reports why
    return jwt, document


def _format_step(*, jwt: str | None, document: dict | None, url: str | None, now: datetime,
                 settings: Settings) -> dict:
    if jwt is not None:
        return _from_jwt(jwt, now=now, settings=settings)
    if document is not None:
        return _from_document(document, now=now, settings=settings)
    if url is not None:
        return build_report(format=URL_REFERENCE, now=now, checks=[
            unsupported(FORMAT, "fetching credentials by URL is not supported yet")])
    return build_report(format=UNKNOWN, now=now, checks=[failed(INPUT, "no credential was submitted")])


def _from_jwt(token: str, *, now: datetime, settings: Settings) -> dict:
    token = token.strip() if isinstance(token, str) else ""
    kind = vcjwt.shape(token)
    if kind == "sd-jwt":
        return build_report(format=SD_JWT, now=now, checks=[
            unsupported(FORMAT, "SD-JWT credentials are not supported yet")])
    if kind == "jwe":
        return build_report(format=JWE, now=now, checks=[
            unsupported(FORMAT, "encrypted JWTs (JWE) are not supported yet")])
    result = vcjwt.verify(token, now=now, clock_skew_s=settings.clock_skew_s, resolver=keys.resolver_for(settings))
    return build_report(format=vcjwt.FORMAT, now=now, checks=result.checks, achievement=result.achievement,
                        issuer=result.issuer, valid_from=result.valid_from, valid_until=result.valid_until)


def _from_document(document: object, *, now: datetime, settings: Settings) -> dict:
    if not isinstance(document, dict):
        return build_report(format=UNKNOWN, now=now, checks=[failed(INPUT, "the credential is not a JSON object")])
    if isinstance(document.get("jwt"), str) and len(document) == 1:
        return _from_jwt(document["jwt"], now=now, settings=settings)  # {"jwt": "..."}: a wrapped VC-JWT
    fmt, check = _classify_document(document)
    if fmt == DATA_INTEGRITY:
        result = dataintegrity.verify(document, now=now, clock_skew_s=settings.clock_skew_s,
                                      resolver=keys.resolver_for(settings))
        return build_report(format=fmt, now=now, checks=result.checks, achievement=result.achievement,
                            issuer=result.issuer, valid_from=result.valid_from, valid_until=result.valid_until)
    return build_report(format=fmt, now=now, checks=[check], achievement=credential.achievement(document),
                        issuer=credential.issuer(document))


def _classify_document(document: dict):
    """(format, the one check) for the JSON shapes recognised; a Data Integrity proof gets its own checks."""
    if envelope.is_envelope(document):
        # VC DM 2.0 §4.13: an envelope whose data: URL carries something other than a VC-JWT (see _opened).
        try:
            envelope.opened_jwt(document)
        except envelope.Unopened as exc:
            return ENVELOPED, (unsupported if not exc.supported else failed)(FORMAT, str(exc))
        return ENVELOPED, failed(FORMAT, "an envelope is verified by what it carries, not as a document")
    if document.get("proof") is not None:
        return DATA_INTEGRITY, None  # verified by dataintegrity.verify
    if _is_open_badge_2(document):
        return OPEN_BADGES_2, unsupported(FORMAT, "Open Badges 2.0 assertions are not supported yet")
    return UNKNOWN, failed(PROOF_PRESENT, "the credential carries no proof, so nothing shows who issued it")


def _is_open_badge_2(document: dict) -> bool:
    contexts = document.get("@context")
    contexts = contexts if isinstance(contexts, list) else [contexts]
    return _OB2_CONTEXT in contexts or "Assertion" in credential.types_of(document)
