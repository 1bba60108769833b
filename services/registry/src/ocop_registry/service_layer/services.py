"""Registry use cases: validate against reference data, write state + events in one write."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol
from uuid import uuid4

from ocop_contracts import EntityRegistered, ProductRated, ProductRegistered
from ocop_contracts.reference import (
    UnknownClassificationError,
    find_scoring_set,
    is_current_province,
)
from ocop_platform.auth import Principal, ensure_province
from ocop_platform.errors import DomainError, NotFound
from ocop_platform.logging import trace_fields
from ocop_registry.domain.commands import RegisterEntity, RegisterProduct
from ocop_registry.domain.model import Entity, Product, normalize_name, product_code, status_for

SERVICE = "registry"


class RegistryRepository(Protocol):
    async def add_entity(self, entity: Entity, event: EntityRegistered) -> None: ...
    async def get_entity(self, entity_id: str) -> Entity | None: ...
    async def next_sequence(self, province_code: str, commune_code: str, year: int) -> int: ...
    async def add_product(self, product: Product, event: ProductRegistered) -> None: ...
    async def get_product(self, product_id: str) -> Product | None: ...
    async def record_rating(self, event: ProductRated, status: str) -> bool: ...


class RegistryService:
    def __init__(self, repository: RegistryRepository, events_written: Callable[[], None]) -> None:
        self._repo = repository
        self._events_written = events_written

    async def register_entity(self, cmd: RegisterEntity, principal: Principal) -> Entity:
        if not is_current_province(cmd.province_code):
            raise DomainError(f"unknown province code {cmd.province_code}", field="province_code")
        ensure_province(principal, cmd.province_code)
        entity = Entity(
            entity_id=f"ent-{uuid4().hex[:12]}",
            name=normalize_name(cmd.name),
            legal_form=cmd.legal_form,
            province_code=cmd.province_code,
            commune_code=cmd.commune_code,
            women_led=cmd.women_led,
            ethnic_minority_led=cmd.ethnic_minority_led,
            disability_led=cmd.disability_led,
        )
        event = EntityRegistered(
            producer=SERVICE,
            **trace_fields(),
            aggregate_id=entity.entity_id,
            aggregate_version=1,
            province_code=entity.province_code,
            entity_id=entity.entity_id,
            name=entity.name,
            legal_form=entity.legal_form,
            commune_code=entity.commune_code,
            women_led=entity.women_led,
            ethnic_minority_led=entity.ethnic_minority_led,
            disability_led=entity.disability_led,
        )
        await self._repo.add_entity(entity, event)
        self._events_written()
        return entity

    async def register_product(self, cmd: RegisterProduct, principal: Principal) -> Product:
        entity = await self._repo.get_entity(cmd.entity_id)
        if entity is None:
            raise DomainError(f"no producer {cmd.entity_id}", field="entity_id")
        ensure_province(principal, entity.province_code)
        try:
            find_scoring_set(cmd.scoring_set_code)
        except UnknownClassificationError as exc:
            raise DomainError(str(exc), field="scoring_set_code") from exc
        sequence = await self._repo.next_sequence(
            entity.province_code, entity.commune_code, cmd.year
        )
        product = Product(
            product_id=f"prd-{uuid4().hex[:12]}",
            product_code=product_code(
                entity.province_code, entity.commune_code, sequence, cmd.year
            ),
            name=normalize_name(cmd.name),
            entity_id=entity.entity_id,
            province_code=entity.province_code,
            commune_code=entity.commune_code,
            scoring_set_code=cmd.scoring_set_code,
        )
        event = ProductRegistered(
            producer=SERVICE,
            **trace_fields(),
            aggregate_id=product.product_id,
            aggregate_version=1,
            province_code=product.province_code,
            product_id=product.product_id,
            product_code=product.product_code,
            name=product.name,
            entity_id=entity.entity_id,
            legal_form=entity.legal_form,
            scoring_set_code=product.scoring_set_code,
            commune_code=product.commune_code,
            women_led=entity.women_led,
            ethnic_minority_led=entity.ethnic_minority_led,
        )
        await self._repo.add_product(product, event)
        self._events_written()
        return product

    async def get_product(self, product_id: str) -> Product:
        product = await self._repo.get_product(product_id)
        if product is None:
            raise NotFound(f"no product {product_id}", field="product_id")
        return product

    async def on_product_rated(self, event: ProductRated) -> None:
        """Keep the product's current stars; older or repeated ratings change nothing."""
        await self._repo.record_rating(event, status_for(event.stars).value)
