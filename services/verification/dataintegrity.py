"""Embedded Data Integrity proofs on a JSON-LD credential: every check, each reported on its own.

Sources: VC Data Integrity 1.0 §4.4 (Verify Proof), §4.5 (Verify Proof Sets and Chains), §2 Data Model
(proofs: created / expires; proof sets; proof chains and `previousProof`; proof purposes); Controlled Identifiers 1.0 §3.3 (retrieve a verification method: it must be listed for
the purpose, and its controller is who the proof speaks for); VC Data Model 2.0 §4.7 (issuer).
The cryptosuites are in cryptosuites.py; canonical forms and the offline contexts in canonical.py.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from services.verification import binding, canonical, credential, cryptosuites, keys, rdfc_budget
from services.verification.report import (CANONICAL_BUDGET, ISSUER_KEY, ISSUER_KEY_PURPOSE, ISSUER_MATCHES_KEY,
                                          JSONLD_CONTEXTS, JSONLD_TERMS, PROOF_CREATED, PROOF_EXPIRES,
                                          PROOF_PURPOSE, PROOF_SIGNATURE, PROOF_TYPE, Check, failed,
                                          indeterminate, passed, skipped, unsupported)
from services.verification.vcjwt import Result, validity

FORMAT_NAME = "data-integrity"
MAX_DEPTH = 64  # real credentials nest about 8 deep; the JSON-LD processors recurse per level
MAX_PROOFS = 8  # each proof costs a canonicalisation; real credentials carry one, a co-signed one a few


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
    """The checks for a credential secured by one embedded proof, or by a proof set or chain (every proof must hold)."""
    proof = document.get("proof")
    summary: dict[str, Any] = dict(achievement=credential.achievement(document), issuer=credential.issuer(document),
                                   credential=document)
    listed = proof if isinstance(proof, list) else [proof]
    proofs = [p for p in listed if isinstance(p, dict)]
    if not proofs or len(proofs) != len(listed):
        return Result([failed(PROOF_TYPE, "proof is not an object or a list of objects")], **summary)
    if len(proofs) > MAX_PROOFS:
        return Result([unsupported(PROOF_TYPE, f"credentials with more than {MAX_PROOFS} proofs are not verified")],
                      **summary)
    if _depth(document) > MAX_DEPTH:
        return Result([failed(JSONLD_TERMS, f"the credential nests deeper than {MAX_DEPTH} levels")], **summary)
    if rdfc_budget.objects(document) > rdfc_budget.MAX_OBJECTS:
        return Result([indeterminate(CANONICAL_BUDGET, f"the credential has more than {rdfc_budget.MAX_OBJECTS} "
                                     "JSON objects, more than this verifier reads as JSON-LD")], **summary)
    skew = timedelta(seconds=clock_skew_s)
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    meaning = _meaning(unsecured)
    window = validity({}, document, now=now, skew=skew)
    # The signature is only worth checking once the contexts pin what the signed terms mean.
    ready = all(c.status == "passed" for c in meaning)
    forms: dict[str, list[bytes]] = {}  # the unsecured document's canonical forms, by suite, for a set's proofs
    each = [_proof_checks(p, proofs, unsecured, document, resolver=resolver, now=now, skew=skew, ready=ready,
                          forms=forms) for p in proofs]
    before, signature = each[0] if len(each) == 1 else _combined(each)
    checks = [*before, *meaning, *signature, *window.checks, credential.check_structure(document)]
    return Result(checks, valid_from=window.start, valid_until=window.end, **summary)


def _proof_checks(proof: dict, proofs: list[dict], unsecured: dict, document: dict, *, resolver: keys.Resolver,
                  now: datetime, skew: timedelta, ready: bool,
                  forms: dict[str, list[bytes]]) -> tuple[list[Check], list[Check]]:
    """(the checks on one proof and its key, [its signature check]) over the data that proof secures."""
    suite, suite_check = _suite(proof)
    method, key_checks = _key(proof, document, resolver)
    secured, why_not = _secured_input(proof, proofs, unsecured)
    signature = (failed(PROOF_SIGNATURE, why_not) if why_not else
                 _signature(proof, secured, suite=suite, method=method, ready=ready,
                            forms=forms if secured is unsecured else None))  # a chained proof signed other data
    return [suite_check, _purpose(proof), *_proof_window(proof, now=now, skew=skew), *key_checks], [signature]


def _secured_input(proof: dict, proofs: list[dict], unsecured: dict) -> tuple[dict, str | None]:
    """What `proof` signed: the document alone, or for a chained proof the document carrying the proofs its
    `previousProof` names, in the order the credential lists them (Data Integrity 1.0 §4.5)."""
    named = proof.get("previousProof")
    if named is None:
        return unsecured, None
    ids = [named] if isinstance(named, str) else named
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        return unsecured, "previousProof is not a proof id or a list of them"
    carried = {p.get("id") for p in proofs}
    if any(i not in carried for i in ids):
        return unsecured, "previousProof names a proof the credential does not carry"
    return {**unsecured, "proof": [p for p in proofs if p.get("id") in ids]}, None


def _combined(each: list[tuple[list[Check], list[Check]]]) -> tuple[list[Check], list[Check]]:
    """One check per code for a proof set or chain: a code holds only if it holds for every proof.

    The exception is issuer.matches_key: the issuer needs to have made one of the proofs, not all of them
    (a co-signer's or a countersigner's proof is no reason to doubt the issuer's), every proof still verifying.
    """
    total = len(each)
    combined = []
    for part in (0, 1):
        by_code: dict[str, list[tuple[int, Check]]] = {}
        for number, checks in enumerate(each, start=1):
            for check in checks[part]:
                by_code.setdefault(check.code, []).append((number, check))
        combined.append([_one(code, found, total) for code, found in by_code.items()])
    return combined[0], combined[1]


_WORST = ("failed", "indeterminate", "unsupported", "skipped")


def _one(code: str, found: list[tuple[int, Check]], total: int) -> Check:
    if code == ISSUER_MATCHES_KEY:
        mine = [number for number, check in found if check.status == "passed"]
        if mine:
            return passed(code, f"the issuer controls the key of proof {mine[0]} of {total}")
        return failed(code, f"the issuer controls the key of none of the {total} proofs")
    for status in _WORST:
        bad = [(number, check) for number, check in found if check.status == status]
        if bad:
            number, check = bad[0]
            return Check(code, status, f"proof {number} of {total}: {check.message}")
    if len(found) < total:  # a proof that did not get this far lacks the check: not every proof passed it
        return skipped(code, f"not checked for every one of the {total} proofs")
    return passed(code, f"all {total} proofs: {found[0][1].message}")


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
    owner = binding.check(resolver, method, [("issuer", issuer_id)] if stated else [])
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
               ready: bool, forms: dict[str, list[bytes]] | None = None) -> Check:
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
                                 options=_proof_options(proof, unsecured, suite), document=unsecured, forms=forms)
    except cryptosuites.BadProofValue as exc:
        return failed(PROOF_SIGNATURE, str(exc))
    except canonical.TooComplex as exc:
        return indeterminate(CANONICAL_BUDGET, f"the signature was not checked: {exc}")
    except (canonical.InvalidJsonLd, canonical.UnknownContext) as exc:
        return failed(PROOF_SIGNATURE, f"the proof options have no canonical form: {exc}")
    if not ok:
        return failed(PROOF_SIGNATURE, "the signature does not match: the credential was altered or signed with another key")
    return passed(PROOF_SIGNATURE, f"the {suite.name} signature verifies with the issuer's key")
