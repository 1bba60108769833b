"""Events owned by the evaluation service (topic ocop.evaluation.v1)."""

from datetime import date
from typing import Literal

from pydantic import Field, model_validator

from ocop_contracts.envelope import Event
from ocop_contracts.vocabulary import RatingLevel


class ProductRated(Event):
    """Emitted by evaluation when a council's result for a product is final.

    Aggregate: the product (its rating history), so a product's ratings stay in order.
    ``previous_stars`` is 0 for a product that was never rated.
    """

    type: Literal["ProductRated"] = "ProductRated"
    product_id: str
    score: float = Field(ge=0, le=100, description="Council average, 0–100 points.")
    stars: int = Field(ge=1, le=5)
    previous_stars: int = Field(default=0, ge=0, le=5)
    level: RatingLevel
    rule_set_id: str = Field(description="Rule set the rating used, e.g. qd26-2026.")
    round_id: str | None = None
    rated_on: date
    scoring_set_code: str
    commune_code: str | None = None

    @model_validator(mode="after")
    def _five_stars_are_central(self) -> "ProductRated":
        if self.stars == 5 and self.level is not RatingLevel.CENTRAL:
            raise ValueError("5★ can only be awarded by the central council (level=central)")
        return self

    @property
    def newly_certified(self) -> bool:
        """Reached ≥3★ now without having held it before (first certification)."""
        return self.stars >= 3 > self.previous_stars

    @property
    def upgraded(self) -> bool:
        return self.stars > self.previous_stars >= 3
