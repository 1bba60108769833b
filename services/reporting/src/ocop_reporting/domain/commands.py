"""What callers ask reporting to do.

Free text is stored in Unicode NFC (DESIGN §9), whichever way a command comes in (HTTP or a
province system's message on the ingest topic): Vietnamese arrives precomposed from most
keyboards and decomposed (NFD) from macOS and some PDF exports; the two look the same but
compare, sort and count differently.
"""

import unicodedata
from dataclasses import dataclass
from datetime import date

from ocop_contracts import TargetMetric, TargetUnit


def nfc(text: str | None) -> str | None:
    return None if text is None else unicodedata.normalize("NFC", text)


def _normalise_free_text(command: object, fields: tuple[str, ...]) -> None:
    for name in fields:
        object.__setattr__(command, name, nfc(getattr(command, name)))  # frozen dataclass


@dataclass(frozen=True)
class SetTarget:
    target_id: str
    province_code: str
    plan_ref: str
    label: str
    metric: TargetMetric
    year_from: int
    year_to: int
    unit: TargetUnit = TargetUnit.COUNT
    minimum: float | None = None
    maximum: float | None = None
    base: float | None = None
    min_stars: int | None = None
    commune_code: str | None = None
    province_edition: str | None = None  # "2008" or "2025"; None: inferred (see domain.units)
    period_start: date | None = None
    period_end: date | None = None
    district_name: str | None = None
    commune_codes: tuple[str, ...] = ()
    from_stars: int | None = None
    legal_forms: tuple[str, ...] = ()
    source_event_id: str | None = None  # set when a province system sent it (dedupe key)

    def __post_init__(self) -> None:
        _normalise_free_text(self, ("plan_ref", "label", "district_name"))


@dataclass(frozen=True)
class ReportActivity:
    report_id: str
    province_code: str
    metric: TargetMetric
    quantity: float
    occurred_on: date
    evidence: str
    province_edition: str | None = None
    commune_code: str | None = None
    note: str = ""

    def __post_init__(self) -> None:
        _normalise_free_text(self, ("evidence", "note"))
