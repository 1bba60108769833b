"""What the registry reacts to: one routing table."""

from ocop_contracts import ProductRated, topics
from ocop_platform.consumer import Subscription
from ocop_registry.service_layer.services import RegistryService


def subscriptions(service: RegistryService) -> list[Subscription]:
    return [Subscription(topics.EVALUATION, {ProductRated: service.on_product_rated})]
