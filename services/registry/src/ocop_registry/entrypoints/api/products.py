"""Products: registration, changes, withdrawal, search."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from ocop_contracts import LegalForm
from ocop_registry.domain.commands import RegisterProduct, UpdateProduct, WithdrawProduct
from ocop_registry.domain.idempotency import KeyReused
from ocop_registry.domain.model import ProductStatus
from ocop_registry.domain.search import MAX_PAGE_SIZE, SearchFilters
from ocop_registry.entrypoints.api.deps import (
    REPEATED,
    IdempotencyKey,
    ServiceDep,
    Writer,
    key_reused,
)
from ocop_registry.entrypoints.api.views import (
    ProductPage,
    ProductView,
    RegisteredProduct,
    product_view,
    registered_product,
)

router = APIRouter(prefix="/products", tags=["products"])


@router.post(
    "", status_code=status.HTTP_201_CREATED, response_model=RegisteredProduct, responses=REPEATED
)
async def register_product(
    body: RegisterProduct,
    service: ServiceDep,
    who: Writer,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> RegisteredProduct:
    """Register a product of a producer: allocates its QĐ 26 code (or takes the given one) and
    publishes ProductRegistered (version 1). `draft: true` only saves it. Close names among
    the province's products come back as `warnings`; they never block registration. With an
    `Idempotency-Key`, a repeat of the request registers nothing more (200, the same
    warnings)."""
    if idempotency_key is None:
        product, warnings = await service.register_product(body, who)
        return registered_product(product, warnings)
    try:
        (product, warnings), repeat = await service.register_product_once(
            body, who, idempotency_key
        )
    except KeyReused as reused:
        raise key_reused(reused) from reused
    if repeat:
        response.status_code = status.HTTP_200_OK
    return registered_product(product, warnings)


@router.post("/{product_id}/register", response_model=ProductView)
async def register_draft(product_id: str, service: ServiceDep, who: Writer) -> ProductView:
    """Register a draft: allocate its code and publish ProductRegistered."""
    return product_view(await service.submit_draft(product_id, who))


@router.patch("/{product_id}", response_model=ProductView)
async def update_product(
    product_id: str, body: UpdateProduct, service: ServiceDep, who: Writer
) -> ProductView:
    """Change a product's details. Publishes ProductUpdated (whole state, next version)."""
    return product_view(await service.update_product(product_id, body, who))


@router.post("/{product_id}/withdraw", response_model=ProductView)
async def withdraw_product(
    product_id: str, body: WithdrawProduct, service: ServiceDep, who: Writer
) -> ProductView:
    """Withdraw a product from OCOP (final). Publishes ProductWithdrawn."""
    return product_view(await service.withdraw_product(product_id, body, who))


@router.get("/{product_id}", response_model=ProductView)
async def get_product(product_id: str, service: ServiceDep) -> ProductView:
    """A product as the registry knows it (public: products carry no personal data)."""
    return product_view(await service.get_product(product_id))


@router.get("", response_model=ProductPage)
async def search_products(
    service: ServiceDep,
    province_code: Annotated[str | None, Query(pattern=r"^\d{2}$")] = None,
    province_edition: Annotated[
        str, Query(pattern=r"^(2008|2025)$", description="2008: a pre-July-2025 province")
    ] = "2025",
    commune_code: Annotated[str | None, Query(pattern=r"^\d{5}$")] = None,
    sector: Annotated[str | None, Query(max_length=4, examples=["I"])] = None,
    group: Annotated[str | None, Query(max_length=8, examples=["I.3"])] = None,
    scoring_set_code: Annotated[str | None, Query(max_length=16)] = None,
    stars: Annotated[int | None, Query(ge=0, le=5)] = None,
    min_stars: Annotated[int | None, Query(ge=0, le=5)] = None,
    status_: Annotated[ProductStatus | None, Query(alias="status")] = None,
    legal_form: LegalForm | None = None,
    women_led: bool | None = None,
    ethnic_minority_led: bool | None = None,
    entity_id: Annotated[str | None, Query(max_length=64)] = None,
    year: Annotated[int | None, Query(ge=2018, le=2100)] = None,
    q: Annotated[
        str | None, Query(max_length=100, description="Name, with or without accents")
    ] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 50,
) -> ProductPage:
    """Search the register (public). Drafts are left out unless `status=draft`."""
    filters = SearchFilters(
        province_code=province_code,
        province_edition=province_edition,
        commune_code=commune_code,
        sector=sector,
        group=group,
        scoring_set_code=scoring_set_code,
        stars=stars,
        min_stars=min_stars,
        status=status_,
        legal_form=legal_form,
        women_led=women_led,
        ethnic_minority_led=ethnic_minority_led,
        entity_id=entity_id,
        year=year,
        q=q,
    )
    items, total = await service.search(filters, page, page_size)
    return ProductPage(
        items=[product_view(product) for product in items],
        total=total,
        page=page,
        page_size=page_size,
    )
