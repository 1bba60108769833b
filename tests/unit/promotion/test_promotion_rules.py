"""Who may be placed (certificate rules), fair and booth rules, and subscription filters."""

from __future__ import annotations

from datetime import date

import pytest

from ocop_contracts.reference import UnknownClassificationError
from ocop_platform.errors import Conflict, DomainError
from ocop_promotion.domain.compliance import (
    CertificateStatus,
    Certification,
    ensure_placeable,
    lapse_applies,
)
from ocop_promotion.domain.feed import (
    Change,
    FeedEntry,
    FeedFilter,
    canonical_classification,
    classification_of,
)
from ocop_promotion.domain.venues import (
    Booth,
    check_booth_has_room,
    check_booths,
    check_fair_dates,
)

TODAY = date(2026, 9, 1)


def certificate(**changes: object) -> Certification:
    fields: dict[str, object] = {
        "product_id": "prd-1",
        "certificate_id": "cert-1",
        "stars": 4,
        "valid_until": date(2029, 8, 31),
        "status": CertificateStatus.VALID,
        "rated_stars": 4,
        **changes,
    }
    return Certification(**fields)  # type: ignore[arg-type]


def test_a_valid_certificate_may_be_placed() -> None:
    assert ensure_placeable(certificate(), TODAY).certificate_id == "cert-1"


def test_a_certificate_is_valid_through_its_last_day() -> None:
    ensure_placeable(certificate(valid_until=TODAY), TODAY)


def test_an_unknown_product_is_refused() -> None:
    with pytest.raises(DomainError, match="no OCOP rating or certificate") as caught:
        ensure_placeable(None, TODAY)
    assert caught.value.field == "product_id"


def test_a_two_star_product_is_refused_with_its_stars() -> None:
    rated_only = Certification(product_id="prd-1", rated_stars=2)
    with pytest.raises(DomainError, match="rated 2★; only products with a valid ≥3★"):
        ensure_placeable(rated_only, TODAY)


def test_a_rated_product_without_its_certificate_yet_is_refused() -> None:
    rated_only = Certification(product_id="prd-1", rated_stars=4)
    with pytest.raises(DomainError, match="certificate has not been issued yet"):
        ensure_placeable(rated_only, TODAY)


def test_a_certificate_past_its_date_is_refused_even_before_the_expiry_event() -> None:
    with pytest.raises(DomainError, match="expired on 2026-08-31"):
        ensure_placeable(certificate(valid_until=date(2026, 8, 31)), TODAY)


@pytest.mark.parametrize("status", [CertificateStatus.EXPIRED, CertificateStatus.REVOKED])
def test_a_lapsed_certificate_is_refused(status: CertificateStatus) -> None:
    with pytest.raises(DomainError, match="cert-1"):
        ensure_placeable(certificate(status=status), TODAY)


def test_a_certificate_ending_before_the_venue_date_is_refused() -> None:
    with pytest.raises(DomainError, match="valid only until 2026-09-03"):
        ensure_placeable(certificate(valid_until=date(2026, 9, 3)), TODAY, until=date(2026, 9, 5))


def test_only_a_lapse_of_the_certificate_in_force_counts() -> None:
    assert lapse_applies("cert-2", "cert-2")
    assert not lapse_applies("cert-2", "cert-1")  # the old one of an upgraded product
    assert lapse_applies(None, "cert-1")


def test_a_fair_may_last_one_day() -> None:
    check_fair_dates(TODAY, TODAY)


def test_a_fair_ending_before_it_starts_is_refused() -> None:
    with pytest.raises(DomainError) as caught:
        check_fair_dates(date(2026, 12, 5), date(2026, 12, 1))
    assert caught.value.field == "ends_on"


def test_booth_codes_must_be_unique() -> None:
    with pytest.raises(DomainError, match="A1"):
        check_booths([Booth("A1", 2), Booth("A1", 3)])


def test_a_full_booth_is_a_conflict() -> None:
    with pytest.raises(Conflict, match="booth A1 is full: 2 of 2"):
        check_booth_has_room(Booth("A1", 2), "A1", ["prd-1", "prd-2"])


def test_a_booth_with_room_accepts() -> None:
    check_booth_has_room(Booth("A1", 2), "A1", ["prd-1"])


def test_an_unknown_booth_is_refused() -> None:
    with pytest.raises(DomainError, match="no booth 'Z9'") as caught:
        check_booth_has_room(None, "Z9", [])
    assert caught.value.field == "booth_code"


def entry(**changes: object) -> FeedEntry:
    fields: dict[str, object] = {
        "entry_id": "prd-1:1",
        "product_id": "prd-1",
        "province_code": "82",
        "scoring_set_code": "I.3.d",
        "from_stars": 0,
        "to_stars": 4,
        "score": 75.0,
        "rated_on": TODAY,
        "change": Change.FIRST_CERTIFICATION,
        **changes,
    }
    return FeedEntry(**fields)  # type: ignore[arg-type]


def test_an_empty_filter_matches_every_entry() -> None:
    assert FeedFilter().matches(entry())


@pytest.mark.parametrize("code", ["I", "I.3", "I.3.d"])
def test_a_classification_filter_matches_its_sector_group_or_set(code: str) -> None:
    assert FeedFilter(classification_codes=(code,)).matches(entry())


@pytest.mark.parametrize("code", ["II", "I.1", "I.3.a"])
def test_a_classification_filter_excludes_other_branches(code: str) -> None:
    assert not FeedFilter(classification_codes=(code,)).matches(entry())


def test_a_province_filter() -> None:
    assert FeedFilter(province_codes=("82", "86")).matches(entry())
    assert not FeedFilter(province_codes=("01",)).matches(entry())


def test_a_minimum_stars_filter() -> None:
    assert FeedFilter(min_stars=4).matches(entry())
    assert not FeedFilter(min_stars=5).matches(entry())


def test_a_change_filter() -> None:
    assert not FeedFilter(changes=(Change.UPGRADE,)).matches(entry())
    assert FeedFilter(changes=(Change.UPGRADE,)).matches(entry(change=Change.UPGRADE, from_stars=3))


def test_classification_codes_are_validated_and_made_canonical() -> None:
    assert canonical_classification(["i.3", "VI", "i.3.D", "I.3"]) == ("I.3", "VI", "I.3.d")
    with pytest.raises(UnknownClassificationError):
        canonical_classification(["VII"])


def test_a_scoring_set_belongs_to_its_sector_and_group() -> None:
    assert classification_of("I.3.d") == ("I", "I.3")
    assert classification_of("VI.1") == ("VI", "VI.1")
    assert classification_of("1.2.1") == (None, None)
