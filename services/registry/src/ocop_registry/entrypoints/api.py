"""HTTP API of the registry: routes translate requests into commands and nothing more."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from pydantic import BaseModel, Field

from ocop_contracts import LegalForm
from ocop_platform.auth import CurrentPrincipal, Principal, Role, require_roles
from ocop_registry.domain.commands import RegisterEntity, RegisterProduct
from ocop_registry.domain.model import Entity, Product
from ocop_registry.service_layer.services import RegistryService


def _service(request: Request) -> RegistryService:
    service: RegistryService = request.app.state.registry
    return service


ServiceDep = Annotated[RegistryService, Depends(_service)]
Writer = Annotated[
    Principal, Depends(require_roles(Role.PROVINCE_OFFICE, Role.COMMUNE_OFFICER, Role.PRODUCER))
]


class EntityCreate(BaseModel):
    name: str = Field(min_length=1, max_length=300, examples=["HTX Nông nghiệp Tân Thuận"])
    legal_form: LegalForm
    province_code: str = Field(pattern=r"^\d{2}$", examples=["82"])
    commune_code: str = Field(pattern=r"^\d{5}$", examples=["29869"])
    women_led: bool = False
    ethnic_minority_led: bool = False
    disability_led: bool = False


class EntityPublic(BaseModel):
    entity_id: str
    name: str
    legal_form: LegalForm
    province_code: str
    commune_code: str


class ProductCreate(BaseModel):
    entity_id: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=300, examples=["Bánh phồng tôm Sa Giang"])
    scoring_set_code: str = Field(min_length=1, max_length=16, examples=["I.3.d"])
    year: int = Field(ge=2018, le=2100, examples=[2026])


class ProductPublic(BaseModel):
    product_id: str
    product_code: str
    name: str
    entity_id: str
    province_code: str
    commune_code: str
    scoring_set_code: str
    status: str
    stars: int


def _entity_public(entity: Entity) -> EntityPublic:
    return EntityPublic.model_validate(entity, from_attributes=True)


def _product_public(product: Product) -> ProductPublic:
    return ProductPublic.model_validate(product, from_attributes=True)


router = APIRouter(tags=["registry"])


@router.post("/entities", status_code=status.HTTP_201_CREATED, response_model=EntityPublic)
async def register_entity(body: EntityCreate, service: ServiceDep, who: Writer) -> EntityPublic:
    entity = await service.register_entity(RegisterEntity(**body.model_dump()), who)
    return _entity_public(entity)


@router.post("/products", status_code=status.HTTP_201_CREATED, response_model=ProductPublic)
async def register_product(body: ProductCreate, service: ServiceDep, who: Writer) -> ProductPublic:
    product = await service.register_product(RegisterProduct(**body.model_dump()), who)
    return _product_public(product)


@router.get("/products/{product_id}", response_model=ProductPublic)
async def get_product(product_id: str, service: ServiceDep, _: CurrentPrincipal) -> ProductPublic:
    return _product_public(await service.get_product(product_id))
