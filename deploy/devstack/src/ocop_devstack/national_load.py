"""How the national data set (ocop_devstack.national) enters the four services, and the
arithmetic of the national benchmark's figures. Pure: `bench/national.py` sends and measures.

The data set goes in the way a province's data would, through the services' own doors:

- producers and products: one registry import (CSV) per province, the producers that have no
  product yet through ``POST /entities``;
- ratings, round by round (every product's first rating, then the renewals): 1–4★ below 90
  points on evaluation's ingest topic, as a province system publishes them; what the ingest
  refuses goes through ``POST /ratings``: ≥90 points at a province (4★, proposed for 5★) and
  5★ (the central council's result);
- every ≥3★ rating's certificate: ``POST /certificates``;
- placements: an online listing (``POST /listings``) for a placed product whose certificate is
  still valid on the benchmark's day (promotion refuses the others, as it should).

The services run with their business date pinned to the data set's last day (``BENCH_DAY``), so
certificates expire and fall due for renewal as the data set says.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from ocop_contracts import ProductRated, RatingLevel
from ocop_devstack.national import NationalDataSet, Producer, Product, Rating
from ocop_evaluation.domain.calendar import certificate_dates
from ocop_evaluation.domain.rules import rule_set_in_force

BENCH_DAY = date(2025, 12, 31)  # the data set's last day: the services' pinned business date
IMPORT_COLUMNS = (
    "producer_name",
    "legal_form",
    "province_code",
    "commune_code",
    "women_led",
    "ethnic_minority_led",
    "product_name",
    "scoring_set_code",
    "year",
    "legacy_province_code",
)
CHANNELS = ("shopee", "lazada", "tiki", "voso", "postmart")
IDEMPOTENCY_KEY = "Idempotency-Key"


# --- producers and products -------------------------------------------------------------------


def by_province(products: Iterable[Product]) -> dict[str, list[Product]]:
    grouped: dict[str, list[Product]] = defaultdict(list)
    for product in products:
        grouped[product.producer.province_code].append(product)
    return dict(grouped)


def import_csv(products: Sequence[Product]) -> bytes:
    """A registry import file: one row per product with its producer; the product's year is
    that of its first rating, its producer's 2008 province its old address (the registry
    derives the product's legacy unit from it)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(IMPORT_COLUMNS)
    for product in products:
        owner = product.producer
        writer.writerow(
            [
                owner.name,
                owner.legal_form,
                owner.province_code,
                owner.commune_code,
                str(owner.women_led).lower(),
                str(owner.ethnic_minority_led).lower(),
                product.name,
                product.scoring_set_code,
                product.ratings[0].rated_on.year,
                owner.legacy_province_code,
            ]
        )
    return buffer.getvalue().encode()


def producers_without_products(data: NationalDataSet) -> list[Producer]:
    """Producers no import row carries: registered one by one."""
    owners = {product.producer.entity_id for product in data.products}
    return [p for p in data.producers if p.entity_id not in owners]


def entity_body(producer: Producer) -> dict[str, Any]:
    return {
        "name": producer.name,
        "legal_form": producer.legal_form,
        "province_code": producer.province_code,
        "commune_code": producer.commune_code,
        "women_led": producer.women_led,
        "ethnic_minority_led": producer.ethnic_minority_led,
        # Its address before the merger: the registry's products of it carry it as legacy_unit.
        "legacy_address": {"province_code": producer.legacy_province_code},
    }


def entity_headers(producer: Producer) -> dict[str, str]:
    """The registry's Idempotency-Key of the producer's ``POST /entities``, from its id in the
    data set: every attempt sends the same, so a retry (a 503 past the deadline, a dropped
    connection) of one the registry saved is answered 200 with it, never a second producer."""
    return {IDEMPOTENCY_KEY: f"national-{producer.entity_id}"}


# --- ratings and certificates ---------------------------------------------------------------


class Route(StrEnum):
    INGEST = "ingest"  # a province system's message on ocop.ingest.evaluation.v1
    PROVINCE = "province"  # POST /ratings at the province: ≥90 points, proposed for 5★
    CENTRAL = "central"  # POST /ratings by the Ministry: the central council's 5★


def route(rating: Rating) -> Route:
    if rating.stars == 5:
        return Route.CENTRAL
    return Route.PROVINCE if rating.score >= 90 else Route.INGEST


@dataclass(frozen=True)
class RatingStep:
    product: Product
    round: int  # 0: the product's first rating, 1: its renewal
    rating: Rating

    @property
    def route(self) -> Route:
        return route(self.rating)

    @property
    def certified(self) -> bool:
        return self.rating.stars >= 3


def rounds(data: NationalDataSet) -> list[list[RatingStep]]:
    """Ratings grouped by round, so a product's certificate follows its rating and its renewal
    follows both (evaluation numbers a product's events in the order they happen)."""
    depth = max(len(p.ratings) for p in data.products)
    return [
        [RatingStep(p, k, p.ratings[k]) for p in data.products if len(p.ratings) > k]
        for k in range(depth)
    ]


def ingest_rating(step: RatingStep, product_id: str) -> ProductRated:
    """The rating as the province's system publishes it on the ingest topic."""
    product, rating = step.product, step.rating
    province = product.producer.province_code
    return ProductRated(
        producer=f"province-{province}",
        aggregate_id=product_id,
        aggregate_version=step.round + 1,
        province_code=province,
        product_id=product_id,
        score=rating.score,
        stars=rating.stars,
        level=RatingLevel.PROVINCE,
        rule_set_id=rule_set_in_force(rating.rated_on).rule_set_id,
        rated_on=rating.rated_on,
        scoring_set_code=product.scoring_set_code,
        commune_code=product.producer.commune_code,
        source_rating_id=f"{product.product_id}-{step.round + 1}",
    )


def rating_body(step: RatingStep, product_id: str) -> dict[str, Any]:
    """``POST /ratings``: the council's total; evaluation works out the stars."""
    level = RatingLevel.CENTRAL if step.route is Route.CENTRAL else RatingLevel.PROVINCE
    return {
        "product_id": product_id,
        "score": step.rating.score,
        "level": level.value,
        "rated_on": step.rating.rated_on.isoformat(),
    }


def certificate_body(step: RatingStep, product_id: str) -> dict[str, Any]:
    number = f"{step.product.product_id.upper()}-{step.round + 1}"
    issuer = "QĐ-BNNMT" if step.rating.stars == 5 else "QĐ-UBND"
    return {
        "product_id": product_id,
        "certificate_id": number,
        "stars": step.rating.stars,
        "decision_ref": f"{number}/{issuer}",
        "issued_on": step.rating.rated_on.isoformat(),
    }


# --- placements -------------------------------------------------------------------------------


def certificate_valid_on(product: Product, day: date) -> bool:
    """Whether the product's latest certificate is still valid on ``day`` (evaluation's rules:
    its validity from the rule set in force on the day it was issued)."""
    rating = product.ratings[-1]
    if rating.stars < 3:
        return False
    rules = rule_set_in_force(rating.rated_on)
    months, window = rules.certificate_validity_months, rules.renewal_window_days
    dates = certificate_dates(rating.rated_on, months, window)
    return day < dates.expires_on


def listings(data: NationalDataSet, day: date = BENCH_DAY) -> list[Product]:
    return [p for p in data.products if p.placed_on and certificate_valid_on(p, day)]


def listing_body(product: Product, product_id: str) -> dict[str, Any]:
    n = int(product.product_id.rsplit("-", 1)[1])
    channel = CHANNELS[n % len(CHANNELS)]
    return {
        "product_id": product_id,
        "channel": channel,
        "url": f"https://{channel}.example.vn/ocop/{product.product_id}",
    }


# --- figures ----------------------------------------------------------------------------------


def percentile(samples: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (p99 of 200 samples is the 198th smallest)."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def count_latencies(sent: Sequence[float], polls: Sequence[tuple[float, int]]) -> list[float]:
    """Latency of each event from a count polled over time: the k-th event sent is taken as
    counted at the first poll whose count reached k (events counted in about the order sent).
    ``sent`` ascending; ``polls`` (time, count since the start) in time order. Events the last
    poll had not counted are left out."""
    latencies: list[float] = []
    polled = iter(polls)
    current = next(polled, None)
    for k, sent_at in enumerate(sent, start=1):
        while current is not None and current[1] < k:
            current = next(polled, None)
        if current is None:
            break
        latencies.append(current[0] - sent_at)
    return latencies


def delay_seconds(sent: datetime, recorded: datetime) -> float:
    """``recorded - sent`` for a service whose business date is pinned: its clock moves by
    whole days (ocop_contracts.clock), so the nearest whole number of days is taken off."""
    delta = recorded - sent
    days = round(delta / timedelta(days=1))
    return (delta - timedelta(days=days)).total_seconds()


@dataclass(frozen=True)
class Target:
    """A figure and the issue's target for it, e.g. p99 < 100 ms or ≥ 0.5× raw."""

    name: str
    value: float
    limit: float
    unit: str
    sign: str  # "<", "≤" or "≥": how the value must compare with the limit

    @property
    def met(self) -> bool:
        if math.isnan(self.value):
            return False
        if self.sign == "≥":
            return self.value >= self.limit
        return self.value <= self.limit if self.sign == "≤" else self.value < self.limit

    def line(self) -> str:
        figure = f"{self.value:,.2f}" if self.value < 10 else f"{self.value:,.0f}"
        goal = f"{self.sign} {self.limit:g} {self.unit}"
        verdict = "met" if self.met else "NOT met"
        return f"  {self.name:<32} {figure:>9} {self.unit:<3} target {goal:<10} {verdict}"


def tally(values: Mapping[str, int]) -> str:
    return ", ".join(f"{name} {count:,}" for name, count in values.items())


def parse(value: bytes | None) -> dict[str, Any]:
    """A record's JSON (an event); an empty record is an empty dict."""
    parsed: dict[str, Any] = json.loads(value or b"{}")
    return parsed


def status_kib(status: str, key: str) -> int:
    """A ``/proc/<pid>/status`` figure in KiB, e.g. ``VmHWM:  123456 kB`` → 123456."""
    for line in status.splitlines():
        name, _, rest = line.partition(":")
        if name == key:
            return int(rest.split()[0])
    raise KeyError(key)
