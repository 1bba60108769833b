"""A product's ratings and certificates as evaluation shows them, and its next-star report."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel

from ocop_contracts import ProductRated, RatingLevel
from ocop_evaluation.domain.certificates import Certificate
from ocop_evaluation.domain.scoring import Lift, UnmetMinimum
from ocop_evaluation.service_layer.products import NextStarReport, ProductEvaluation


class RatingPublic(BaseModel):
    event_id: str
    product_id: str
    score: float
    stars: int
    previous_stars: int
    level: RatingLevel
    rule_set_id: str
    rated_on: date

    @classmethod
    def of(cls, rating: ProductRated) -> RatingPublic:
        return cls(
            event_id=str(rating.event_id),
            **rating.model_dump(include=set(cls.model_fields) - {"event_id"}),
        )


class ProductEvaluationView(BaseModel):
    product_id: str
    name: str | None
    province_code: str
    scoring_set_code: str
    stars: int
    score: float | None
    level: RatingLevel | None
    rule_set_id: str | None
    rated_on: date | None
    certificate: Certificate | None
    past_certificates: list[Certificate]

    @classmethod
    def of(cls, found: ProductEvaluation) -> ProductEvaluationView:
        facts, product = found.registered, found.product
        return cls(
            product_id=facts.product_id,
            name=facts.name,
            province_code=facts.province_code,
            scoring_set_code=facts.scoring_set_code,
            stars=product.stars,
            score=product.score,
            level=product.level,
            rule_set_id=product.rule_set_id,
            rated_on=product.rated_on,
            certificate=product.certificate,
            past_certificates=product.past_certificates,
        )


class NextStarView(BaseModel):
    product_id: str
    product_name: str | None
    score: float
    current_stars: int
    next_stars: int | None
    points_needed: float
    decided_by: str | None
    unmet_minima: list[UnmetMinimum]
    lifts: list[Lift]
    rule_set_id: str

    @classmethod
    def of(cls, report: NextStarReport) -> NextStarView:
        gap = report.gap
        return cls(
            product_id=report.registered.product_id,
            product_name=report.registered.name,
            score=gap.score,
            current_stars=gap.current_stars,
            next_stars=gap.next_stars,
            points_needed=gap.points_needed,
            decided_by=gap.decided_by,
            unmet_minima=gap.unmet_minima,
            lifts=gap.lifts,
            rule_set_id=report.sheet.rule_set_id,
        )
