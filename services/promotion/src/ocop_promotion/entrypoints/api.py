"""HTTP API of promotion: the newly-starred feed (paged and live), subscriptions with signed
webhooks, fairs, showrooms and sales points, online listings and media activities."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Request, Response, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, HttpUrl, model_validator

from ocop_contracts.reference import UnknownClassificationError
from ocop_contracts.vocabulary import ActivityKind, DelistReason
from ocop_platform.auth import ALL_PROVINCES, Principal, Role, ensure_province, require_roles
from ocop_platform.errors import DomainError
from ocop_platform.mongo import Document
from ocop_promotion.domain.compliance import CertificateStatus
from ocop_promotion.domain.feed import Change, FeedFilter, canonical_classification, entry_json
from ocop_promotion.domain.venues import Booth
from ocop_promotion.domain.webhooks import DeliveryStatus
from ocop_promotion.service_layer.placements import PlacementService
from ocop_promotion.service_layer.queries import FeedQuery
from ocop_promotion.service_layer.services import PromotionService
from ocop_promotion.service_layer.venues import (
    ActivityDetails,
    FairDetails,
    FairOutcome,
    ShowroomDetails,
    VenueService,
)

ProvinceCode = Annotated[str, Field(pattern=r"^\d{2}$")]
CommuneCode = Annotated[str, Field(pattern=r"^\d{5}$")]
Page = Annotated[int, Query(ge=1)]
PageSize = Annotated[int, Query(ge=1, le=500)]


def _promotion(request: Request) -> PromotionService:
    service: PromotionService = request.app.state.promotion
    return service


def _venues(request: Request) -> VenueService:
    service: VenueService = request.app.state.venues
    return service


def _placements(request: Request) -> PlacementService:
    service: PlacementService = request.app.state.placements
    return service


PromotionDep = Annotated[PromotionService, Depends(_promotion)]
VenuesDep = Annotated[VenueService, Depends(_venues)]
PlacementsDep = Annotated[PlacementService, Depends(_placements)]
PromoterDep = Annotated[
    Principal, Depends(require_roles(Role.PROMOTION_TEAM, Role.PROVINCE_OFFICE, Role.MINISTRY))
]

# --- the newly-starred feed -------------------------------------------------------------------


class FeedEntryPublic(BaseModel):
    entry_id: str
    product_id: str
    product_name: str | None
    change: Change | None = Field(description="first_certification or upgrade")
    from_stars: int
    to_stars: int
    score: float
    rated_on: date
    province_code: str
    commune_code: str | None = None
    scoring_set_code: str
    sector_code: str | None = Field(default=None, description="QĐ26 sector, e.g. I")
    group_code: str | None = Field(default=None, description="QĐ26 group, e.g. I.3")
    entity_id: str | None = Field(default=None, description="The producer (chủ thể)")
    entity_name: str | None = None
    recorded_at: datetime | None = None


class FeedPage(BaseModel):
    items: list[FeedEntryPublic]
    total: int
    page: int
    page_size: int


def _feed_query(
    province_code: Annotated[str | None, Query(pattern=r"^\d{2}$")] = None,
    sector: Annotated[str | None, Query(description="QĐ26 sector, e.g. I")] = None,
    group: Annotated[str | None, Query(description="QĐ26 group, e.g. I.3")] = None,
    min_stars: Annotated[int, Query(ge=3, le=5)] = 3,
    stars: Annotated[int | None, Query(ge=3, le=5, description="exactly this many")] = None,
    change: Annotated[Change | None, Query()] = None,
    page: Page = 1,
    page_size: PageSize = 50,
) -> FeedQuery:
    for name, code in (("sector", sector), ("group", group)):
        if code is not None:
            _classification([code], name, expect_parts=1 if name == "sector" else 2)
    return FeedQuery(
        province_code=province_code,
        min_stars=min_stars,
        page=page,
        page_size=page_size,
        stars=stars,
        sector_code=sector.upper() if sector else None,
        group_code=group.upper() if group else None,
        change=change,
    )


FeedQueryDep = Annotated[FeedQuery, Depends(_feed_query)]

feed_router = APIRouter(tags=["newly-starred feed"])


@feed_router.get("/feed", response_model=FeedPage, summary="Products that newly reached ≥3★")
async def newly_starred(service: PromotionDep, query: FeedQueryDep) -> FeedPage:
    """Every product that newly reached ≥3★ (first certification or upgrade), once, newest
    first; filter by province, QĐ26 sector or group, stars and kind of change."""
    entries, total = await service.feed(query)
    items = [FeedEntryPublic.model_validate(entry_json(e)) for e in entries]
    return FeedPage(items=items, total=total, page=query.page, page_size=query.page_size)


STREAM_POLL_SECONDS = 1.0
HEARTBEAT_SECONDS = 15.0


@feed_router.get(
    "/feed/stream",
    summary="The newly-starred feed, live (Server-Sent Events)",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def newly_starred_stream(
    request: Request,
    service: PromotionDep,
    query: FeedQueryDep,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> StreamingResponse:
    """One `newly_starred` event per new entry (`id:` is the entry id, `data:` the entry as in
    GET /feed), with the same filters. Starts with entries recorded from now on; a client that
    reconnects with `Last-Event-ID` resumes after that entry. A comment every 15 s keeps idle
    connections open."""
    since = service.now()
    seen: set[str] = set()
    if last_event_id:
        resumed = await service.feed_entry(last_event_id)
        if resumed.recorded_at is not None:
            since = resumed.recorded_at
        seen.add(last_event_id)

    async def stream() -> AsyncIterator[str]:
        nonlocal since
        yield ": connected\n\n"
        idle = 0.0
        while not await request.is_disconnected():
            entries = await service.feed_since(query, since, limit=200)
            fresh = [e for e in entries if e.entry_id not in seen]
            for entry in fresh:
                payload = json.dumps(entry_json(entry), ensure_ascii=False)
                yield f"id: {entry.entry_id}\nevent: newly_starred\ndata: {payload}\n\n"
                seen.add(entry.entry_id)
            newest = entries[-1].recorded_at if entries else None
            if newest is not None and newest > since:
                # Keep only the ids at the new boundary instant: they will be read again.
                since = newest
                seen.intersection_update(e.entry_id for e in entries if e.recorded_at == since)
            idle = 0.0 if fresh else idle + STREAM_POLL_SECONDS
            if idle >= HEARTBEAT_SECONDS:
                idle = 0.0
                yield ": keep-alive\n\n"
            await service.wait_for_feed(STREAM_POLL_SECONDS)

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream(), media_type="text/event-stream", headers=headers)


@feed_router.get("/feed/{entry_id}", response_model=FeedEntryPublic, summary="One feed entry")
async def feed_entry(service: PromotionDep, entry_id: str) -> FeedEntryPublic:
    return FeedEntryPublic.model_validate(entry_json(await service.feed_entry(entry_id)))


# --- subscriptions ---------------------------------------------------------------------------


class SubscriptionFilterIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    province_codes: list[ProvinceCode] = Field(default_factory=list, max_length=34)
    classification_codes: list[Annotated[str, Field(max_length=20)]] = Field(
        default_factory=list,
        max_length=30,
        description="QĐ26 sectors, groups or scoring sets, e.g. I, I.3, I.3.d",
    )
    min_stars: int = Field(default=3, ge=3, le=5)
    changes: list[Change] = Field(
        default_factory=list, max_length=2, description="first_certification, upgrade; empty: both"
    )


class SubscriptionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    url: HttpUrl = Field(description="Where deliveries are POSTed (http or https)")
    filter: SubscriptionFilterIn = Field(default_factory=SubscriptionFilterIn)


class SubscriptionOut(BaseModel):
    subscription_id: str
    name: str
    url: str
    filter: SubscriptionFilterIn
    active: bool
    created_at: datetime
    created_by: str


class SubscriptionCreated(SubscriptionOut):
    secret: str = Field(description="HMAC-SHA256 key of X-OCOP-Signature; shown once, keep it safe")


class DeliveryAttemptOut(BaseModel):
    number: int
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: float


class DeliveryOut(BaseModel):
    delivery_id: str
    subscription_id: str
    entry_id: str
    product_id: str
    status: DeliveryStatus
    attempt_count: int
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime
    attempts: list[DeliveryAttemptOut]


class DeliveryPage(BaseModel):
    items: list[DeliveryOut]
    total: int
    page: int
    page_size: int


def _subscription_out(doc: Document) -> dict[str, Any]:
    return {**doc, "subscription_id": doc["_id"]}


def _delivery_out(doc: Document) -> DeliveryOut:
    return DeliveryOut.model_validate({**doc, "delivery_id": doc["_id"]})


def _classification(
    codes: list[str], field: str, expect_parts: int | None = None
) -> tuple[str, ...]:
    try:
        canonical = canonical_classification(codes)
    except UnknownClassificationError as exc:
        raise DomainError(f"{exc}; {exc.hint}" if exc.hint else str(exc), field=field) from exc
    if expect_parts is not None and any(len(c.split(".")) != expect_parts for c in canonical):
        kind = "sector (e.g. I)" if expect_parts == 1 else "group (e.g. I.3)"
        raise DomainError(f"expected a QĐ26 {kind}", field=field)
    return canonical


subscriptions_router = APIRouter(prefix="/subscriptions", tags=["subscriptions"])


@subscriptions_router.post(
    "", status_code=status.HTTP_201_CREATED, response_model=SubscriptionCreated
)
async def subscribe(
    body: SubscriptionIn, service: PromotionDep, principal: PromoterDep
) -> dict[str, Any]:
    """Be told of new feed entries matching the filter by a signed webhook (see the service
    README for how to verify X-OCOP-Signature)."""
    if body.filter.province_codes:
        for code in body.filter.province_codes:
            ensure_province(principal, code)
    elif not principal.may_act_in(ALL_PROVINCES):
        covered = ", ".join(sorted(principal.provinces)) or "none"
        raise DomainError(
            f"list the provinces to follow; your token covers {covered}",
            field="filter.province_codes",
        )
    flt = FeedFilter(
        province_codes=tuple(dict.fromkeys(body.filter.province_codes)),
        classification_codes=_classification(
            body.filter.classification_codes, "filter.classification_codes"
        ),
        min_stars=body.filter.min_stars,
        changes=tuple(dict.fromkeys(body.filter.changes)),
    )
    doc = await service.create_subscription(body.name, str(body.url), flt, principal.subject)
    return _subscription_out(doc)


@subscriptions_router.get("", response_model=list[SubscriptionOut])
async def subscriptions(
    service: PromotionDep,
    _: PromoterDep,
    include_deleted: bool = False,
) -> list[dict[str, Any]]:
    docs = await service.subscriptions(active_only=not include_deleted)
    return [_subscription_out(d) for d in docs]


@subscriptions_router.get("/{subscription_id}", response_model=SubscriptionOut)
async def subscription(
    subscription_id: str, service: PromotionDep, _: PromoterDep
) -> dict[str, Any]:
    return _subscription_out(await service.subscription(subscription_id))


@subscriptions_router.delete("/{subscription_id}", status_code=status.HTTP_204_NO_CONTENT)
async def unsubscribe(subscription_id: str, service: PromotionDep, _: PromoterDep) -> Response:
    """Stop deliveries; pending ones are cancelled (the log stays readable)."""
    await service.delete_subscription(subscription_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@subscriptions_router.get("/{subscription_id}/deliveries", response_model=DeliveryPage)
async def deliveries(
    subscription_id: str,
    service: PromotionDep,
    _: PromoterDep,
    delivery_status: Annotated[DeliveryStatus | None, Query(alias="status")] = None,
    page: Page = 1,
    page_size: PageSize = 50,
) -> DeliveryPage:
    """The delivery log: every delivery with each attempt's status code, error and duration."""
    docs, total = await service.deliveries(subscription_id, delivery_status, page, page_size)
    return DeliveryPage(
        items=[_delivery_out(d) for d in docs], total=total, page=page, page_size=page_size
    )


@subscriptions_router.post(
    "/{subscription_id}/deliveries/{delivery_id}/redeliver",
    response_model=DeliveryOut,
    status_code=status.HTTP_202_ACCEPTED,
)
async def redeliver(
    subscription_id: str, delivery_id: str, service: PromotionDep, _: PromoterDep
) -> DeliveryOut:
    """Send a delivered, failed or cancelled delivery again (same X-OCOP-Delivery id)."""
    return _delivery_out(await service.redeliver(subscription_id, delivery_id))


# --- fairs -----------------------------------------------------------------------------------


class BoothIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=50)
    name: str = Field(default="", max_length=200)
    capacity: int = Field(ge=1, le=1000, description="How many products the booth can show")


class FairIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=300)
    place: str = Field(min_length=1, max_length=300)
    organiser: str = Field(default="", max_length=300)
    province_code: ProvinceCode
    commune_code: CommuneCode | None = None
    starts_on: date
    ends_on: date
    booths: list[BoothIn] = Field(default_factory=list, max_length=500)


class PlaceInFairIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product_id: str = Field(min_length=1, max_length=128)
    booth_code: str = Field(min_length=1, max_length=50)


class PlaceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product_id: str = Field(min_length=1, max_length=128)


class OutcomeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sales_vnd: int = Field(default=0, ge=0, description="Sales at the fair, VND")
    contracts_signed: int = Field(default=0, ge=0)
    contract_value_vnd: int = Field(default=0, ge=0)
    visitors: int | None = Field(default=None, ge=0)
    notes: str = Field(default="", max_length=2000)


class PlacementOut(BaseModel):
    placement_id: str
    product_id: str
    venue_kind: str
    venue_id: str
    venue_name: str
    booth_code: str | None = None
    channel: str | None = None
    url: str | None = None
    since: date
    state: Literal["active", "delisted"]
    delisted_on: date | None = None
    reason: DelistReason | None = None


class FairOut(BaseModel):
    fair_id: str
    name: str
    place: str
    organiser: str
    province_code: str
    commune_code: str | None
    starts_on: date
    ends_on: date
    booths: list[BoothIn]
    outcome: dict[str, Any] | None
    products: list[PlacementOut] = Field(default_factory=list)


class FairPage(BaseModel):
    items: list[FairOut]
    total: int
    page: int
    page_size: int


def _fair_out(doc: Document) -> FairOut:
    return FairOut.model_validate({**doc, "fair_id": doc["_id"]})


venues_router = APIRouter(tags=["fairs, showrooms, listings, activities"])


@venues_router.post("/fairs", status_code=status.HTTP_201_CREATED, response_model=FairOut)
async def schedule_fair(body: FairIn, venues: VenuesDep, principal: PromoterDep) -> FairOut:
    """Schedule a trade fair with its booths (emits FairScheduled)."""
    ensure_province(principal, body.province_code)
    details = FairDetails(
        name=body.name,
        place=body.place,
        organiser=body.organiser,
        province_code=body.province_code,
        starts_on=body.starts_on,
        ends_on=body.ends_on,
        booths=tuple(Booth(b.code, b.capacity, b.name) for b in body.booths),
        commune_code=body.commune_code,
    )
    return _fair_out(await venues.schedule_fair(details))


@venues_router.get("/fairs", response_model=FairPage)
async def fairs(
    venues: VenuesDep,
    province_code: Annotated[str | None, Query(pattern=r"^\d{2}$")] = None,
    year: Annotated[int | None, Query(ge=2018, le=2100)] = None,
    page: Page = 1,
    page_size: PageSize = 50,
) -> FairPage:
    docs, total = await venues.fairs(province_code, year, page, page_size)
    return FairPage(items=[_fair_out(d) for d in docs], total=total, page=page, page_size=page_size)


@venues_router.get("/fairs/{fair_id}", response_model=FairOut)
async def fair(fair_id: str, venues: VenuesDep) -> FairOut:
    """The fair, its booths, outcome and the products assigned now."""
    return _fair_out(await venues.fair(fair_id))


@venues_router.post(
    "/fairs/{fair_id}/products", status_code=status.HTTP_201_CREATED, response_model=PlacementOut
)
async def place_in_fair(
    fair_id: str, body: PlaceInFairIn, venues: VenuesDep, principal: PromoterDep
) -> Document:
    """Assign a product with a valid ≥3★ certificate (valid through the fair) to a booth with
    room (emits ProductShowcased)."""
    ensure_province(principal, (await venues.fair(fair_id))["province_code"])
    return await venues.place_in_fair(fair_id, body.product_id, body.booth_code)


@venues_router.delete("/fairs/{fair_id}/products/{product_id}", response_model=PlacementOut)
async def withdraw_from_fair(
    fair_id: str,
    product_id: str,
    venues: VenuesDep,
    placements: PlacementsDep,
    principal: PromoterDep,
) -> Document:
    ensure_province(principal, (await venues.fair(fair_id))["province_code"])
    return await placements.delist(product_id, fair_id, DelistReason.MANUAL)


@venues_router.put("/fairs/{fair_id}/outcome", response_model=FairOut)
async def record_outcome(
    fair_id: str, body: OutcomeIn, venues: VenuesDep, principal: PromoterDep
) -> FairOut:
    """Sales, contracts and visitors of a fair that has begun."""
    ensure_province(principal, (await venues.fair(fair_id))["province_code"])
    outcome = FairOutcome(**body.model_dump())
    return _fair_out(await venues.record_outcome(fair_id, outcome))


# --- showrooms and sales points --------------------------------------------------------------


class ShowroomIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=300, examples=["Điểm bán sản phẩm OCOP Sa Đéc"])
    kind: Literal["showroom", "sales_point"] = "sales_point"
    address: str = Field(min_length=1, max_length=500)
    province_code: ProvinceCode
    commune_code: CommuneCode | None = None
    opened_on: date | None = None
    opening_hours: str = Field(default="", max_length=200)


class ShowroomOut(BaseModel):
    showroom_id: str
    name: str
    kind: str
    address: str
    province_code: str
    commune_code: str | None
    opened_on: date | None
    opening_hours: str
    products: list[PlacementOut] = Field(default_factory=list)


class ShowroomPage(BaseModel):
    items: list[ShowroomOut]
    total: int
    page: int
    page_size: int


def _showroom_out(doc: Document) -> ShowroomOut:
    return ShowroomOut.model_validate({**doc, "showroom_id": doc["_id"]})


@venues_router.post("/showrooms", status_code=status.HTTP_201_CREATED, response_model=ShowroomOut)
async def open_showroom(body: ShowroomIn, venues: VenuesDep, principal: PromoterDep) -> ShowroomOut:
    """Register a showroom or sales point (e.g. the Sa Đéc OCOP sales point in Đồng Tháp)."""
    ensure_province(principal, body.province_code)
    return _showroom_out(await venues.open_showroom(ShowroomDetails(**body.model_dump())))


@venues_router.get("/showrooms", response_model=ShowroomPage)
async def showrooms(
    venues: VenuesDep,
    province_code: Annotated[str | None, Query(pattern=r"^\d{2}$")] = None,
    page: Page = 1,
    page_size: PageSize = 50,
) -> ShowroomPage:
    docs, total = await venues.showrooms(province_code, page, page_size)
    items = [_showroom_out(d) for d in docs]
    return ShowroomPage(items=items, total=total, page=page, page_size=page_size)


@venues_router.get("/showrooms/{showroom_id}", response_model=ShowroomOut)
async def showroom(showroom_id: str, venues: VenuesDep) -> ShowroomOut:
    """The showroom and the products on display now."""
    return _showroom_out(await venues.showroom(showroom_id))


@venues_router.post(
    "/showrooms/{showroom_id}/products",
    status_code=status.HTTP_201_CREATED,
    response_model=PlacementOut,
)
async def display(
    showroom_id: str, body: PlaceIn, venues: VenuesDep, principal: PromoterDep
) -> Document:
    """Put a product with a valid ≥3★ certificate on display (emits ProductShowcased)."""
    ensure_province(principal, (await venues.showroom(showroom_id))["province_code"])
    return await venues.display_in_showroom(showroom_id, body.product_id)


@venues_router.delete("/showrooms/{showroom_id}/products/{product_id}", response_model=PlacementOut)
async def remove_from_display(
    showroom_id: str,
    product_id: str,
    venues: VenuesDep,
    placements: PlacementsDep,
    principal: PromoterDep,
) -> Document:
    ensure_province(principal, (await venues.showroom(showroom_id))["province_code"])
    return await placements.delist(product_id, showroom_id, DelistReason.MANUAL)


# --- online listings -------------------------------------------------------------------------


class ListingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    product_id: str = Field(min_length=1, max_length=128)
    channel: str = Field(
        min_length=1,
        max_length=100,
        description="Shop or marketplace, e.g. shopee, lazada, tiki, voso, postmart, tiktok",
    )
    url: HttpUrl

    @model_validator(mode="after")
    def _lower_channel(self) -> ListingIn:
        object.__setattr__(self, "channel", self.channel.strip().lower())
        return self


@venues_router.post("/listings", status_code=status.HTTP_201_CREATED, response_model=PlacementOut)
async def list_online(
    body: ListingIn, venues: VenuesDep, placements: PlacementsDep, principal: PromoterDep
) -> Document:
    """List a product with a valid ≥3★ certificate in an online shop (emits ProductShowcased);
    `placement_id` is the listing id. The token must cover the product's province."""
    province = await placements.province_of(body.product_id)
    if province:
        ensure_province(principal, province)
    return await venues.list_online(body.product_id, body.channel, str(body.url))


@venues_router.get("/listings", response_model=list[PlacementOut])
async def listings(
    venues: VenuesDep,
    product_id: str | None = None,
    province_code: Annotated[str | None, Query(pattern=r"^\d{2}$")] = None,
    channel: str | None = None,
    state: Literal["active", "delisted"] | None = None,
) -> list[Document]:
    return await venues.listings(
        product_id, province_code, channel.lower() if channel else None, state
    )


@venues_router.get("/listings/{listing_id}", response_model=PlacementOut)
async def listing(listing_id: str, venues: VenuesDep) -> Document:
    return await venues.listing(listing_id)


@venues_router.post("/listings/{listing_id}/take-down", response_model=PlacementOut)
async def take_down(
    listing_id: str, venues: VenuesDep, placements: PlacementsDep, principal: PromoterDep
) -> Document:
    province = await placements.province_of((await venues.listing(listing_id))["product_id"])
    if province:
        ensure_province(principal, province)
    return await venues.take_down_listing(listing_id)


class EligibilityOut(BaseModel):
    product_id: str
    placeable: bool
    reason: str | None = Field(description="Why the product may not be placed today")
    certificate_id: str | None
    stars: int | None
    valid_until: date | None
    status: CertificateStatus | None
    rated_stars: int | None


@venues_router.get("/products/{product_id}/eligibility", response_model=EligibilityOut)
async def eligibility(product_id: str, placements: PlacementsDep) -> Document:
    """May the product be placed today (valid ≥3★ certificate)? If not, why not."""
    return await placements.eligibility(product_id)


@venues_router.get("/products/{product_id}/placements", response_model=list[PlacementOut])
async def placements_of(product_id: str, placements: PlacementsDep) -> list[Document]:
    """Every venue a product is or was placed in, with why it was delisted."""
    entries: list[Document] = (await placements.placements_of(product_id))["entries"]
    return entries


# --- media and other promotion activities ----------------------------------------------------


class ActivityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: ActivityKind
    title: str = Field(min_length=1, max_length=500)
    occurred_on: date
    province_code: ProvinceCode
    outlet: str = Field(default="", max_length=300, description="Newspaper, TV channel…")
    url: HttpUrl | None = None
    product_ids: list[Annotated[str, Field(max_length=128)]] = Field(
        default_factory=list, max_length=200
    )


class ActivityOut(BaseModel):
    activity_id: str
    kind: ActivityKind
    title: str
    occurred_on: date
    province_code: str
    outlet: str
    url: str | None
    product_ids: list[str]


class ActivityPage(BaseModel):
    items: list[ActivityOut]
    total: int
    page: int
    page_size: int


@venues_router.post("/activities", status_code=status.HTTP_201_CREATED, response_model=ActivityOut)
async def record_activity(
    body: ActivityIn, venues: VenuesDep, principal: PromoterDep
) -> dict[str, Any]:
    """Record a news item, TV report or other activity (emits PromotionActivityRecorded)."""
    ensure_province(principal, body.province_code)
    details = ActivityDetails(
        kind=body.kind,
        title=body.title,
        occurred_on=body.occurred_on,
        province_code=body.province_code,
        outlet=body.outlet,
        url=str(body.url) if body.url else None,
        product_ids=tuple(body.product_ids),
    )
    doc = await venues.record_activity(details)
    return {**doc, "activity_id": doc["_id"]}


@venues_router.get("/activities", response_model=ActivityPage)
async def activities(
    venues: VenuesDep,
    province_code: Annotated[str | None, Query(pattern=r"^\d{2}$")] = None,
    kind: ActivityKind | None = None,
    occurred_from: date | None = None,
    occurred_to: date | None = None,
    page: Page = 1,
    page_size: PageSize = 50,
) -> ActivityPage:
    """Activities newest first; `total` counts them (e.g. TV reports of a province in a year)."""
    docs, total = await venues.activities(
        province_code, kind, occurred_from, occurred_to, page, page_size
    )
    items = [ActivityOut.model_validate({**d, "activity_id": d["_id"]}) for d in docs]
    return ActivityPage(items=items, total=total, page=page, page_size=page_size)


routers = [feed_router, subscriptions_router, venues_router]
