"""Webhook subscriptions to the feed, and their delivery log."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from ocop_platform.auth import ALL_PROVINCES, Principal
from ocop_platform.errors import DomainError
from ocop_platform.mongo import Document
from ocop_promotion.domain.feed import FeedFilter
from ocop_promotion.domain.webhooks import DeliveryStatus
from ocop_promotion.entrypoints.api.deps import (
    Page,
    PageSize,
    PromoterDep,
    PromotionDep,
    classification,
    ensure_province,
)
from ocop_promotion.entrypoints.api.schemas.subscriptions import (
    DeliveryOut,
    DeliveryPage,
    SubscriptionCreated,
    SubscriptionFilterIn,
    SubscriptionIn,
    SubscriptionOut,
)

router = APIRouter(prefix="/subscriptions", tags=["subscriptions"])


def _subscription_out(doc: Document) -> dict[str, Any]:
    return {**doc, "subscription_id": doc["_id"]}


def _delivery_out(doc: Document) -> DeliveryOut:
    return DeliveryOut.model_validate({**doc, "delivery_id": doc["_id"]})


def _feed_filter(principal: Principal, body: SubscriptionFilterIn) -> FeedFilter:
    """The filter asked for, if the caller's token covers its provinces."""
    if body.province_codes:
        for code in body.province_codes:
            ensure_province(principal, code)
    elif not principal.may_act_in(ALL_PROVINCES):
        covered = ", ".join(sorted(principal.provinces)) or "none"
        raise DomainError(
            f"list the provinces to follow; your token covers {covered}",
            field="filter.province_codes",
        )
    return FeedFilter(
        province_codes=tuple(dict.fromkeys(body.province_codes)),
        classification_codes=classification(
            body.classification_codes, "filter.classification_codes"
        ),
        min_stars=body.min_stars,
        changes=tuple(dict.fromkeys(body.changes)),
    )


@router.post("", status_code=status.HTTP_201_CREATED, response_model=SubscriptionCreated)
async def subscribe(
    body: SubscriptionIn, service: PromotionDep, principal: PromoterDep
) -> dict[str, Any]:
    """Be told of new feed entries matching the filter by a signed webhook (see the service
    README for how to verify X-OCOP-Signature)."""
    flt = _feed_filter(principal, body.filter)
    doc = await service.create_subscription(body.name, str(body.url), flt, principal.subject)
    return _subscription_out(doc)


@router.get("", response_model=list[SubscriptionOut])
async def subscriptions(
    service: PromotionDep,
    _: PromoterDep,
    include_deleted: bool = False,
) -> list[dict[str, Any]]:
    docs = await service.subscriptions(active_only=not include_deleted)
    return [_subscription_out(d) for d in docs]


@router.get("/{subscription_id}", response_model=SubscriptionOut)
async def subscription(
    subscription_id: str, service: PromotionDep, _: PromoterDep
) -> dict[str, Any]:
    return _subscription_out(await service.subscription(subscription_id))


@router.delete(
    "/{subscription_id}", status_code=status.HTTP_204_NO_CONTENT, response_class=Response
)
async def unsubscribe(subscription_id: str, service: PromotionDep, _: PromoterDep) -> Response:
    """Stop deliveries; pending ones are cancelled (the log stays readable)."""
    await service.delete_subscription(subscription_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{subscription_id}/deliveries", response_model=DeliveryPage)
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


@router.post(
    "/{subscription_id}/deliveries/{delivery_id}/redeliver",
    response_model=DeliveryOut,
    status_code=status.HTTP_202_ACCEPTED,
)
async def redeliver(
    subscription_id: str, delivery_id: str, service: PromotionDep, _: PromoterDep
) -> DeliveryOut:
    """Send a delivered, failed or cancelled delivery again (same X-OCOP-Delivery id)."""
    return _delivery_out(await service.redeliver(subscription_id, delivery_id))
