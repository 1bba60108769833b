"""Webhook subscriptions and their delivery log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from ocop_promotion.domain.feed import Change
from ocop_promotion.domain.webhooks import DeliveryStatus
from ocop_promotion.entrypoints.api.schemas.common import ProvinceCode


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
