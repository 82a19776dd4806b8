"""The VC-API verifier interface: a `POST /credentials/verify` body in, the verifier's report out as a VC-API result.

Sources: VC-API / VCALM (w3c/vcalm oas.yaml: VerifyCredentialRequest, VerifyEnvelopedCredentialRequest,
VerificationResult; §Error Handling: `verified` is false exactly when `errors` is not empty, errors and
warnings are ProblemDetails); VC Data Model 2.0 §7.1 (ProblemDetails `type`, `code`, `title`, `detail`;
PARSING_ERROR -64, CRYPTOGRAPHIC_SECURITY_ERROR -65, MALFORMED_VALUE_ERROR -66, RANGE_ERROR -67).
A credential that does not verify is answered 422 (the W3C suites' verifiers answer 400 or 422), so the
answer's status alone says whether it verified; a malformed request is 400.
"""
from __future__ import annotations

import json

from flask import Response

from services.verification.report import FAILED, INDETERMINATE, SKIPPED, UNSUPPORTED, VERIFIED
from shared.problems import PROBLEM_JSON

_VCDM = "https://www.w3.org/TR/vc-data-model#"
# VC DM 2.0 §7.1 problem types, by the report's check codes (prefix match); others are credbridge's own.
_TYPES = (
    (("jwt.decode", "input"), "PARSING_ERROR", -64),
    (("proof.signature", "proof.type", "proof.purpose", "jwt.alg", "issuer.key", "issuer.matches_key",
      "issuer.key_purpose"), "CRYPTOGRAPHIC_SECURITY_ERROR", -65),
    (("structure.vc", "jsonld.", "proof.present", "format"), "MALFORMED_VALUE_ERROR", -66),
    (("validity.", "proof.created", "proof.expires"), "RANGE_ERROR", -67),
)
_ERRORS = (FAILED, INDETERMINATE, UNSUPPORTED)


def submission(body: dict) -> dict:
    """The verifier's submission for a VC-API body: the credential as a document (an envelope opens there)."""
    return {"document": body["verifiableCredential"]}


def result(report: dict) -> dict:
    """The VC-API verification result of a credbridge report: every check not passed or skipped is an error."""
    errors = [_problem(c) for c in report["checks"] if c["status"] in _ERRORS]
    warnings = [_problem(c) for c in report["checks"] if c["status"] == SKIPPED and c["code"] in _WARNED]
    return {"verified": report["verdict"] == VERIFIED and not errors,
            "checks": [c["code"] for c in report["checks"] if c["status"] != SKIPPED],
            "warnings": warnings, "errors": errors, "verdict": report["verdict"], "format": report["format"]}


# Skipped checks a relying party should hear about: an unregistered issuer, no recipient bound.
_WARNED = ("issuer.trusted", "recipient")


def answer(report: dict) -> Response:
    """200 with the result when verified; 422 problem+json carrying the same result members otherwise."""
    body = result(report)
    if body["verified"]:
        return Response(json.dumps(body), status=200, mimetype="application/json")
    first = body["errors"][0]["detail"] if body["errors"] else "nothing showed the credential to be genuine"
    problem = {"type": "https://credbridge.dev/problems/credential-not-verified", "title": "Credential Not Verified",
               "status": 422, "detail": f"The credential is {report['verdict']}: {first}.", **body}
    return Response(json.dumps(problem), status=422, mimetype=PROBLEM_JSON)


def _problem(check: dict) -> dict:
    code = check["code"]
    for prefixes, title, number in _TYPES:
        if code.startswith(prefixes):
            return {"type": _VCDM + title, "code": number, "title": title, "detail": check["message"], "check": code}
    return {"type": f"https://credbridge.dev/problems/check/{code}", "title": code, "detail": check["message"],
            "check": code}
