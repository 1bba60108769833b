"""Integration events, one module per owning service. Each module declares its TOPIC and the
EVENTS it publishes there; ocop_contracts.catalog is built from them."""

from ocop_contracts.events import evaluation, promotion, registry, reporting
from ocop_contracts.events.evaluation import ProductRated
from ocop_contracts.events.registry import EntityRegistered, ProductRegistered
from ocop_contracts.events.reporting import TargetUpdated

MODULES = (registry, evaluation, promotion, reporting)

__all__ = ["MODULES", "EntityRegistered", "ProductRated", "ProductRegistered", "TargetUpdated"]
