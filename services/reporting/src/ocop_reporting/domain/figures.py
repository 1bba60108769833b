"""The figures reports are made of, as typed values: what the store's queries hand the use cases
and what the use cases hand the API. Pure data; days are ISO strings, as stored and as shown."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class CertifiedProduct:
    """A product holding a certificate valid on a report's day, at that certificate's stars."""

    product_id: str
    stars: int
    certificate_id: str
    sector: str | None
    commune_code: str | None


@dataclass(frozen=True)
class ExpiringCertificate:
    certificate_id: str
    product_id: str
    stars: int | None
    valid_until: str
    product_name: str = ""  # filled from the product facts when the report is made


@dataclass(frozen=True)
class ActivityReport:
    """An activity a province reported (what no event derives), with its evidence."""

    report_id: str
    quantity: float
    day: str
    evidence: str
    note: str


@dataclass(frozen=True)
class ProducerMix:
    """Producers recorded in a unit: legal forms, women-led and ethnic-minority-led."""

    total: int
    by_legal_form: dict[str, int]
    women_led: int
    ethnic_minority_led: int


@dataclass(frozen=True)
class NationalFigures:
    """What the national view reads from the year's summaries, in one read."""

    new_certified: dict[str, int]  # current province → new ≥3★ products of the year
    actuals: dict[str, int]  # target id → actual (derived targets)


@dataclass(frozen=True)
class TrendPoint:
    year: int
    new_certified: int


@dataclass(frozen=True)
class Overview:
    """A unit's star mix, sectors, communes, producers, trend and expiring certificates."""

    star_mix: dict[str, int]
    certified_products: int
    by_sector: dict[str, int]
    by_commune: dict[str, int]
    trend: list[TrendPoint]
    producer_mix: ProducerMix
    expiring_certificates: list[ExpiringCertificate]


@dataclass(frozen=True)
class Metrics:
    """Headline figures for monitoring (OpenMetrics)."""

    rated_products: dict[tuple[str, int], int]  # (current province, stars) → ratings at 3–5★
    targets: dict[str, int]  # current province → targets held
    read_model_documents: dict[str, int]  # read model → documents
    # current province → facts dated before the merger whose old unit no event gave (#10)
    old_unit_unknown: dict[str, int] = field(default_factory=dict)
