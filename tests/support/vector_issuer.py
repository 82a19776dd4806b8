"""A key resolver for published test vectors whose issuer publishes nothing: here the issuer's controller
document lists, under assertionMethod, the keys the vector's proofs name — as a real issuer's document would."""
from __future__ import annotations

from services.verification import keys


class ListingIssuer(keys.Resolver):
    def __init__(self, issuer: str):
        super().__init__()
        self.issuer = issuer
        self.listed: set[str] = set()

    def resolve(self, vm_id):
        method = super().resolve(vm_id)
        self.listed.add(method.id)
        return method

    def document(self, identifier):
        if identifier != self.issuer:
            return super().document(identifier)
        return keys.read_document({"id": self.issuer, "assertionMethod": sorted(self.listed)}, self.issuer)
