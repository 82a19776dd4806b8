"""Embedded Data Integrity proofs on a JSON-LD credential: every check, each reported on its own.

Sources: VC Data Integrity 1.0 §4.4 (Verify Proof), §4.5 (proof purposes), §2.1 (created /
expires); Controlled Identifiers 1.0 §3.3 (retrieve a verification method: it must be listed for
the purpose, and its controller is who the proof speaks for); VC Data Model 2.0 §4.7 (issuer).
The cryptosuites are in cryptosuites.py; canonical forms and the offline contexts in canonical.py.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from services.verification import canonical, credential, cryptosuites, keys
from services.verification.report import (FORMAT, ISSUER_KEY, ISSUER_KEY_PURPOSE, ISSUER_MATCHES_KEY,
                                          JSONLD_CONTEXTS, JSONLD_TERMS, PROOF_CREATED, PROOF_EXPIRES,
                                          PROOF_PURPOSE, PROOF_SIGNATURE, PROOF_TYPE, Check, failed,
                                          indeterminate, passed, skipped, unsupported)
from services.verification.vcjwt import Result, validity

FORMAT_NAME = "data-integrity"
MAX_DEPTH = 64  # real credentials nest about 8 deep; the JSON-LD processors recurse per level


def _depth(node: object) -> int:
    """How deeply the JSON nests, counted without recursion (so a hostile document cannot exhaust the stack)."""
    deepest, stack = 0, [(node, 1)]
    while stack:
        current, level = stack.pop()
        deepest = max(deepest, level)
        if level > MAX_DEPTH:
            break
        children = current.values() if isinstance(current, dict) else current if isinstance(current, list) else ()
        stack.extend((child, level + 1) for child in children)
    return deepest


def verify(document: dict, *, now: datetime, clock_skew_s: int, resolver: keys.Resolver) -> Result:
    """The checks for a credential secured by one embedded proof."""
    proof = document.get("proof")
    summary: dict[str, Any] = dict(achievement=credential.achievement(document), issuer=credential.issuer(document),
                                   credential=document)
    if isinstance(proof, list):
        return Result([unsupported(FORMAT, "proof sets and chains (several proofs) are not supported yet")], **summary)
    if not isinstance(proof, dict):
        return Result([failed(PROOF_TYPE, "proof is not an object")], **summary)
    if _depth(document) > MAX_DEPTH:
        return Result([failed(JSONLD_TERMS, f"the credential nests deeper than {MAX_DEPTH} levels")], **summary)
    skew = timedelta(seconds=clock_skew_s)
    suite, suite_check = _suite(proof)
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    method, key_checks = _key(proof, document, resolver)
    meaning = _meaning(unsecured)
    window = validity({}, document, now=now, skew=skew)
    # The signature is only worth checking once the contexts pin what the signed terms mean.
    ready = all(c.status == "passed" for c in meaning)
    checks = [suite_check, _purpose(proof), *_proof_window(proof, now=now, skew=skew), *key_checks, *meaning,
              _signature(proof, unsecured, suite=suite, method=method, ready=ready),
              *window.checks, credential.check_structure(document)]
    return Result(checks, valid_from=window.start, valid_until=window.end, **summary)


def _suite(proof: dict) -> tuple[cryptosuites.Suite | None, Check]:
    name = cryptosuites.suite_name(proof)
    suite = cryptosuites.SUITES.get(name) if name else None
    if suite is None:
        shown = (name or "none")[:40]
        return None, unsupported(PROOF_TYPE, f"proof type {shown} is not supported yet")
    return suite, passed(PROOF_TYPE, f"a {suite.name} proof")


def _purpose(proof: dict) -> Check:
    # An issuer's credential is asserted: a proof made for authentication (say) does not vouch for it.
    if proof.get("proofPurpose") != keys.ASSERTION:
        return failed(PROOF_PURPOSE, "proofPurpose is not assertionMethod")
    return passed(PROOF_PURPOSE, "proofPurpose is assertionMethod")


def _proof_window(proof: dict, *, now: datetime, skew: timedelta) -> list[Check]:
    checks = []
    for name, code in (("created", PROOF_CREATED), ("expires", PROOF_EXPIRES)):
        raw = proof.get(name)
        if raw is None:
            checks.append(passed(code, f"the proof states no {name} time"))
            continue
        try:
            moment = credential.parse_datetime(raw, f"proof.{name}") if isinstance(raw, str) else None
        except ValueError as exc:
            checks.append(failed(code, str(exc)))
            continue
        if moment is None:
            checks.append(failed(code, f"proof.{name} is not a date-time string"))
        elif name == "created" and moment > now + skew:
            checks.append(failed(code, f"the proof was created in the future ({moment.isoformat()})"))
        elif name == "expires" and now - skew >= moment:
            checks.append(failed(code, f"the proof expired at {moment.isoformat()}"))
        else:
            checks.append(passed(code, f"proof {name} {moment.isoformat()}"))
    return checks


def _key(proof: dict, document: dict, resolver: keys.Resolver) -> tuple[keys.Method | None, list[Check]]:
    """The verification method and the checks on it: resolves, is the issuer's, is for assertionMethod."""
    try:
        method = resolver.resolve(proof.get("verificationMethod"))
    except keys.KeyUnsupported as exc:
        return None, [unsupported(ISSUER_KEY, str(exc))]
    except keys.KeyUnavailable as exc:
        return None, [indeterminate(ISSUER_KEY, str(exc))]
    except keys.KeyNotFound as exc:
        return None, [failed(ISSUER_KEY, str(exc))]
    stated, issuer_id = credential.issuer_id(document)
    if not stated or issuer_id != method.controller:
        owner = failed(ISSUER_MATCHES_KEY, "the signing key is not controlled by the credential's issuer")
    else:
        owner = passed(ISSUER_MATCHES_KEY, "the issuer controls the signing key")
    if keys.ASSERTION not in method.purposes:
        purpose = failed(ISSUER_KEY_PURPOSE, "the key is not one of its controller's assertionMethod keys")
    else:
        purpose = passed(ISSUER_KEY_PURPOSE, "the key is listed for assertionMethod")
    return method, [passed(ISSUER_KEY, "the verification method resolves to a key"), owner, purpose]


def _meaning(unsecured: dict) -> list[Check]:
    """Contexts are all bundled and every term is defined (checked for JCS suites too: the data is JSON-LD)."""
    try:
        canonical.check_terms(unsecured)
    except canonical.UnknownContext as exc:
        return [indeterminate(JSONLD_CONTEXTS, f"{exc}; contexts are never fetched")]
    except (canonical.UndefinedTerm, canonical.InvalidJsonLd) as exc:
        return [passed(JSONLD_CONTEXTS, "every context is in the offline bundle"), failed(JSONLD_TERMS, str(exc))]
    return [passed(JSONLD_CONTEXTS, "every context is in the offline bundle"),
            passed(JSONLD_TERMS, "every term is defined by the contexts")]


def _proof_options(proof: dict, unsecured: dict, suite: cryptosuites.Suite) -> dict:
    options = {k: v for k, v in proof.items() if k != "proofValue"}
    if suite.name not in cryptosuites.JCS_SUITES or "@context" in unsecured:
        # eddsa-rdfc-2022 §3.3.5 / eddsa-jcs-2022 §3.4.5: the proof options take the document's @context.
        options["@context"] = unsecured.get("@context")
    return options


def _signature(proof: dict, unsecured: dict, *, suite: cryptosuites.Suite | None, method: keys.Method | None,
               ready: bool) -> Check:
    if suite is None or method is None or not ready:
        return skipped(PROOF_SIGNATURE, "not checked: it needs a supported proof, a resolved key and defined terms")
    if method.key is None or not isinstance(method.key, suite.key_type):
        return failed(PROOF_SIGNATURE, f"the key is not of the type {suite.name} signs with")
    if "@context" in proof and proof["@context"] != unsecured.get("@context"):
        # VC Data Integrity 1.0 §4.4: a proof's own @context must be the document's, or what it signed differs.
        return failed(PROOF_SIGNATURE, "the proof's @context differs from the credential's")
    try:
        signature = cryptosuites.signature_bytes(proof.get("proofValue"))
        ok = cryptosuites.verify(suite, key=method.key, signature=signature,
                                 options=_proof_options(proof, unsecured, suite), document=unsecured)
    except cryptosuites.BadProofValue as exc:
        return failed(PROOF_SIGNATURE, str(exc))
    except (canonical.InvalidJsonLd, canonical.UnknownContext) as exc:
        return failed(PROOF_SIGNATURE, f"the proof options have no canonical form: {exc}")
    if not ok:
        return failed(PROOF_SIGNATURE, "the signature does not match: the credential was altered or signed with another key")
    return passed(PROOF_SIGNATURE, f"the {suite.name} signature verifies with the issuer's key")
