"""What evaluation reacts to: one routing table."""

from ocop_contracts import ProductRegistered, topics
from ocop_evaluation.service_layer.services import EvaluationService
from ocop_platform.consumer import Subscription


def subscriptions(service: EvaluationService) -> list[Subscription]:
    return [Subscription(topics.REGISTRY, {ProductRegistered: service.on_product_registered})]
