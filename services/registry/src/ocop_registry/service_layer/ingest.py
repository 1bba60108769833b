"""Province systems' registrations on ``ocop.ingest.registry.v1`` (docs: domain/ingest.py).

Each message is checked against its declared source province, then registered through the same
use cases as ``POST /entities`` and ``POST /products``, acting as a province system of that
province: the same codes, classification and scope rules, the same documents, the same canonical
events (registry's ids, version 1) through the outbox. A message a rule rejects raises
DomainError, which the consumer dead-letters with the reason. What the HTTP path only warns about
is refused here, since no one reads the warnings of a message: a product named like one its
producer already has.
"""

from __future__ import annotations

import logging
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ocop_contracts.events.registry import EntityRegistered, ProductRegistered
from ocop_contracts.legacy import LegacyUnit
from ocop_contracts.reference import fold_vi, normalize_vi
from ocop_platform.consumer import Outcome
from ocop_platform.errors import Conflict, DomainError
from ocop_platform.identity import Principal, Role
from ocop_registry.domain import rules as check
from ocop_registry.domain.codes import code_mismatch, parse_product_code
from ocop_registry.domain.commands import RegisterEntity, RegisterProduct
from ocop_registry.domain.ingest import (
    ENTITY_PREFIX,
    PRODUCT_PREFIX,
    IngestSource,
    Resend,
    classify,
    conflict_reason,
    entity_source,
    product_source,
    registry_id,
    source_key,
)
from ocop_registry.domain.model import ProductStatus
from ocop_registry.domain.producers import Producer
from ocop_registry.domain.products import Product
from ocop_registry.service_layer.services import RegistryService

log = logging.getLogger(__name__)
Command = TypeVar("Command", bound=BaseModel)
_NOT_REGISTERED = (ProductStatus.DRAFT, ProductStatus.WITHDRAWN)


class RegistrationIngest:
    def __init__(self, service: RegistryService) -> None:
        self._service = service
        self._products = service.stores.products
        self._producers = service.stores.producers
        self._catalogue = service.stores.catalogue

    async def on_entity_registered(self, event: EntityRegistered) -> Outcome | None:
        """Register a province system's producer, or acknowledge a re-send of one."""
        source = entity_source(event)
        entity_id = registry_id(ENTITY_PREFIX, source.key)
        if (existing := await self._producers.get(entity_id)) is not None:
            return _resend(existing, source, "entity_id")
        if event.commune_code is None:
            raise DomainError(
                "the registry places every producer in a commune: give its 2025 commune_code",
                field="commune_code",
            )
        check_declared_unit(event.province_code, event.commune_code)
        cmd = _command(
            RegisterEntity,
            name=event.name,
            legal_form=event.legal_form,
            province_code=event.province_code,
            commune_code=event.commune_code,
            women_led=event.women_led,
            ethnic_minority_led=event.ethnic_minority_led,
            disability_led=event.disability_led,
            registered_on=event.registered_on,
            legacy_address=_old_address(event.legacy_unit),
        )
        await self._service.register_entity(
            cmd, province_system(event), entity_id=entity_id, source=source
        )
        return None

    async def on_product_registered(self, event: ProductRegistered) -> Outcome | None:
        """Register a province system's product, or acknowledge a re-send of one."""
        source = product_source(event)
        product_id = registry_id(PRODUCT_PREFIX, source.key)
        if (existing := await self._products.get(product_id)) is not None:
            return _resend(existing, source, "product_id")
        year = check_declared_unit(event.province_code, event.commune_code, event.product_code)
        entity = await self._producer_of(event)
        check_matches_producer(event, entity)
        await self._refuse_same_name(entity, event.name)
        cmd = _command(
            RegisterProduct,
            entity_id=entity.id,
            name=event.name,
            scoring_set_code=event.scoring_set_code,
            year=year,
            product_code=event.product_code,
            registered_on=event.registered_on,
            legacy_address=_old_address(event.legacy_unit),
        )
        try:
            await self._service.register_product(
                cmd, province_system(event), product_id=product_id, source=source
            )
        except Conflict:
            # Another consumer instance may have registered this very record meanwhile.
            if (existing := await self._products.get(product_id)) is not None:
                return _resend(existing, source, "product_id")
            raise
        return None

    async def _producer_of(self, event: ProductRegistered) -> Producer:
        """The producer named by ``entity_id``: one this system registered through the ingest
        (its own id), else a producer already in the registry (the registry's id)."""
        key = source_key(event.province_code, event.producer, event.entity_id)
        for entity_id in (registry_id(ENTITY_PREFIX, key), event.entity_id):
            if (entity := await self._producers.get(entity_id)) is not None:
                return entity
        raise DomainError(
            f"producer {event.entity_id} is not registered: publish its EntityRegistered first, "
            "with the producer's entity_id as the Kafka key of both messages so it comes first",
            field="entity_id",
        )

    async def _refuse_same_name(self, entity: Producer, name: str) -> None:
        folded = fold_vi(normalize_vi(name))
        for same in await self._catalogue.products_of(entity.id):
            if same.name_fold != folded or same.status in _NOT_REGISTERED:
                continue
            raise DomainError(
                f"producer {entity.id} already has {same.name!r}: product "
                f"{same.id} ({same.product_code}); a near-duplicate is not registered again",
                field="name",
            )


def province_system(event: EntityRegistered | ProductRegistered) -> Principal:
    """Who the message acts as: a province system of its declared province, nothing wider."""
    return Principal(
        subject=event.producer,
        roles=frozenset({Role.PROVINCE_SYSTEM}),
        provinces=frozenset({event.province_code}),
    )


def check_declared_unit(declared: str, commune_code: str, product_code: str | None = None) -> int:
    """The record's commune (and product code) must be in the declared source province.
    Returns the product code's year (0 without a code)."""
    try:
        check.check_unit(declared, commune_code)
    except DomainError as exc:
        raise DomainError(
            f"{exc.message} (the province this message declares as its source, province_code)",
            field=exc.field,
        ) from None
    if product_code is None:
        return 0
    parsed = parse_product_code(product_code)
    if parsed is None or parsed.legacy or parsed.sequence < 1:
        raise DomainError(
            "a product code has the QĐ26 form province-commune-sequence-year with a sequence "
            "from 1 (e.g. 82-29869-7-2026)",
            field="product_code",
        )
    if problem := code_mismatch(parsed, declared, commune_code):
        raise DomainError(f"{problem} (the declared source province)", field="product_code")
    return parsed.year


def check_matches_producer(event: ProductRegistered, entity: Producer) -> None:
    """A product sits in its producer's commune and carries its legal form (QĐ 26 Art. 2.3)."""
    if event.commune_code != entity.commune_code:
        raise DomainError(
            f"commune {event.commune_code} is not the commune of producer {entity.id} "
            f"({entity.commune_code}); a product is registered in its producer's commune",
            field="commune_code",
        )
    if event.legal_form is not entity.legal_form:
        raise DomainError(
            f"legal form {event.legal_form.value} is not that of producer {entity.id} "
            f"({entity.legal_form.value})",
            field="legal_form",
        )


def _resend(existing: Product | Producer, message: IngestSource, id_field: str) -> Outcome | None:
    """A record registered before under the same source key: the same message is handled,
    the same content acknowledged as a duplicate, other content refused."""
    registered_as = existing.id
    first = existing.source
    if first is None:  # pragma: no cover - ids derived from source keys only
        raise DomainError(f"{registered_as} exists and did not come from {message.key}")
    verdict = classify(first, message)
    if verdict is Resend.CONFLICT:
        raise DomainError(conflict_reason(first, message, registered_as), field=id_field)
    if verdict is Resend.SAME_MESSAGE:
        return None
    log.info(
        "duplicate ingest registration acknowledged",
        extra={"source": message.key, "event_id": message.event_id, "first": first.event_id},
    )
    return Outcome.DUPLICATE


def _old_address(unit: LegacyUnit | None) -> dict[str, Any] | None:
    """A message's legacy_unit as the old address the HTTP path takes (checked there)."""
    return None if unit is None else unit.model_dump(exclude_none=True)


def _command(model: type[Command], **fields: Any) -> Command:
    """The command of the HTTP path; what it refuses becomes a reason naming the field."""
    try:
        return model(**fields)
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"])
        raise DomainError(f"{where}: {error['msg']}", field=where) from None
