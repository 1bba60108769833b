"""Products: ratings recorded directly, a product's stars and certificates, the next-star report."""

from __future__ import annotations

from dataclasses import dataclass

from ocop_contracts import ProductRated, RatingLevel
from ocop_evaluation.domain.decisions import CouncilSheet
from ocop_evaluation.domain.products import Product, RegisteredProduct
from ocop_evaluation.domain.records import points_of
from ocop_evaluation.domain.rules import rule_set
from ocop_evaluation.domain.scoring import NextStar, next_star
from ocop_evaluation.service_layer.access import (
    EVALUATORS,
    ensure_national,
    product_scope,
)
from ocop_evaluation.service_layer.base import UseCases
from ocop_evaluation.service_layer.commands import RecordRating
from ocop_platform.errors import NotFound
from ocop_platform.identity import Principal, ensure_may_read, ensure_may_write


@dataclass(frozen=True)
class ProductEvaluation:
    registered: RegisteredProduct
    product: Product


@dataclass(frozen=True)
class NextStarReport:
    registered: RegisteredProduct
    sheet: CouncilSheet
    gap: NextStar


class Products(UseCases):
    async def record_rating(self, cmd: RecordRating, who: Principal) -> ProductRated:
        """A council's final total recorded directly (historical ratings; no dossier)."""
        facts = await self.registered(cmd.product_id)
        ensure_may_write(who, product_scope(facts), EVALUATORS)
        if cmd.level is RatingLevel.CENTRAL:
            ensure_national(who, "only the Ministry records central results", "level")
        return await self.change_product(
            facts.product_id,
            lambda product: product.rate(
                facts,
                score=cmd.score,
                level=cmd.level,
                rated_on=cmd.rated_on,
                round_id=cmd.round_id,
            ),
        )

    async def evaluation(self, product_id: str) -> ProductEvaluation:
        """Stars, rating and certificates of a product known here."""
        facts = await self.known(product_id)
        return ProductEvaluation(facts, await self.product(product_id))

    async def next_star(self, product_id: str, who: Principal) -> NextStarReport:
        """What stands between a product and its next star, from its latest council sheet
        (criterion-level results: the producer's, its units' and the Ministry's to read)."""
        facts = await self.known(product_id)
        ensure_may_read(who, product_scope(facts))
        sheet = (await self.product(product_id)).latest_sheet
        if sheet is None:
            raise NotFound(
                f"product {product_id} has no council score sheet yet: the report needs the "
                "criterion-level result of a council",
                field="product_id",
            )
        rules = rule_set(sheet.rule_set_id)
        rubric = None if rules is None else rules.rubrics.get(sheet.rubric_id)
        if rules is None or rubric is None:
            raise NotFound(f"rubric {sheet.rubric_id} is no longer shipped", field="product_id")
        gap = next_star(rules, rubric, points_of(sheet.criterion_points), sheet.score)
        return NextStarReport(facts, sheet, gap)
