"""What the registry reacts to: one routing table."""

from ocop_contracts import topics
from ocop_contracts.events.evaluation import (
    CertificateExpired,
    CertificateIssued,
    CertificateRenewalDue,
    CertificateRevoked,
    ProductProposedForNational,
    ProductRated,
)
from ocop_platform.consumer import Subscription
from ocop_registry.service_layer.services import RegistryService


def subscriptions(service: RegistryService) -> list[Subscription]:
    return [
        Subscription(
            topics.EVALUATION,
            {
                ProductRated: service.on_product_rated,
                ProductProposedForNational: service.on_proposed,
                CertificateIssued: service.on_certificate_issued,
                CertificateRenewalDue: service.on_renewal_due,
                CertificateExpired: service.on_certificate_expired,
                CertificateRevoked: service.on_certificate_revoked,
            },
        )
    ]
