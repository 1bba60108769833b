"""What promotion reacts to: one routing table."""

from ocop_contracts import ProductRated, ProductRegistered, topics
from ocop_platform.consumer import Subscription
from ocop_promotion.service_layer.services import PromotionService


def subscriptions(service: PromotionService) -> list[Subscription]:
    return [
        Subscription(topics.REGISTRY, {ProductRegistered: service.on_product_registered}),
        Subscription(topics.EVALUATION, {ProductRated: service.on_product_rated}),
    ]
