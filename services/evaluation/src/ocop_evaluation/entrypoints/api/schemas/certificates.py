"""Certificates, with the product they belong to."""

from __future__ import annotations

from pydantic import BaseModel

from ocop_evaluation.domain.certificates import Certificate
from ocop_evaluation.service_layer.certificates import FoundCertificate


class _OfProduct(BaseModel):
    product_id: str


class _OfNamedProduct(_OfProduct):
    product_name: str | None


class ImportedCertificate(Certificate, _OfProduct):
    """A certificate recorded from before the platform (fields after the product's id)."""

    @classmethod
    def of(cls, product_id: str, certificate: Certificate) -> ImportedCertificate:
        return cls(product_id=product_id, **certificate.model_dump())


class CertificateLookup(Certificate, _OfNamedProduct):
    """Is the certificate valid? (public)."""

    @classmethod
    def of(cls, found: FoundCertificate) -> CertificateLookup:
        return cls(
            product_id=found.product_id,
            product_name=found.product_name,
            **found.certificate.model_dump(),
        )
