"""Integration events, one module per owning service."""

from ocop_contracts.events.evaluation import ProductRated
from ocop_contracts.events.registry import EntityRegistered, ProductRegistered
from ocop_contracts.events.reporting import TargetUpdated

__all__ = ["EntityRegistered", "ProductRated", "ProductRegistered", "TargetUpdated"]
