"""What reporting reacts to: one routing table (also used by the rebuild CLI)."""

from ocop_contracts import ProductRated, ProductRegistered, TargetUpdated, topics
from ocop_contracts.events.evaluation import (
    CertificateExpired,
    CertificateIssued,
    CertificateRevoked,
    ProductProposedForNational,
)
from ocop_contracts.events.promotion import (
    FairScheduled,
    ProductShowcased,
    PromotionActivityRecorded,
)
from ocop_contracts.events.registry import (
    EntityRegistered,
    EntityUpdated,
    ProductUpdated,
    ProductWithdrawn,
)
from ocop_platform.consumer import Subscription
from ocop_reporting.service_layer.services import ReportingService


def fact_subscriptions(service: ReportingService) -> list[Subscription]:
    """The canonical topics the read models are derived from (replayed by the rebuild)."""
    return [
        Subscription(
            topics.REGISTRY,
            {
                EntityRegistered: service.on_fact,
                EntityUpdated: service.on_fact,
                ProductRegistered: service.on_product_registered,
                ProductUpdated: service.on_product_registered,
                ProductWithdrawn: service.on_fact,
            },
        ),
        Subscription(
            topics.EVALUATION,
            {
                ProductRated: service.on_product_rated,
                ProductProposedForNational: service.on_fact,
                CertificateIssued: service.on_fact,
                CertificateExpired: service.on_fact,
                CertificateRevoked: service.on_fact,
            },
        ),
        Subscription(
            topics.PROMOTION,
            {
                FairScheduled: service.on_fact,
                ProductShowcased: service.on_fact,
                PromotionActivityRecorded: service.on_fact,
            },
        ),
    ]


def subscriptions(service: ReportingService) -> list[Subscription]:
    return [
        *fact_subscriptions(service),
        # Province systems publish targets here; anything unreadable is dead-lettered.
        Subscription(
            topics.INGEST_REPORTING,
            {TargetUpdated: service.on_target_ingested},
            unknown_types="dead_letter",
        ),
    ]
