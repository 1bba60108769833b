"""Producers (chủ thể)."""

from __future__ import annotations

from fastapi import APIRouter, status

from ocop_registry.domain.commands import AddAccount, RegisterEntity, UpdateEntity
from ocop_registry.entrypoints.api.deps import MaybeCaller, ServiceDep, Writer
from ocop_registry.entrypoints.api.views import (
    EntityFull,
    EntityPublic,
    entity_full,
    entity_public,
)

router = APIRouter(prefix="/entities", tags=["producers"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=EntityFull)
async def register_entity(body: RegisterEntity, service: ServiceDep, who: Writer) -> EntityFull:
    """Register a producer in the caller's unit. Publishes EntityRegistered (version 1)."""
    return entity_full(await service.register_entity(body, who))


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
