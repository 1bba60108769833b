"""Media and other promotion activities (news items, TV reports…): recorded once, with
``PromotionActivityRecorded``. Pure."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date

from pydantic import Field

from ocop_contracts.events.promotion import PromotionActivityRecorded
from ocop_contracts.legacy import LegacyUnit
from ocop_contracts.vocabulary import ActivityKind
from ocop_platform.logging import trace_fields
from ocop_promotion.domain.placements import SERVICE
from ocop_promotion.domain.venues import TextNormalised, check_legacy_unit


@dataclass(frozen=True)
class ActivityDetails:
    kind: ActivityKind
    title: str
    occurred_on: date
    province_code: str
    outlet: str = ""
    url: str | None = None
    product_ids: tuple[str, ...] = ()
    legacy_unit: LegacyUnit | None = None


class Activity(TextNormalised):
    kind = "activity"

    # stored as ``kind``; ``kind`` is the aggregate's type name
    activity_kind: ActivityKind = Field(alias="kind")
    title: str
    occurred_on: date
    province_code: str
    outlet: str = ""
    url: str | None = None
    product_ids: list[str] = Field(default_factory=list)
    legacy_unit: LegacyUnit | None = None

    @classmethod
    def record_new(cls, activity_id: str, details: ActivityDetails) -> Activity:
        check_legacy_unit(
            details.legacy_unit, details.province_code, details.occurred_on, "activity"
        )
        fields = {**asdict(details), "legacy_unit": details.legacy_unit}  # kept as the model
        activity = cls.model_validate({**fields, "_id": activity_id})
        activity.record(
            PromotionActivityRecorded(
                producer=SERVICE,
                aggregate_id=activity.id,
                aggregate_version=activity.next_version,
                province_code=activity.province_code,
                activity_id=activity.id,
                kind=activity.activity_kind,
                title=activity.title,
                occurred_on=activity.occurred_on,
                url=details.url,
                product_ids=details.product_ids,
                legacy_unit=activity.legacy_unit,
                **trace_fields(),
            )
        )
        return activity
