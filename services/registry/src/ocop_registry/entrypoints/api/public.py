"""Public lookup: no login, no personal data."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ocop_registry.domain.lifecycle import validity_on
from ocop_registry.entrypoints.api.deps import ServiceDep
from ocop_registry.entrypoints.api.views import LookupResult, lookup_result

router = APIRouter(prefix="/public", tags=["public"])


@router.get("/lookup", response_model=LookupResult)
async def lookup(
    service: ServiceDep,
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=500,
            description="Product code (QĐ26 or legacy), certificate number, or the text of its "
            "QR code (a URL or 'OCOP:<code>').",
            examples=["82-29869-1-2026"],
        ),
    ],
) -> LookupResult:
    """A product's stars and whether its certificate is valid today (Vietnam time)."""
    product = await service.lookup(q)
    today = service.clock.today()
    return lookup_result(product, validity_on(product.evaluation_state, today), today)
