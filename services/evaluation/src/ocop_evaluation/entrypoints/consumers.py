"""What evaluation reacts to: one routing table."""

from ocop_contracts import ProductRated, ProductRegistered, topics
from ocop_contracts.events.registry import ProductUpdated
from ocop_evaluation.service_layer.services import EvaluationService
from ocop_platform.consumer import Subscription


def subscriptions(service: EvaluationService) -> list[Subscription]:
    return [
        Subscription(
            topics.REGISTRY,
            {
                ProductRegistered: service.on_product_registered,
                ProductUpdated: service.on_product_registered,
            },
        ),
        # Province systems' ratings: checked, then re-emitted canonically or dead-lettered.
        Subscription(
            topics.INGEST_EVALUATION,
            {ProductRated: service.on_ingested_rating},
            unknown_types="dead_letter",
        ),
    ]
