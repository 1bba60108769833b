"""Media and other promotion activities (news items, TV reports…)."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, status

from ocop_contracts.vocabulary import ActivityKind
from ocop_promotion.domain.activities import Activity, ActivityDetails
from ocop_promotion.entrypoints.api.deps import (
    Page,
    PageSize,
    PromoterDep,
    ProvinceFilter,
    VenuesDep,
    ensure_province,
)
from ocop_promotion.entrypoints.api.schemas.activities import ActivityIn, ActivityOut, ActivityPage

router = APIRouter(prefix="/activities", tags=["promotion activities"])


def _activity_out(activity: Activity) -> ActivityOut:
    return ActivityOut.model_validate(
        {**activity.model_dump(by_alias=True), "activity_id": activity.id}
    )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ActivityOut)
async def record_activity(
    body: ActivityIn, venues: VenuesDep, principal: PromoterDep
) -> ActivityOut:
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
        legacy_unit=body.legacy_unit,
    )
    return _activity_out(await venues.record_activity(details))


@router.get("", response_model=ActivityPage)
async def activities(
    venues: VenuesDep,
    province_code: ProvinceFilter = None,
    kind: ActivityKind | None = None,
    occurred_from: date | None = None,
    occurred_to: date | None = None,
    page: Page = 1,
    page_size: PageSize = 50,
) -> ActivityPage:
    """Activities newest first; `total` counts them (e.g. TV reports of a province in a year)."""
    found, total = await venues.activities(
        province_code, kind, occurred_from, occurred_to, page, page_size
    )
    items = [_activity_out(activity) for activity in found]
    return ActivityPage(items=items, total=total, page=page, page_size=page_size)
