"""As of a day: what reporting knew then (as_known) or the facts dated up to it as corrected since
(as_corrected); each fact known from its source's recorded time, on Vietnam's date."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from ocop_reporting.domain.certificates import certified_products
from ocop_reporting.domain.knowledge import (
    View,
    knowledge_cut,
    known_by,
    known_on,
    known_version,
)

JUNE_30 = date(2022, 6, 30)


def held(product: str, **fields: str) -> dict[str, Any]:
    """A 3★ certificate fact of 2021–2024, with `fields` changed."""
    base = {"_id": f"c-{product}", "product_id": product, "stars": 3}
    return base | {"day": "2021-01-10", "valid_until": "2024-01-10"} | fields


def test_a_fact_is_known_on_the_business_date_its_source_recorded_it() -> None:
    assert known_on(datetime(2022, 7, 15, 9, 0, tzinfo=UTC)) == "2022-07-15"
    # 17:30 UTC is already the next day in Vietnam.
    assert known_on(datetime(2022, 6, 30, 17, 30, tzinfo=UTC)) == "2022-07-01"


def test_as_known_cuts_at_the_day_and_as_corrected_does_not() -> None:
    assert knowledge_cut(JUNE_30, View.AS_KNOWN) == JUNE_30
    assert knowledge_cut(JUNE_30, View.AS_CORRECTED) is None
    assert knowledge_cut(None, View.AS_KNOWN) is None  # a report of now: everything known


def test_a_late_arrival_is_not_known_before_it_was_recorded() -> None:
    late = {"day": "2022-06-10", "known": "2022-07-15"}
    assert not known_by(late, JUNE_30)
    assert known_by(late, date(2022, 7, 15))
    assert known_by(late, None)  # as corrected


def test_a_fact_recorded_before_reporting_kept_the_day_counts_as_known() -> None:
    assert known_by({"day": "2022-06-10"}, JUNE_30)


def test_a_correction_recorded_later_does_not_rewrite_the_earlier_report() -> None:
    report = {
        "quantity": 120,
        "history": [
            {"quantity": 100, "day": "2022-05-01", "known": "2022-05-02"},
            {"quantity": 120, "day": "2022-05-01", "known": "2022-08-01"},
        ],
    }
    first = known_version(report, JUNE_30)
    assert first is not None and first["quantity"] == 100
    latest = known_version(report, date(2022, 8, 1))
    assert latest is not None and latest["quantity"] == 120
    assert known_version(report, date(2022, 5, 1)) is None  # not reported yet


def test_a_revocation_recorded_after_the_day_leaves_the_certificate_valid_as_known() -> None:
    # Decided on 1 June, recorded on 20 July.
    revoked = held("p1", known="2021-01-10", ended_on="2022-06-01", ended_known="2022-07-20")
    assert list(certified_products([revoked], {}, JUNE_30.isoformat(), JUNE_30)) == ["p1"]
    assert certified_products([revoked], {}, JUNE_30.isoformat(), None) == {}


def test_a_certificate_recorded_late_is_not_counted_as_known() -> None:
    late = held("p2", day="2022-06-10", valid_until="2025-06-10", known="2022-07-15")
    assert certified_products([late], {}, JUNE_30.isoformat(), JUNE_30) == {}
    assert list(certified_products([late], {}, JUNE_30.isoformat(), None)) == ["p2"]


def test_a_withdrawal_recorded_after_the_day_is_not_known_then() -> None:
    certificate = held("p3")
    products = {"p3": {"withdrawn_on": "2022-06-15", "withdrawn_known": "2022-07-01"}}
    assert list(certified_products([certificate], products, JUNE_30.isoformat(), JUNE_30)) == ["p3"]
    assert certified_products([certificate], products, JUNE_30.isoformat(), None) == {}
