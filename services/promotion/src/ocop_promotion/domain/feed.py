"""The newly-starred feed: which ratings a promotion team must hear about. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ocop_contracts import ProductRated


@dataclass(frozen=True)
class FeedEntry:
    entry_id: str
    product_id: str
    province_code: str
    scoring_set_code: str
    from_stars: int
    to_stars: int
    score: float
    rated_on: date
    product_name: str | None = None


def feed_entry_for(event: ProductRated, product_name: str | None) -> FeedEntry | None:
    """A product newly reaching ≥3★ (first certification or upgrade) appears once."""
    if not (event.newly_certified or event.upgraded):
        return None
    return FeedEntry(
        # One entry per rating of a product: a redelivered event maps to the same id.
        entry_id=f"{event.product_id}:{event.aggregate_version}",
        product_id=event.product_id,
        province_code=event.province_code,
        scoring_set_code=event.scoring_set_code,
        from_stars=event.previous_stars,
        to_stars=event.stars,
        score=event.score,
        rated_on=event.rated_on,
        product_name=product_name,
    )
