"""Provinces of the 2008 and 2025 editions and the 63 -> 34 mapping."""

import unicodedata
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from ocop_contracts.reference import (
    Province,
    UnknownUnitError,
    current_code_of,
    current_provinces,
    find_province,
    find_province_by_name,
    fold_vi,
    is_current_province,
    is_legacy_province,
    legacy_provinces,
    predecessors_of,
    province_edition_on,
    regions,
    successor_of,
    successor_province,
)

Table = Callable[[], Mapping[str, Province]]

# Codes named in domain.md §5.2: pre-2025 (OLD) and 2025 (NEW) editions.
OLD = {
    "bac_kan": "06",
    "hoa_binh": "17",
    "vinh_phuc": "26",
    "hai_duong": "30",
    "tay_ninh": "72",
    "long_an": "80",
    "tien_giang": "82",
    "dong_thap": "87",
}
NEW = {"thai_nguyen": "19", "phu_tho": "25", "hai_phong": "31", "tay_ninh": "80", "dong_thap": "82"}


def test_edition_sizes() -> None:
    assert len(legacy_provinces()) == 63
    assert len(current_provinces()) == 34


@pytest.mark.parametrize("table", [legacy_provinces, current_provinces])
def test_codes_are_unique_two_digit_and_sorted(table: Table) -> None:
    provinces = table()
    codes = [p.code for p in provinces.values()]
    assert all(len(c) == 2 and c.isdigit() for c in codes)
    assert codes == sorted(set(codes))
    assert all(key == p.code for key, p in provinces.items())


def test_six_centrally_run_cities_in_each_edition() -> None:
    expected = {"Hà Nội", "Hải Phòng", "Huế", "Đà Nẵng", "Hồ Chí Minh", "Cần Thơ"}
    for table in (legacy_provinces(), current_provinces()):
        cities = {p.name for p in table.values() if p.kind == "central_city"}
        assert cities == expected


def test_edition_bounds_of_the_2008_codes() -> None:
    legacy = legacy_provinces()
    assert legacy["01"].name == "Hà Nội"
    assert legacy["02"].name == "Hà Giang"
    assert legacy["96"].name == "Cà Mau"
    assert "28" not in legacy  # Hà Tây, merged into Hà Nội in 2008


def test_every_old_code_maps_to_exactly_one_current_province() -> None:
    targets = {old: successor_of(old) for old in legacy_provinces()}
    assert len(targets) == 63
    assert set(targets.values()) == set(current_provinces())


def test_every_new_province_has_predecessors_that_map_back() -> None:
    seen: list[str] = []
    for new in current_provinces():
        predecessors = predecessors_of(new)
        assert predecessors, new
        assert all(successor_of(old) == new for old in predecessors)
        seen.extend(predecessors)
    assert sorted(seen) == sorted(legacy_provinces())


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (OLD["bac_kan"], NEW["thai_nguyen"]),
        (OLD["hai_duong"], NEW["hai_phong"]),
        (OLD["hoa_binh"], NEW["phu_tho"]),
        (OLD["vinh_phuc"], NEW["phu_tho"]),
        (OLD["long_an"], NEW["tay_ninh"]),
        (OLD["tay_ninh"], NEW["tay_ninh"]),
        (OLD["tien_giang"], NEW["dong_thap"]),
        (OLD["dong_thap"], NEW["dong_thap"]),
    ],
)
def test_named_merges(old: str, new: str) -> None:
    assert successor_of(old) == new


def test_named_merges_by_name_and_predecessor_sets() -> None:
    assert legacy_provinces()["80"].name == "Long An"
    assert successor_province("80").name == "Tây Ninh"
    assert predecessors_of("80") == ("72", "80")
    assert predecessors_of("82") == ("82", "87")
    assert predecessors_of("25") == ("17", "25", "26")
    assert predecessors_of("19") == ("06", "19")
    assert predecessors_of("31") == ("30", "31")


def test_new_code_is_the_code_of_the_province_hosting_the_seat() -> None:
    # QĐ 124/2004 Art. 1(a): a merged province keeps the code of the one holding the UBND seat.
    for province in current_provinces().values():
        assert province.seat_legacy_code == province.code
        assert province.code in predecessors_of(province.code)
        assert province.administrative_centre


def test_unchanged_provinces_keep_code_and_name() -> None:
    unchanged = [p for p in current_provinces().values() if predecessors_of(p.code) == (p.code,)]
    assert len(unchanged) == 11
    for province in unchanged:
        assert legacy_provinces()[province.code].name == province.name


def test_regions_cover_the_2008_edition() -> None:
    counts = Counter(p.region for p in legacy_provinces().values())
    assert set(counts) == set(regions())
    assert counts == {
        "northern_midlands_mountains": 14,
        "red_river_delta": 11,
        "north_central_central_coast": 14,
        "central_highlands": 5,
        "southeast": 6,
        "mekong_delta": 13,
    }


@pytest.mark.parametrize("table", [legacy_provinces, current_provinces])
def test_names_are_nfc_and_ascii_names_are_folded(table: Table) -> None:
    for province in table().values():
        for text in (province.name, *province.aliases):
            assert unicodedata.is_normalized("NFC", text)
        assert province.name_ascii.isascii()
        assert fold_vi(province.name_ascii) == fold_vi(province.name)


def test_full_name() -> None:
    assert find_province("01").full_name == "Thành phố Hà Nội"
    assert find_province("04").full_name == "Tỉnh Cao Bằng"


def test_membership() -> None:
    assert is_current_province("80") and is_legacy_province("80")
    assert is_legacy_province("72") and not is_current_province("72")
    assert not is_legacy_province("99") and not is_current_province("99")
    assert not is_current_province("8")


def test_edition_on_dates() -> None:
    assert province_edition_on(date(2018, 1, 1)) == "2008"
    assert province_edition_on(date(2025, 6, 30)) == "2008"
    assert province_edition_on(date(2025, 7, 1)) == "2025"
    assert province_edition_on(date(2030, 1, 1)) == "2025"


def test_edition_on_datetimes_uses_vietnam_time() -> None:
    utc = UTC
    assert province_edition_on(datetime(2025, 6, 30, 16, 59, tzinfo=utc)) == "2008"
    assert province_edition_on(datetime(2025, 6, 30, 17, 0, tzinfo=utc)) == "2025"
    assert province_edition_on(datetime(2025, 7, 1, 0, 30, tzinfo=timezone(timedelta(hours=9))))
    assert province_edition_on(datetime(2025, 6, 30, 23, 59)) == "2008"  # naive = local


def test_find_province_by_date() -> None:
    assert find_province("80").name == "Tây Ninh"
    assert find_province("80", on=date(2024, 3, 1)).name == "Long An"
    assert find_province("80", on=date(2024, 3, 1)).edition == "2008"
    assert find_province("72", on=date(2024, 3, 1)).name == "Tây Ninh"
    assert isinstance(find_province("01"), Province)


def test_unknown_codes_raise_clear_errors() -> None:
    with pytest.raises(UnknownUnitError, match=r"pre-2025 code.*successor is '80'") as caught:
        find_province("72")
    assert isinstance(caught.value, ValueError)
    assert caught.value.code == "72"
    with pytest.raises(UnknownUnitError, match="unknown pre-2025 province code '99'"):
        successor_of("99")
    with pytest.raises(UnknownUnitError, match="unknown pre-2025 province code '80 '"):
        successor_of("80 ")  # codes are exact: no trimming, no zero-padding
    with pytest.raises(UnknownUnitError, match="unknown 2025 province code '87'"):
        predecessors_of("87")
    with pytest.raises(UnknownUnitError, match="unknown 2025 province code '99'"):
        find_province("99")


def test_malformed_code_gets_a_format_hint() -> None:
    with pytest.raises(UnknownUnitError, match="two digits"):
        find_province("1", on=date(2020, 1, 1))


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Đắk Lắk", "66"),
        ("dak lak", "66"),
        ("Tỉnh Đắk Lắk", "66"),
        ("Thành phố Hồ Chí Minh", "79"),
        ("TP. Hồ Chí Minh", "79"),
        ("Thừa Thiên Huế", "46"),
        ("thanh hoa", "38"),
        ("Thanh Hoá", "38"),
    ],
)
def test_find_province_by_name(name: str, code: str) -> None:
    assert find_province_by_name(name).code == code


def test_find_province_by_name_respects_edition() -> None:
    old_day = date(2020, 1, 1)
    assert find_province_by_name("Bà Rịa – Vũng Tàu", on=old_day).code == "77"
    assert find_province_by_name("Long An", on=old_day).code == "80"
    assert find_province_by_name("Bắc Cạn", on=old_day).code == "06"
    with pytest.raises(UnknownUnitError, match="no 2025 province named 'Long An'"):
        find_province_by_name("Long An")


def test_current_code_of_rolls_old_records_up() -> None:
    assert current_code_of("87", recorded_on=date(2023, 5, 1)) == "82"
    assert current_code_of("82", recorded_on=date(2023, 5, 1)) == "82"
    assert current_code_of("80", recorded_on=date(2023, 5, 1)) == "80"
    assert current_code_of("72", recorded_on=date(2023, 5, 1)) == "80"
    assert current_code_of("80", recorded_on=date(2025, 8, 1)) == "80"
    with pytest.raises(UnknownUnitError):
        current_code_of("72", recorded_on=date(2025, 8, 1))
    with pytest.raises(UnknownUnitError):
        current_code_of("28", recorded_on=date(2023, 5, 1))


def test_returned_tables_are_read_only_and_models_frozen() -> None:
    table = current_provinces()
    with pytest.raises(TypeError):
        table["99"] = table["01"]  # type: ignore[index]
    with pytest.raises(ValueError, match="frozen"):
        table["01"].name = "x"  # type: ignore[misc]
