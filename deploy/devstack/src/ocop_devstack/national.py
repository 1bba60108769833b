"""A deterministic national OCOP data set with the programme's real proportions.

The same seed gives the same data set, byte for byte, on every machine: benchmarks and tests
compare runs, not luck. Proportions (../shared/reference/domain.md §5.1, end 2024 – Dec 2025):

- about 18,000 products rated ≥3★ by December 2025, from about 10,000 producers;
- star mix of certified products: 73.5% 3★, 24% 4★, 1.8% "potential 5★" (4★ from the province
  with ≥90 points, proposed to the central council), 0.7% 5★ (126 of 18,243) — §5.1's shares,
  which leave 1–3% unnamed, rounded to add up; a further few percent of evaluated products
  score under 50 points (1–2★, not certified);
- producers: 32.7% cooperatives, 24.1% enterprises (SMEs), 42.7% registered households, the
  rest cooperative groups and farms; about 40% women-led and 20% ethnic-minority-led;
- new certified products per year: 5,400 to early 2022, then +3,300 (2022), +1,630 (2023),
  +4,320 (2024), +3,600 (2025) — the cumulative figures of §5.1;
- provinces of very different sizes: Hà Nội about 3,500, today's Đồng Tháp about 1,000, the
  smallest a few dozen (a Zipf-like spread over the 34 provinces of 2025, Hà Nội first).

Every producer also has its address before the 1 July 2025 merger (its 2008 province), as a
province's register records it: a product whose 2025 province was formed from several 2008
provinces belongs to one of them, so its facts before the merger count for that old province's
plans. The old province is drawn from the producer's number, not from the data set's random
stream, so adding it changed no other figure.

Certificates last 36 months: products certified in 2021 and 2022 come up for renewal in the
five years, and most renew (a new rating), the rest expire. Some certified products are placed
in a showroom or an online shop.
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from ocop_contracts.reference import (
    communes_of,
    current_provinces,
    predecessors_of,
    scoring_sets,
)

SEED = 20251231
NEW_CERTIFIED_BY_YEAR: Mapping[int, int] = {
    2021: 5400,
    2022: 3300,
    2023: 1630,
    2024: 4320,
    2025: 3600,
}
# Certified products by first rating; "potential 5★" are 4★ with ≥90 points (proposed).
STAR_SHARES: Mapping[str, float] = {"3": 0.735, "4": 0.240, "proposed": 0.018, "5": 0.007}
UNCERTIFIED_SHARE = 0.026  # evaluated, under 50 points (1–2★)
PRODUCER_SHARES: Mapping[str, float] = {
    "cooperative": 0.327,
    "enterprise": 0.241,
    "household": 0.427,
    "cooperative_group": 0.003,
    "farm": 0.002,
}
WOMEN_LED_SHARE = 0.40
ETHNIC_MINORITY_LED_SHARE = 0.20
PRODUCTS_PER_PRODUCER = 1.8
RENEWED_SHARE = 0.8  # of certificates reaching their end, the rest expire
PLACED_SHARE = 0.25
VALIDITY = timedelta(days=36 * 30)  # 36 months, the generator's calendar
CAPITAL = "01"  # Hà Nội, the largest register


@dataclass(frozen=True)
class Producer:
    entity_id: str
    province_code: str
    commune_code: str
    legal_form: str
    women_led: bool
    ethnic_minority_led: bool
    name: str
    legacy_province_code: str = ""  # its 2008 province (before the 1 July 2025 merger)


@dataclass(frozen=True)
class Rating:
    rated_on: date
    stars: int
    score: float

    @property
    def proposed_for_national(self) -> bool:
        """A province caps at 4★: from 90 points it proposes the product for 5★."""
        return self.stars == 4 and self.score >= 90


@dataclass(frozen=True)
class Product:
    product_id: str
    producer: Producer
    scoring_set_code: str
    name: str
    ratings: tuple[Rating, ...]
    expired_on: date | None = None  # the certificate ran out without renewal
    placed_on: date | None = None  # shown in a showroom or listed online

    @property
    def certified(self) -> bool:
        return self.ratings[0].stars >= 3


@dataclass(frozen=True)
class NationalDataSet:
    producers: tuple[Producer, ...]
    products: tuple[Product, ...]
    province_sizes: Mapping[str, int] = field(default_factory=dict)

    def events(self) -> int:
        """Domain events the set implies: registrations, ratings, certificates, renewals due,
        expiries and placements (each rating of a certified product also issues a certificate)."""
        count = len(self.producers) + len(self.products)
        for product in self.products:
            for rating in product.ratings:
                count += 2 if rating.stars >= 3 else 1
            count += len(product.ratings) - 1  # a renewal due before each renewal
            count += 2 if product.expired_on else 0  # renewal due, then expiry
            count += 1 if product.placed_on else 0
            count += sum(r.proposed_for_national for r in product.ratings)
        return count


def province_sizes(total: int, provinces: Sequence[str]) -> dict[str, int]:
    """Products per province: Zipf-like (weight 1/rank), the capital first, summing to total."""
    ordered = [CAPITAL, *sorted(p for p in provinces if p != CAPITAL)]
    weights = [1.0 / (rank + 1) ** 0.9 for rank in range(len(ordered))]
    scale = total / sum(weights)
    sizes = {code: max(20, round(w * scale)) for code, w in zip(ordered, weights, strict=True)}
    sizes[CAPITAL] += total - sum(sizes.values())  # rounding lands on the capital
    return sizes


def generate(scale: float = 1.0, seed: int = SEED) -> NationalDataSet:
    """The national data set; ``scale`` shrinks it proportionally (0.1 → about 1,800 products)."""
    rng = random.Random(seed)
    provinces = sorted(current_provinces())
    per_year = {year: round(n * scale) for year, n in NEW_CERTIFIED_BY_YEAR.items()}
    certified_total = sum(per_year.values())
    total = round(certified_total / (1 - UNCERTIFIED_SHARE))
    sizes = province_sizes(total, provinces)
    sets = sorted(scoring_sets())
    producers: list[Producer] = []
    products: list[Product] = []
    years = _first_years(rng, per_year, total)
    for province, size in sizes.items():
        communes = communes_of(province)
        local = [_producer(rng, province, communes, len(producers) + i) for i in range(_n(size))]
        producers.extend(local)
        for _ in range(size):
            owner = local[rng.randrange(len(local))]
            products.append(_product(rng, owner, sets, next(years), len(products)))
    return NationalDataSet(tuple(producers), tuple(products), sizes)


def _n(products: int) -> int:
    return max(1, round(products / PRODUCTS_PER_PRODUCER))


def _first_years(rng: random.Random, per_year: Mapping[int, int], total: int) -> Iterator[int]:
    pool = [year for year, n in per_year.items() for _ in range(n)]
    pool += [rng.choice(list(per_year)) for _ in range(total - len(pool))]
    rng.shuffle(pool)
    yield from pool
    while True:  # rounding of province sizes may ask for one or two more
        yield rng.choice(list(per_year))


def _pick(rng: random.Random, shares: Mapping[str, float]) -> str:
    return rng.choices(list(shares), weights=list(shares.values()))[0]


def _producer(rng: random.Random, province: str, communes: Sequence[str], n: int) -> Producer:
    form = _pick(rng, PRODUCER_SHARES)
    return Producer(
        entity_id=f"nat-ent-{n:05d}",
        province_code=province,
        commune_code=communes[rng.randrange(len(communes))],
        legal_form=form,
        women_led=rng.random() < WOMEN_LED_SHARE,
        ethnic_minority_led=rng.random() < ETHNIC_MINORITY_LED_SHARE,
        name=f"{_FORM_NAMES[form]} {n:05d}",
        legacy_province_code=legacy_province(province, n),
    )


def legacy_province(province: str, n: int) -> str:
    """The 2008 province of producer number `n` of 2025 province `province`: one of those
    merged into it, the same on every machine (a checksum of the number, not `hash`)."""
    old = predecessors_of(province)
    return old[zlib.crc32(str(n).encode()) % len(old)]


_FORM_NAMES: Mapping[str, str] = {
    "cooperative": "HTX",
    "enterprise": "Công ty TNHH",
    "household": "Hộ kinh doanh",
    "cooperative_group": "Tổ hợp tác",
    "farm": "Trang trại",
}


def _band(rng: random.Random) -> str:
    if rng.random() < UNCERTIFIED_SHARE:
        return rng.choice(("1", "2"))
    return _pick(rng, STAR_SHARES)


# Points of each outcome (QĐ 26: 50–69 3★, 70–89 4★, ≥90 5★ centrally, 4★ at a province).
_BANDS: Mapping[str, tuple[int, float, float]] = {
    "1": (1, 0.0, 29.5),
    "2": (2, 30.0, 49.5),
    "3": (3, 50.0, 69.5),
    "4": (4, 70.0, 89.5),
    "proposed": (4, 90.0, 100.0),
    "5": (5, 90.0, 100.0),
}


def _rating(rng: random.Random, on: date, band: str) -> Rating:
    stars, low, high = _BANDS[band]
    return Rating(on, stars, round(rng.uniform(low, high) * 2) / 2)


def _product(
    rng: random.Random, owner: Producer, sets: Sequence[str], year: int, n: int
) -> Product:
    band = _band(rng)
    first = _rating(rng, date(year, 1, 1) + timedelta(days=rng.randrange(330)), band)
    ratings, expired = [first], None
    if first.stars >= 3:
        due = first.rated_on + VALIDITY
        if due <= date(2025, 12, 31):
            if rng.random() < RENEWED_SHARE:
                ratings.append(_rating(rng, due - timedelta(days=30), band))
            else:
                expired = due
    placed = None
    if first.stars >= 3 and rng.random() < PLACED_SHARE:
        placed = first.rated_on + timedelta(days=rng.randrange(20, 120))
    return Product(
        product_id=f"nat-prd-{n:05d}",
        producer=owner,
        scoring_set_code=sets[rng.randrange(len(sets))],
        name=f"Sản phẩm OCOP {n:05d}",
        ratings=tuple(ratings),
        expired_on=expired,
        placed_on=placed,
    )
