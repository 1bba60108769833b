"""Online listings (a product in a shop or marketplace)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, model_validator


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
