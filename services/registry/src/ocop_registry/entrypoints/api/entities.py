"""Producers (chủ thể)."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from ocop_registry.domain.commands import AddAccount, RegisterEntity, UpdateEntity
from ocop_registry.domain.idempotency import KeyReused
from ocop_registry.entrypoints.api.deps import (
    REPEATED,
    IdempotencyKey,
    MaybeCaller,
    ServiceDep,
    Writer,
    key_reused,
)
from ocop_registry.entrypoints.api.views import (
    EntityFull,
    EntityPublic,
    entity_full,
    entity_public,
)

router = APIRouter(prefix="/entities", tags=["producers"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=EntityFull, responses=REPEATED)
async def register_entity(
    body: RegisterEntity,
    service: ServiceDep,
    who: Writer,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> EntityFull:
    """Register a producer in the caller's unit. Publishes EntityRegistered (version 1). With an
    `Idempotency-Key`, a repeat of the request registers nothing more (200)."""
    if idempotency_key is None:
        return entity_full(await service.register_entity(body, who))
    try:
        producer, repeat = await service.register_entity_once(body, who, idempotency_key)
    except KeyReused as reused:
        raise key_reused(reused) from reused
    if repeat:
        response.status_code = status.HTTP_200_OK
    return entity_full(producer)


@router.get("/{entity_id}", response_model=EntityFull | EntityPublic)
async def get_entity(
    entity_id: str, service: ServiceDep, who: MaybeCaller
) -> EntityFull | EntityPublic:
    """The whole record for the offices of its unit, its own accounts and the Ministry; otherwise
    only the public part (no representative, no contacts, no registration numbers)."""
    producer = await service.get_entity(entity_id)
    if service.may_see_personal_data(producer, who):
        return entity_full(producer)
    return entity_public(producer)


@router.patch("/{entity_id}", response_model=EntityFull)
async def update_entity(
    entity_id: str, body: UpdateEntity, service: ServiceDep, who: Writer
) -> EntityFull:
    """Change a producer's details. Publishes EntityUpdated (whole state, next version)."""
    return entity_full(await service.update_entity(entity_id, body, who))


@router.post("/{entity_id}/accounts", response_model=EntityFull)
async def add_account(
    entity_id: str, body: AddAccount, service: ServiceDep, who: Writer
) -> EntityFull:
    """Let one more user account (token subject) act for this producer."""
    return entity_full(await service.add_account(entity_id, body, who))
