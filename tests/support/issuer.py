"""Tests mint credentials with the demo issuer (its own did:key encoder, independent of the verifier's).

By default a credential names Ada (ada@example.org), the applicant the suites submit, as its recipient: a
credential that names no recipient cannot count for an applicant (issue 11), so a test that wants one says
`subject_email=None`.
"""
from __future__ import annotations

from services import demo_issuer
from services.demo_issuer import did_key_for, tamper  # noqa: F401

APPLICANT = "ada@example.org"


class Issuer(demo_issuer.Issuer):
    def claims(self, *, subject_email: str | None = APPLICANT, **kw) -> dict:  # type: ignore[override]
        return super().claims(subject_email=subject_email, **kw)

    def vc_jwt(self, *, subject_email: str | None = APPLICANT, **kw) -> str:  # type: ignore[override]
        return super().vc_jwt(subject_email=subject_email, **kw)
