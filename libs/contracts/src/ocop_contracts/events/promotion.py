"""Events owned by the promotion service (topic ocop.promotion.v1)."""

from datetime import date
from typing import Literal

from pydantic import Field

from ocop_contracts import topics
from ocop_contracts.envelope import CommuneCode, Event
from ocop_contracts.legacy import LegacyUnit
from ocop_contracts.vocabulary import ActivityKind, DelistReason, VenueKind

_V2 = (
    "2: province_code is the 2025 province whatever the date (a fact dated before 1 July 2025 in a "
    "merged province is counted in today's province only, unless it carries legacy_unit). 1 "
    "(older and hand-made events): province_code in the edition in force that day."
)
_FAIR_UNIT = (
    "The 2008-edition unit the fair was held in, when it took place before 1 July 2025 and the "
    "promoter recorded it (a fair entered as history; absent when unknown). The fair is "
    "attributed to it; province_code stays the 2025 province."
)
_PLACEMENT_UNIT = (
    "The 2008-edition unit of a placement entered as history and dated before 1 July 2025: a "
    "past fair's, when the fair was recorded with its old unit in the product's own province; "
    "the product's then, as the promoter gave it for a showroom (absent otherwise)."
)
_ACTIVITY_UNIT = (
    "The 2008-edition unit the activity was for, when it took place before 1 July 2025 and the "
    "promoter recorded it (absent when unknown). The activity is attributed to it; province_code "
    "stays the 2025 province."
)


class FairScheduled(Event):
    """Emitted by promotion when a trade fair is scheduled or its details change. Aggregate: the
    fair."""

    type: Literal["FairScheduled"] = "FairScheduled"
    schema_version: int = Field(default=2, ge=1, description=_V2)
    fair_id: str
    name: str = Field(min_length=1, max_length=300)
    place: str = Field(min_length=1, max_length=300)
    organiser: str = Field(default="", max_length=300)
    starts_on: date
    ends_on: date
    commune_code: CommuneCode | None = None
    legacy_unit: LegacyUnit | None = Field(default=None, description=_FAIR_UNIT)
    historic: bool = Field(
        default=False,
        description="Recorded after it was over (POST /fairs/history), with its real dates.",
    )


class ProductShowcased(Event):
    """Emitted by promotion when a product is placed in a fair, a showroom or sales point, or an
    online shop. Aggregate: the product's placements (key: product id)."""

    type: Literal["ProductShowcased"] = "ProductShowcased"
    schema_version: int = Field(default=2, ge=1, description=_V2)
    product_id: str
    venue_kind: VenueKind
    venue_id: str
    venue_name: str = Field(default="", max_length=300)
    since: date
    booth_code: str | None = Field(default=None, max_length=50, description="Fairs: the booth.")
    legacy_unit: LegacyUnit | None = Field(default=None, description=_PLACEMENT_UNIT)


class ProductDelisted(Event):
    """Emitted by promotion when a product is taken out of a venue; automatic on certificate
    expiry or revocation. Aggregate: the product's placements (key: product id)."""

    type: Literal["ProductDelisted"] = "ProductDelisted"
    product_id: str
    venue_kind: VenueKind
    venue_id: str
    reason: DelistReason
    delisted_on: date
    certificate_id: str | None = Field(
        default=None, description="The expired or revoked certificate, when that is the reason."
    )


class PromotionActivityRecorded(Event):
    """Emitted by promotion when a media or promotion activity is recorded (news items and TV
    reports count towards province targets). Aggregate: the activity."""

    type: Literal["PromotionActivityRecorded"] = "PromotionActivityRecorded"
    schema_version: int = Field(default=2, ge=1, description=_V2)
    activity_id: str
    kind: ActivityKind
    title: str = Field(min_length=1, max_length=500)
    occurred_on: date
    url: str | None = Field(default=None, max_length=2000)
    product_ids: tuple[str, ...] = ()
    legacy_unit: LegacyUnit | None = Field(default=None, description=_ACTIVITY_UNIT)


class ProductNewlyStarred(Event):
    """Emitted by promotion when a product newly reaches ≥3★ (first certification or upgrade):
    one per entry of the newly-starred feed, for systems that prefer Kafka to webhooks.
    Aggregate: the product (version = the version of the ProductRated that caused it)."""

    type: Literal["ProductNewlyStarred"] = "ProductNewlyStarred"
    feed_entry_id: str
    product_id: str
    product_name: str | None = None
    change: Literal["first_certification", "upgrade"]
    from_stars: int = Field(ge=0, le=5)
    to_stars: int = Field(ge=3, le=5)
    score: float = Field(ge=0, le=100)
    rated_on: date
    scoring_set_code: str
    sector_code: str | None = None
    group_code: str | None = None
    commune_code: CommuneCode | None = None
    entity_id: str | None = Field(default=None, description="The producer (chủ thể).")
    entity_name: str | None = None


TOPIC = topics.PROMOTION
# Every event this service publishes on TOPIC; the catalog is built from these tuples.
EVENTS: tuple[type[Event], ...] = (
    FairScheduled,
    ProductShowcased,
    ProductDelisted,
    PromotionActivityRecorded,
    ProductNewlyStarred,
)
