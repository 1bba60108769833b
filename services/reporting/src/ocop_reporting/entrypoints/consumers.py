"""What reporting reacts to: one routing table."""

from ocop_contracts import ProductRated, ProductRegistered, TargetUpdated, topics
from ocop_platform.consumer import Subscription
from ocop_reporting.service_layer.services import ReportingService


def subscriptions(service: ReportingService) -> list[Subscription]:
    return [
        Subscription(topics.REGISTRY, {ProductRegistered: service.on_product_registered}),
        Subscription(topics.EVALUATION, {ProductRated: service.on_product_rated}),
        # Province systems publish targets here; anything unreadable is dead-lettered.
        Subscription(
            topics.INGEST_REPORTING,
            {TargetUpdated: service.on_target_ingested},
            unknown_types="dead_letter",
        ),
    ]
