"""Fairs, showrooms and sales points, online listings and media activities."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from ocop_contracts.events.promotion import FairScheduled, PromotionActivityRecorded
from ocop_contracts.reference import normalize_vi
from ocop_contracts.vocabulary import ActivityKind, DelistReason, VenueKind
from ocop_platform.errors import DomainError, NotFound
from ocop_platform.logging import trace_fields
from ocop_platform.mongo import Document
from ocop_promotion.domain.venues import (
    Booth,
    check_booth_has_room,
    check_booths,
    check_fair_dates,
    check_fair_not_over,
)
from ocop_promotion.service_layer.placements import SERVICE, Placement, PlacementService, Venue

if TYPE_CHECKING:
    from ocop_promotion.adapters.repository import MongoPromotionRepository

FAIRS, SHOWROOMS, ACTIVITIES = "fairs", "showrooms", "activities"


@dataclass(frozen=True)
class FairDetails:
    name: str
    place: str
    organiser: str
    province_code: str
    starts_on: date
    ends_on: date
    booths: tuple[Booth, ...]
    commune_code: str | None = None


@dataclass(frozen=True)
class FairOutcome:
    sales_vnd: int = 0
    contracts_signed: int = 0
    contract_value_vnd: int = 0
    visitors: int | None = None
    notes: str = ""


@dataclass(frozen=True)
class ShowroomDetails:
    name: str
    kind: str  # "showroom" or "sales_point"
    address: str
    province_code: str
    commune_code: str | None = None
    opened_on: date | None = None
    opening_hours: str = ""


@dataclass(frozen=True)
class ActivityDetails:
    kind: ActivityKind
    title: str
    occurred_on: date
    province_code: str
    outlet: str = ""
    url: str | None = None
    product_ids: tuple[str, ...] = ()


class VenueService:
    def __init__(
        self,
        repository: MongoPromotionRepository,
        placements: PlacementService,
        *,
        notify_outbox: Callable[[], None],
        today: Callable[[], date],
    ) -> None:
        self._repo = repository
        self._placements = placements
        self._notify = notify_outbox
        self._today = today

    # --- fairs ------------------------------------------------------------------------------

    async def schedule_fair(self, details: FairDetails) -> Document:
        check_fair_dates(details.starts_on, details.ends_on)
        check_booths(details.booths)
        fair_id = f"fair-{uuid.uuid4().hex[:12]}"
        doc = _fair_doc(fair_id, details)
        event = _fair_scheduled(fair_id, 1, details)
        await self._repo.insert_aggregate(FAIRS, doc, [event])
        self._notify()
        return await self.fair(fair_id)

    async def fair(self, fair_id: str) -> Document:
        doc = await self._repo.get(FAIRS, fair_id)
        if doc is None:
            raise NotFound(f"no fair {fair_id}")
        products = await self._placements.on_display_at(fair_id)
        return {**doc, "products": products}

    async def fairs(
        self, province_code: str | None, year: int | None, page: int, page_size: int
    ) -> tuple[list[Document], int]:
        flt: Document = {}
        if province_code:
            flt["province_code"] = province_code
        if year:
            flt["starts_on"] = {"$gte": f"{year}-01-01", "$lte": f"{year}-12-31"}
        return await self._repo.find(FAIRS, flt, [("starts_on", -1), ("_id", 1)], page, page_size)

    async def record_outcome(self, fair_id: str, outcome: FairOutcome) -> Document:
        doc = await self._repo.get(FAIRS, fair_id)
        if doc is None:
            raise NotFound(f"no fair {fair_id}")
        if date.fromisoformat(doc["starts_on"]) > self._today():
            raise DomainError(
                f"the fair starts on {doc['starts_on']}: record its outcome once it has begun",
                field="fair_id",
            )
        fields = {"outcome": {**asdict(outcome), "recorded_on": self._today().isoformat()}}
        await self._repo.update_aggregate(FAIRS, fair_id, int(doc["version"]), fields, [])
        return await self.fair(fair_id)

    async def place_in_fair(self, fair_id: str, product_id: str, booth_code: str) -> Document:
        fair = await self._repo.get(FAIRS, fair_id)
        if fair is None:
            raise NotFound(f"no fair {fair_id}")
        ends_on = date.fromisoformat(fair["ends_on"])
        check_fair_not_over(ends_on, self._today())
        booths = {b["code"]: Booth(**b) for b in fair.get("booths", [])}

        def check_room(placed: list[Document]) -> None:
            occupants = [
                e["product_id"]
                for doc in placed
                for e in doc.get("entries", [])
                if e.get("venue_id") == fair_id
                and e.get("state") == "active"
                and e.get("booth_code") == booth_code
            ]
            check_booth_has_room(booths.get(booth_code), booth_code, occupants)

        check_room([])  # an unknown booth is refused before anything else is looked up
        venue = Venue(VenueKind.FAIR, fair_id, fair["name"], valid_through=ends_on)
        return await self._placements.place(
            product_id, venue, Placement(booth_code=booth_code), check_room=check_room
        )

    # --- showrooms and sales points ---------------------------------------------------------

    async def open_showroom(self, details: ShowroomDetails) -> Document:
        showroom_id = f"shr-{uuid.uuid4().hex[:12]}"
        doc = {
            "_id": showroom_id,
            **_normalised(asdict(details)),
            "opened_on": details.opened_on.isoformat() if details.opened_on else None,
        }
        await self._repo.insert_aggregate(SHOWROOMS, doc, [])
        return await self.showroom(showroom_id)

    async def showroom(self, showroom_id: str) -> Document:
        doc = await self._repo.get(SHOWROOMS, showroom_id)
        if doc is None:
            raise NotFound(f"no showroom or sales point {showroom_id}")
        return {**doc, "products": await self._placements.on_display_at(showroom_id)}

    async def showrooms(
        self, province_code: str | None, page: int, page_size: int
    ) -> tuple[list[Document], int]:
        flt: Document = {"province_code": province_code} if province_code else {}
        return await self._repo.find(SHOWROOMS, flt, [("name", 1), ("_id", 1)], page, page_size)

    async def display_in_showroom(self, showroom_id: str, product_id: str) -> Document:
        doc = await self._repo.get(SHOWROOMS, showroom_id)
        if doc is None:
            raise NotFound(f"no showroom or sales point {showroom_id}")
        return await self._placements.place(
            product_id, Venue(VenueKind.SHOWROOM, showroom_id, doc["name"])
        )

    # --- online listings --------------------------------------------------------------------

    async def list_online(self, product_id: str, channel: str, url: str) -> Document:
        listing_id = f"lst-{uuid.uuid4().hex[:12]}"
        venue = Venue(VenueKind.ONLINE, listing_id, channel)
        return await self._placements.place(product_id, venue, Placement(channel=channel, url=url))

    async def listings(
        self,
        product_id: str | None,
        province_code: str | None,
        channel: str | None,
        state: str | None,
    ) -> list[Document]:
        from ocop_promotion.service_layer.queries import ListingQuery

        docs = await self._repo.listings(ListingQuery(product_id, province_code, channel, state))
        found = [
            e
            for d in docs
            for e in d.get("entries", [])
            if e.get("venue_kind") == VenueKind.ONLINE.value
            and (channel is None or e.get("channel") == channel)
            and (state is None or e.get("state") == state)
        ]
        return sorted(found, key=lambda e: (e["since"], e["placement_id"]), reverse=True)

    async def listing(self, listing_id: str) -> Document:
        doc = await self._repo.placement_with_entry(listing_id)
        for entry in (doc or {}).get("entries", []):
            if entry.get("placement_id") == listing_id:
                found: Document = entry
                return found
        raise NotFound(f"no online listing {listing_id}")

    async def take_down_listing(self, listing_id: str) -> Document:
        listing = await self.listing(listing_id)
        return await self._placements.delist(
            listing["product_id"], listing["venue_id"], DelistReason.MANUAL
        )

    # --- media and other promotion activities -----------------------------------------------

    async def record_activity(self, details: ActivityDetails) -> Document:
        activity_id = f"act-{uuid.uuid4().hex[:12]}"
        doc: Document = {
            "_id": activity_id,
            **_normalised(asdict(details)),
            "kind": details.kind.value,
            "occurred_on": details.occurred_on.isoformat(),
            "product_ids": list(details.product_ids),
        }
        event = PromotionActivityRecorded(
            producer=SERVICE,
            aggregate_id=activity_id,
            aggregate_version=1,
            province_code=details.province_code,
            activity_id=activity_id,
            kind=details.kind,
            title=normalize_vi(details.title),
            occurred_on=details.occurred_on,
            url=details.url,
            product_ids=details.product_ids,
            **trace_fields(),
        )
        await self._repo.insert_aggregate(ACTIVITIES, doc, [event])
        self._notify()
        found = await self._repo.get(ACTIVITIES, activity_id)
        assert found is not None
        return found

    async def activities(
        self,
        province_code: str | None,
        kind: ActivityKind | None,
        occurred_from: date | None,
        occurred_to: date | None,
        page: int,
        page_size: int,
    ) -> tuple[list[Document], int]:
        flt: Document = {}
        if province_code:
            flt["province_code"] = province_code
        if kind:
            flt["kind"] = kind.value
        span: Document = {}
        if occurred_from:
            span["$gte"] = occurred_from.isoformat()
        if occurred_to:
            span["$lte"] = occurred_to.isoformat()
        if span:
            flt["occurred_on"] = span
        sort = [("occurred_on", -1), ("_id", 1)]
        return await self._repo.find(ACTIVITIES, flt, sort, page, page_size)


def _normalised(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: normalize_vi(v) if isinstance(v, str) else v for k, v in fields.items()}


def _fair_doc(fair_id: str, details: FairDetails) -> Document:
    return {
        "_id": fair_id,
        **_normalised(asdict(details)),
        "starts_on": details.starts_on.isoformat(),
        "ends_on": details.ends_on.isoformat(),
        "booths": [_normalised(asdict(b)) for b in details.booths],
        "outcome": None,
    }


def _fair_scheduled(fair_id: str, version: int, details: FairDetails) -> FairScheduled:
    return FairScheduled(
        producer=SERVICE,
        aggregate_id=fair_id,
        aggregate_version=version,
        province_code=details.province_code,
        fair_id=fair_id,
        name=normalize_vi(details.name),
        place=normalize_vi(details.place),
        organiser=normalize_vi(details.organiser),
        starts_on=details.starts_on,
        ends_on=details.ends_on,
        commune_code=details.commune_code,
        **trace_fields(),
    )


def booths_of(rows: Sequence[Booth]) -> tuple[Booth, ...]:
    return tuple(rows)
