"""Issuer-key binding: whether the issuer a credential names controls the key that signed it, judged only from
the issuer's own documents, never from what the key's document says about itself.

The rules (README "Verification", "How a key is bound to its issuer"):
- a did:key / did:jwk issuer controls exactly the key its DID encodes (did:key v0.7 §3.1.1, did:jwk §2);
- a did:web or https issuer controls a key only when its own document — the DID document its did:web names
  (did:web §3.2), or the controlled identifier document at its https URL whose `id` is that URL (Controlled
  Identifiers 1.0 §3.3 step 4) — lists the key under assertionMethod, by id or embedded (DID Core 1.0
  §5.3.2); for a key in a JWK set, listing the set's URL lists its keys (VC-JOSE-COSE §4.2);
- a key whose own document names a `controller` other than that document's subject also needs that
  controller's own document to list it under assertionMethod (DID Core 1.0 §5.1.2, CID 1.0 §2.1.2).
A fetched document saying "controller: <issuer>" proves nothing by itself, and neither does a key URL's
origin: anyone with a home directory on the issuer's web server could publish one.
"""
from __future__ import annotations

from dataclasses import dataclass

from services.verification import keys
from services.verification.report import (FAILED, INDETERMINATE, ISSUER_MATCHES_KEY, PASSED, Check, failed,
                                          indeterminate, passed)

_SELF_CERTIFYING = (keys.didkey.PREFIX, "did:jwk:")


@dataclass(frozen=True)
class Binding:
    status: str  # PASSED, FAILED or INDETERMINATE
    reason: str


def check(resolver: keys.Resolver, method: keys.Method, claimed: list[tuple[str, str | None]]) -> Check:
    """issuer.matches_key: every issuer the credential names (`claimed`: (where, id) pairs) controls the key."""
    if not claimed:
        return failed(ISSUER_MATCHES_KEY, "the credential names no issuer")
    outcomes = {value: bind(resolver, value, method) for _, value in claimed}
    wrong = [(name, outcomes[value]) for name, value in claimed if outcomes[value].status == FAILED]
    if wrong:
        names = " and ".join(name for name, _ in wrong)
        return failed(ISSUER_MATCHES_KEY, f"{names} {'does' if len(wrong) == 1 else 'do'} not name the controller "
                                          f"of the signing key: {wrong[0][1].reason}")
    unsure = [b for b in outcomes.values() if b.status == INDETERMINATE]
    if unsure:
        return indeterminate(ISSUER_MATCHES_KEY, unsure[0].reason)
    return passed(ISSUER_MATCHES_KEY, f"the issuer controls the signing key: {next(iter(outcomes.values())).reason}")


def bind(resolver: keys.Resolver, issuer_id: str | None, method: keys.Method) -> Binding:
    """Whether `issuer_id` controls `method`, and the reason in words a recruiter's admin can act on."""
    if not issuer_id:
        return Binding(FAILED, "the credential names no issuer")
    if issuer_id.startswith(_SELF_CERTIFYING):
        if method.document == issuer_id or (not method.document and method.controller == issuer_id):
            return Binding(PASSED, "the issuer's DID is the signing key itself")
        return Binding(FAILED, "the signing key is not the key the issuer's DID encodes")
    listed = _listed_by(resolver, issuer_id, method, whose="the issuer's own")
    if listed.status != PASSED:
        return listed
    controller = method.controller
    if controller and controller not in (method.document, issuer_id):
        confirmed = _listed_by(resolver, controller, method, whose=f"its controller {_shown(controller)}'s")
        if confirmed.status != PASSED:
            return confirmed
    return Binding(PASSED, "the issuer's own document lists the signing key under assertionMethod")


def _listed_by(resolver: keys.Resolver, owner: str, method: keys.Method, *, whose: str) -> Binding:
    try:
        document = resolver.document(owner)
    except keys.KeyUnavailable as exc:
        return Binding(INDETERMINATE, f"{whose} document could not be fetched now, so who controls the key is "
                                      f"unknown: {exc}")
    except (keys.KeyNotFound, keys.KeyUnsupported) as exc:
        return Binding(FAILED, f"nothing binds the signing key to {_shown(owner)}: {whose} document could not be "
                               f"read ({exc})")
    if not document.lists(method, keys.ASSERTION):
        return Binding(FAILED, f"{whose} document ({_shown(owner)}) does not list the signing key under "
                               "assertionMethod")
    return Binding(PASSED, f"{whose} document lists the signing key")


def _shown(identifier: str) -> str:
    return identifier if len(identifier) <= 120 else identifier[:117] + "..."
