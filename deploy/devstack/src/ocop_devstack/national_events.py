"""The national data set (ocop_devstack.national) as the fact events the services emit for it,
on their canonical topics, without running the services: for benchmarks of what consumes them
(reporting's rebuild, bench/reporting_rebuild.py). Pure.

What each service would publish once bench/national.py has loaded the set:

- registry: `EntityRegistered` per producer and `ProductRegistered` per product, dated the
  load day (`BENCH_DAY`, the services' pinned date), their `legacy_unit` the producer's 2008
  province (the old address the import gives);
- evaluation, per product in the order it numbers them: each rating (`ProductRated`, version 2,
  `legacy_unit` as its copy of the product holds it), a `ProductProposedForNational` for ≥90
  points at the province, the certificate of a ≥3★ rating (`CertificateIssued`), a
  `CertificateRenewalDue` before a renewal or an expiry, and the `CertificateExpired`;
- promotion: an online listing (`ProductShowcased`) of a placed product still certified on the
  load day.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time
from typing import Any

from ocop_contracts import Event, ProductRated, ProductRegistered, RatingLevel, topics
from ocop_contracts.events.evaluation import (
    CertificateExpired,
    CertificateIssued,
    CertificateRenewalDue,
    ProductProposedForNational,
)
from ocop_contracts.events.promotion import ProductShowcased
from ocop_contracts.events.registry import EntityRegistered
from ocop_contracts.legacy import LegacyUnit
from ocop_contracts.vocabulary import LegalForm, VenueKind
from ocop_devstack.national import NationalDataSet, Producer, Product, Rating
from ocop_devstack.national_load import BENCH_DAY, listings
from ocop_evaluation.domain.calendar import certificate_dates
from ocop_evaluation.domain.rules import rule_set_in_force

Fact = tuple[str, Event]  # (canonical topic, event)


def fact_events(
    data: NationalDataSet, day: date = BENCH_DAY, *, old_units: bool = True
) -> list[Fact]:
    """Every fact event of the data set, in an order the services could have emitted them;
    `old_units` False leaves out the products' legacy units (as a registry that was never told
    the producers' old addresses emits them)."""
    if not old_units:
        data = _without_old_units(data)
    facts: list[Fact] = [(topics.REGISTRY, _entity(p, day)) for p in data.producers]
    facts += [(topics.REGISTRY, _product(p, day)) for p in data.products]
    for product in data.products:
        facts += [(topics.EVALUATION, e) for e in _evaluation(product)]
    facts += [(topics.PROMOTION, _listing(p, day)) for p in listings(data, day)]
    return facts


def _without_old_units(data: NationalDataSet) -> NationalDataSet:
    producers = {p.entity_id: replace(p, legacy_province_code="") for p in data.producers}
    products = [replace(p, producer=producers[p.producer.entity_id]) for p in data.products]
    return NationalDataSet(tuple(producers.values()), tuple(products), data.province_sizes)


def _at(day: date) -> datetime:
    return datetime.combine(day, time(3), tzinfo=UTC)  # 10:00 in Vietnam


def _envelope(
    service: str, aggregate_id: str, version: int, province: str, day: date
) -> dict[str, Any]:
    return {
        "producer": service,
        "aggregate_id": aggregate_id,
        "aggregate_version": version,
        "province_code": province,
        "occurred_at": _at(day),
    }


def _entity(producer: Producer, day: date) -> EntityRegistered:
    return EntityRegistered(
        **_envelope("registry", producer.entity_id, 1, producer.province_code, day),
        entity_id=producer.entity_id,
        name=producer.name,
        legal_form=LegalForm(producer.legal_form),
        commune_code=producer.commune_code,
        women_led=producer.women_led,
        ethnic_minority_led=producer.ethnic_minority_led,
        legacy_unit=_old_unit(producer),
    )


def _old_unit(producer: Producer) -> LegacyUnit | None:
    old = producer.legacy_province_code
    return LegacyUnit(province_code=old) if old else None


def _legacy(product: Product) -> LegacyUnit | None:
    return _old_unit(product.producer)


def _product(product: Product, day: date) -> ProductRegistered:
    owner = product.producer
    n = int(product.product_id.rsplit("-", 1)[1])
    return ProductRegistered(
        **_envelope("registry", product.product_id, 1, owner.province_code, day),
        product_id=product.product_id,
        product_code=f"{owner.province_code}-{owner.commune_code}-{n + 1}-{day.year}",
        name=product.name,
        entity_id=owner.entity_id,
        legal_form=LegalForm(owner.legal_form),
        scoring_set_code=product.scoring_set_code,
        commune_code=owner.commune_code,
        women_led=owner.women_led,
        ethnic_minority_led=owner.ethnic_minority_led,
        legacy_unit=_legacy(product),
    )


class _History:
    """One product's evaluation events, numbered as evaluation numbers them."""

    def __init__(self, product: Product) -> None:
        self.product = product
        self.events: list[Event] = []

    def envelope(self, day: date) -> dict[str, Any]:
        province = self.product.producer.province_code
        version = len(self.events) + 1
        fields = _envelope("evaluation", self.product.product_id, version, province, day)
        return {**fields, "legacy_unit": _legacy(self.product)}

    def add(self, event: Event) -> None:
        self.events.append(event)


def _evaluation(product: Product) -> list[Event]:
    history = _History(product)
    previous = 0
    for k, rating in enumerate(product.ratings):
        _rate(history, rating, previous)
        if rating.stars >= 3:
            _certify(history, rating, k)
        previous = rating.stars
    if product.expired_on is not None:
        _expire(history, product.ratings[-1], product.expired_on)
    return history.events


def _rate(history: _History, rating: Rating, previous: int) -> None:
    product = history.product
    rules = rule_set_in_force(rating.rated_on).rule_set_id
    level = RatingLevel.CENTRAL if rating.stars == 5 else RatingLevel.PROVINCE
    history.add(
        ProductRated(
            **history.envelope(rating.rated_on),
            product_id=product.product_id,
            score=rating.score,
            stars=rating.stars,
            previous_stars=previous,
            level=level,
            rule_set_id=rules,
            rated_on=rating.rated_on,
            scoring_set_code=product.scoring_set_code,
            commune_code=product.producer.commune_code,
        )
    )
    if rating.proposed_for_national:
        history.add(
            ProductProposedForNational(
                **history.envelope(rating.rated_on),
                product_id=product.product_id,
                score=rating.score,
                rule_set_id=rules,
                proposed_on=rating.rated_on,
            )
        )


def _certificate_id(product: Product, k: int) -> str:
    return f"{product.product_id.upper()}-{k + 1}"


def _certify(history: _History, rating: Rating, k: int) -> None:
    product = history.product
    rules = rule_set_in_force(rating.rated_on)
    dates = certificate_dates(
        rating.rated_on, rules.certificate_validity_months, rules.renewal_window_days
    )
    certificate = _certificate_id(product, k)
    if k > 0:  # the renewal's window opened on the certificate it renews
        _renewal_due(history, product.ratings[k - 1], k - 1)
    history.add(
        CertificateIssued(
            **history.envelope(rating.rated_on),
            certificate_id=certificate,
            product_id=product.product_id,
            stars=rating.stars,
            level=RatingLevel.CENTRAL if rating.stars == 5 else RatingLevel.PROVINCE,
            decision_ref=f"{certificate}/QĐ-UBND",
            issued_on=rating.rated_on,
            valid_until=dates.valid_until,
            rule_set_id=rules.rule_set_id,
            replaces_certificate_id=_certificate_id(product, k - 1) if k > 0 else None,
        )
    )


def _renewal_due(history: _History, rating: Rating, k: int) -> None:
    rules = rule_set_in_force(rating.rated_on)
    dates = certificate_dates(
        rating.rated_on, rules.certificate_validity_months, rules.renewal_window_days
    )
    history.add(
        CertificateRenewalDue(
            **history.envelope(dates.renewal_opens_on),
            certificate_id=_certificate_id(history.product, k),
            product_id=history.product.product_id,
            stars=rating.stars,
            valid_until=dates.valid_until,
            window_opens_on=dates.renewal_opens_on,
            window_closes_on=dates.renewal_closes_on,
        )
    )


def _expire(history: _History, rating: Rating, on: date) -> None:
    k = len(history.product.ratings) - 1
    _renewal_due(history, rating, k)
    history.add(
        CertificateExpired(
            **history.envelope(on),
            certificate_id=_certificate_id(history.product, k),
            product_id=history.product.product_id,
            stars=rating.stars,
            expired_on=on,
        )
    )


def _listing(product: Product, day: date) -> ProductShowcased:
    owner = product.producer
    return ProductShowcased(
        **_envelope("promotion", product.product_id, 1, owner.province_code, day),
        product_id=product.product_id,
        venue_kind=VenueKind.ONLINE,
        venue_id=f"online-{product.product_id}",
        since=day,
    )
