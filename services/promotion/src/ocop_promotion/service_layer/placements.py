"""Placing products in fairs, showrooms and online shops, and taking them out again.

A product's placements are one aggregate (one document, key: the product id): every placement
and delisting is a single-document write of the new state and its ProductShowcased /
ProductDelisted events. Delisting on certificate expiry or revocation takes the product out of
every venue in that one write.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from ocop_contracts.events.promotion import ProductDelisted, ProductShowcased
from ocop_contracts.vocabulary import DelistReason, VenueKind
from ocop_platform.errors import Conflict, DomainError, NotFound
from ocop_platform.logging import trace_fields
from ocop_platform.mongo import Document
from ocop_promotion.domain.compliance import ensure_placeable

if TYPE_CHECKING:
    from ocop_promotion.adapters.repository import MongoPromotionRepository

SERVICE = "promotion"
ATTEMPTS = 5  # optimistic-concurrency retries on a product's placements document


@dataclass(frozen=True)
class Venue:
    kind: VenueKind
    venue_id: str
    name: str
    # Fairs: the certificate must still be valid on the last day of the fair.
    valid_through: date | None = None


@dataclass(frozen=True)
class Placement:
    booth_code: str | None = None
    channel: str | None = None
    url: str | None = None


OccupancyCheck = Callable[[list[Document]], None]


class PlacementService:
    def __init__(
        self,
        repository: MongoPromotionRepository,
        *,
        notify_outbox: Callable[[], None],
        today: Callable[[], date],
    ) -> None:
        self._repo = repository
        self._notify = notify_outbox
        self._today = today

    async def place(
        self,
        product_id: str,
        venue: Venue,
        placement: Placement = Placement(),
        *,
        check_room: OccupancyCheck | None = None,
    ) -> Document:
        """Place a product with a valid ≥3★ certificate; returns the placement entry."""
        today = self._today()
        ensure_placeable(
            await self._repo.certification(product_id), today, until=venue.valid_through
        )
        certification = await self._repo.certification_doc(product_id)
        assert certification is not None
        await self._repo.index_venue(venue.venue_id, venue.kind.value, product_id)
        for _ in range(ATTEMPTS):
            doc = await self._repo.get("placements", product_id) or {}
            version = int(doc.get("version", 0))
            entries: list[Document] = list(doc.get("entries", []))
            if any(_active_at(e, venue.venue_id) for e in entries):
                raise Conflict(
                    f"product {product_id} is already placed at {venue.kind} {venue.venue_id}",
                    field="product_id",
                )
            if check_room is not None:
                check_room(await self._repo.placements_at(venue.venue_id))
            entry: Document = {
                # An online listing is a venue of its own: its id is the placement's id.
                "placement_id": venue.venue_id
                if venue.kind is VenueKind.ONLINE
                else f"plc-{uuid.uuid4().hex[:12]}",
                "product_id": product_id,
                "venue_kind": venue.kind.value,
                "venue_id": venue.venue_id,
                "venue_name": venue.name,
                "booth_code": placement.booth_code,
                "channel": placement.channel,
                "url": placement.url,
                "since": today.isoformat(),
                "state": "active",
                "delisted_on": None,
                "reason": None,
            }
            province = str(certification.get("province_code") or "00")
            event = ProductShowcased(
                producer=SERVICE,
                aggregate_id=product_id,
                aggregate_version=version + 1,
                province_code=province,
                product_id=product_id,
                venue_kind=venue.kind,
                venue_id=venue.venue_id,
                venue_name=venue.name[:300],
                since=today,
                booth_code=placement.booth_code,
                **trace_fields(),
            )
            fields = {"entries": [*entries, entry], "province_code": province}
            if await self._write(product_id, version, fields, [event]):
                return entry
        raise Conflict("the product's placements kept changing; try again", field="product_id")

    async def delist(self, product_id: str, venue_id: str, reason: DelistReason) -> Document:
        """Take a product out of one venue by hand."""
        for _ in range(ATTEMPTS):
            doc = await self._repo.get("placements", product_id)
            entries: list[Document] = list((doc or {}).get("entries", []))
            if doc is None or not any(_active_at(e, venue_id) for e in entries):
                raise NotFound(f"product {product_id} is not placed at {venue_id}")
            written = await self._delist_where(doc, lambda e: _active_at(e, venue_id), reason, None)
            if written is not None:
                return written[0]
        raise Conflict("the product's placements kept changing; try again", field="product_id")

    async def delist_everywhere(
        self, product_id: str, reason: DelistReason, certificate_id: str | None
    ) -> int:
        """Take a product out of every venue (certificate lapsed, product withdrawn).
        Idempotent: a product with no active placement is left alone. Returns how many."""
        for _ in range(ATTEMPTS):
            doc = await self._repo.get("placements", product_id)
            if doc is None:
                return 0
            written = await self._delist_where(
                doc, lambda e: e.get("state") == "active", reason, certificate_id
            )
            if written is not None:
                return len(written)
        raise Conflict(f"placements of {product_id} kept changing while delisting")

    async def _delist_where(
        self,
        doc: Document,
        which: Callable[[Document], bool],
        reason: DelistReason,
        certificate_id: str | None,
    ) -> list[Document] | None:
        """Delist the matching entries in one write; None when the document changed meanwhile."""
        product_id = str(doc["_id"])
        version = int(doc["version"])
        today = self._today()
        entries: list[Document] = []
        delisted: list[Document] = []
        events: list[Any] = []
        for entry in doc.get("entries", []):
            if which(entry):
                entry = {
                    **entry,
                    "state": "delisted",
                    "delisted_on": today.isoformat(),
                    "reason": reason.value,
                }
                delisted.append(entry)
                events.append(
                    ProductDelisted(
                        producer=SERVICE,
                        aggregate_id=product_id,
                        aggregate_version=version + len(events) + 1,
                        province_code=str(doc.get("province_code") or "00"),
                        product_id=product_id,
                        venue_kind=VenueKind(entry["venue_kind"]),
                        venue_id=entry["venue_id"],
                        reason=reason,
                        delisted_on=today,
                        certificate_id=certificate_id,
                        **trace_fields(),
                    )
                )
            entries.append(entry)
        if not events:
            return []
        # The aggregate version advances once per event, so every event has its own version.
        ok = await self._write(product_id, version, {"entries": entries}, events, bump=len(events))
        return delisted if ok else None

    async def _write(
        self, product_id: str, version: int, fields: Document, events: list[Any], bump: int = 1
    ) -> bool:
        from ocop_promotion.adapters.repository import VersionConflict

        try:
            await self._repo.upsert_placements(product_id, version, fields, events, bump=bump)
        except VersionConflict:
            return False
        self._notify()
        return True

    async def province_of(self, product_id: str) -> str | None:
        """The product's province as evaluation last stated it (None: not known yet)."""
        doc = await self._repo.certification_doc(product_id)
        return None if doc is None else doc.get("province_code")

    async def eligibility(self, product_id: str) -> Document:
        """Whether the product may be placed today, and if not, why."""
        certification = await self._repo.certification(product_id)
        reason = None
        try:
            ensure_placeable(certification, self._today())
        except DomainError as exc:
            reason = exc.message
        return {
            "product_id": product_id,
            "placeable": reason is None,
            "reason": reason,
            "certificate_id": certification.certificate_id if certification else None,
            "stars": certification.stars if certification else None,
            "valid_until": certification.valid_until if certification else None,
            "status": certification.status if certification else None,
            "rated_stars": certification.rated_stars if certification else None,
        }

    async def placements_of(self, product_id: str) -> Document:
        doc = await self._repo.get("placements", product_id)
        if doc is None:
            return {"product_id": product_id, "entries": []}
        return {"product_id": product_id, "entries": doc.get("entries", [])}

    async def on_display_at(self, venue_id: str) -> list[Document]:
        """Active placements at a venue, oldest first."""
        docs = await self._repo.placements_at(venue_id)
        active = [e for d in docs for e in d.get("entries", []) if _active_at(e, venue_id)]
        return sorted(active, key=lambda e: (e["since"], e["placement_id"]))


def _active_at(entry: Document, venue_id: str) -> bool:
    return bool(entry.get("venue_id") == venue_id and entry.get("state") == "active")


def require_booth(booth_code: str | None) -> str:
    if not booth_code:
        raise DomainError("choose the booth the product goes to", field="booth_code")
    return booth_code
