"""The rules of the derived metrics beyond a plain filter on one read model: which rating counts a
product, which producers are new (of a legal form, with a participating product), which products
and producers took part in fairs. Pure, over facts as stored (ISO days)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ocop_contracts import TargetMetric
from ocop_reporting.domain.progress import Target
from ocop_reporting.domain.units import commune_in

Doc = Mapping[str, Any]


def rating_counts(target: Target, rating: Doc) -> bool:
    """Whether a rating counts its product towards a rating-based target."""
    stars = target.min_stars or 3
    match target.metric:
        case TargetMetric.CERTIFIED_PRODUCTS:
            return bool(rating["stars"] >= stars and rating["previous_stars"] < stars)
        case TargetMetric.UPGRADED_PRODUCTS:
            return _upgrade_counts(target, rating)
        case TargetMetric.NATIONAL_PROPOSALS:
            return bool(rating["score"] >= 90)
        case TargetMetric.FIVE_STAR_PRODUCTS:
            return bool(rating["stars"] == 5 and rating["previous_stars"] < 5)
        case _:
            return False


def _upgrade_counts(target: Target, rating: Doc) -> bool:
    """An upgrade to at least `min_stars` (4 by default); from exactly `from_stars` when set, so
    a 3★→4★ target does not count 4★→5★."""
    if not rating.get("upgraded") or rating["stars"] < max(target.min_stars or 3, 4):
        return False
    return target.from_stars is None or rating["previous_stars"] == target.from_stars


def of_legal_forms(target: Target, legal_form: str | None) -> bool:
    """A producer of the forms the target narrows to (all forms when it names none)."""
    return not target.legal_forms or legal_form in target.legal_forms


def new_producers(target: Target, entities: Iterable[Doc], products: Iterable[Doc]) -> int:
    """Producers recorded in the target's unit and period (`entities`, already so filtered) of
    its legal forms; for `new_participating_producers` only those with a product registered by
    the end of the count (`products`: product facts up to that day)."""
    found = {str(e["_id"]) for e in entities if of_legal_forms(target, e.get("legal_form"))}
    if target.metric is TargetMetric.NEW_PARTICIPATING_PRODUCERS:
        found &= {str(p.get("entity_id")) for p in products}
    return len(found)


def target_communes(target: Target) -> frozenset[str]:
    """The communes a commune's or a former district's target counts (none: its whole unit)."""
    return frozenset({target.commune_code} if target.commune_code else target.commune_codes)


def in_communes(target: Target, fact: Doc) -> bool:
    """Whether a fact is in the target's communes: a plan of before the merger (2008 edition)
    names the communes of its time and matches the fact's commune then, a 2025 plan today's
    (domain/units.commune_in). A target of a whole unit takes every fact."""
    communes = target_communes(target)
    return not communes or commune_in(fact, target.province_edition) in communes


def fair_participation(
    target: Target, placements: Iterable[Doc], products: Mapping[str, Doc]
) -> int:
    """Distinct products (`fair_products`) or their producers (`fair_producers`) placed in fairs:
    `placements` are fair placements of the unit and period; `products` the product facts by id,
    which give the commune (a district's target: the product's commune when it was registered,
    `in_communes`) and the producer."""
    seen: set[str] = set()
    for placement in placements:
        product = products.get(str(placement["product_id"]), {})
        if not in_communes(target, product):
            continue
        if target.metric is TargetMetric.FAIR_PRODUCTS:
            seen.add(str(placement["product_id"]))
        elif product.get("entity_id") and of_legal_forms(target, product.get("legal_form")):
            seen.add(str(product["entity_id"]))
    return len(seen)
