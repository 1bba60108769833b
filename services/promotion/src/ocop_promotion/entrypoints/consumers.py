"""What promotion reacts to: one routing table."""

from ocop_contracts import EntityRegistered, ProductRated, ProductRegistered, topics
from ocop_contracts.events.evaluation import (
    CertificateExpired,
    CertificateIssued,
    CertificateRevoked,
)
from ocop_contracts.events.registry import EntityUpdated, ProductUpdated, ProductWithdrawn
from ocop_platform.consumer import Subscription
from ocop_promotion.service_layer.services import PromotionService


def subscriptions(service: PromotionService) -> list[Subscription]:
    return [
        Subscription(
            topics.REGISTRY,
            {
                EntityRegistered: service.on_entity_registered,
                EntityUpdated: service.on_entity_registered,
                ProductRegistered: service.on_product_registered,
                ProductUpdated: service.on_product_registered,
                ProductWithdrawn: service.on_product_withdrawn,
            },
        ),
        Subscription(
            topics.EVALUATION,
            {
                ProductRated: service.on_product_rated,
                CertificateIssued: service.on_certificate_issued,
                CertificateExpired: service.on_certificate_expired,
                CertificateRevoked: service.on_certificate_revoked,
            },
            # A batch's ratings and feed entries with one read per collection and one write
            # each; a batch costs a few store round trips of its own (those, the outbox markers,
            # a relay pass) however many ratings it holds, so a backlog is taken 50 at a time.
            prefetch=service.prefetch_ratings,
            batch_size=50,
        ),
    ]
