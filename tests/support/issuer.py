"""Tests mint credentials with the demo issuer (its own did:key encoder, independent of the verifier's)."""
from services.demo_issuer import Issuer, did_key_for, tamper  # noqa: F401
