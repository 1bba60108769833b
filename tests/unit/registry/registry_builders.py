"""Producers and products of the registry's unit tests, built through their own commands."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from ocop_contracts import Event, LegalForm
from ocop_contracts.events.evaluation import ProductRated
from ocop_contracts.reference import communes_of
from ocop_contracts.vocabulary import RatingLevel
from ocop_platform.aggregates import InMemoryAggregateStore
from ocop_registry.adapters.stores import RegistryStores
from ocop_registry.domain import rules
from ocop_registry.domain.commands import RegisterEntity, RegisterProduct
from ocop_registry.domain.producers import Producer
from ocop_registry.domain.products import Product

PROVINCE = "52"
COMMUNE, OTHER_COMMUNE = communes_of(PROVINCE)[:2]
NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
TODAY = date(2026, 12, 1)  # NOW's business date in Vietnam


def register_entity(**overrides: Any) -> RegisterEntity:
    fields: dict[str, Any] = {
        "name": "HTX Cà phê Ia Grai",
        "legal_form": LegalForm.COOPERATIVE,
        "province_code": PROVINCE,
        "commune_code": COMMUNE,
    }
    return RegisterEntity(**{**fields, **overrides})


def register_product(entity_id: str, **overrides: Any) -> RegisterProduct:
    fields: dict[str, Any] = {
        "entity_id": entity_id,
        "name": "Cà phê rang xay Ia Grai",
        "scoring_set_code": "I.6",
        "year": 2026,
    }
    return RegisterProduct(**{**fields, **overrides})


def producer(entity_id: str = "ent-1", **overrides: Any) -> Producer:
    """A registered producer, as if loaded (its EntityRegistered already published)."""
    new = Producer.register(entity_id, register_entity(**overrides), NOW)
    return Producer.from_document(new.to_document())


def draft(of: Producer | None = None, product_id: str = "prd-1", **overrides: Any) -> Product:
    """A draft product of ``of``, as if loaded."""
    maker = of or producer()
    cmd = register_product(maker.id, **overrides)
    classification = rules.classify(cmd.scoring_set_code, maker.legal_form, None)
    new = Product.draft(product_id, cmd, maker, classification, NOW)
    return Product.from_document(new.to_document())


def registered(of: Producer | None = None, product_id: str = "prd-1", **overrides: Any) -> Product:
    """A registered product (version 1), as if loaded."""
    product = draft(of, product_id, **overrides)
    product.register(f"{PROVINCE}-{product.commune_code}-1-2026", NOW)
    return Product.from_document(product.to_document())


def published(stores: RegistryStores) -> list[Event]:
    """What the relay would publish from stores in memory: producers' events, then products'."""
    producers, products = stores.producers, stores.products
    assert isinstance(producers, InMemoryAggregateStore)
    assert isinstance(products, InMemoryAggregateStore)
    return [*producers.published, *products.published]


def rated(product_id: str, version: int, stars: int = 4) -> ProductRated:
    """Evaluation's rating of a product, as its ``version``-th event about it."""
    return ProductRated(
        producer="evaluation",
        aggregate_id=product_id,
        aggregate_version=version,
        province_code=PROVINCE,
        product_id=product_id,
        score=50 + stars * 5,
        stars=stars,
        level=RatingLevel.PROVINCE,
        rule_set_id="qd26-2026",
        rated_on=date(2026, 11, 1),
        scoring_set_code="I.6",
    )
