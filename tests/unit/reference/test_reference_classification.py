"""QĐ 26/2026 Appendix I classification: 6 sectors, 17 groups, 26 scoring sets."""

import re
import unicodedata
from collections import Counter

import pytest

from ocop_contracts.reference import (
    UnknownClassificationError,
    classification_header,
    find_scoring_set,
    groups,
    legacy_sector_mapping,
    ministries,
    scoring_set_by_number,
    scoring_sets,
    scoring_sets_in,
    sectors,
)

CODE = re.compile(r"^(I|II|III|IV|V|VI)\.\d+(\.[a-z])?$")


def test_counts() -> None:
    assert list(sectors()) == ["I", "II", "III", "IV", "V", "VI"]
    assert len(groups()) == 17
    assert len(scoring_sets()) == 26


def test_sets_per_sector_and_groups_per_sector() -> None:
    sets_per_sector = Counter(s.sector_code for s in scoring_sets().values())
    assert sets_per_sector == {"I": 13, "II": 4, "III": 3, "IV": 2, "V": 3, "VI": 1}
    groups_per_sector = Counter(g.sector_code for g in groups().values())
    assert groups_per_sector == {"I": 6, "II": 2, "III": 3, "IV": 2, "V": 3, "VI": 1}


def test_codes_follow_the_scheme_and_nest() -> None:
    for code, scoring_set in scoring_sets().items():
        assert CODE.match(code), code
        assert code.startswith(scoring_set.group_code)
        assert scoring_set.group_code.startswith(f"{scoring_set.sector_code}.")
        assert groups()[scoring_set.group_code].sector_code == scoring_set.sector_code


def test_every_group_is_a_leaf_or_has_only_subgroup_leaves() -> None:
    for code in groups():
        leaves = [s for s in scoring_sets().values() if s.group_code == code]
        assert leaves, code
        whole = [s for s in leaves if s.is_group]
        assert (len(leaves) == 1 and whole) or not whole, code
    whole_groups = {s.code for s in scoring_sets().values() if s.is_group}
    assert whole_groups == {"I.6", "III.1", "III.2", "III.3", "IV.1", "IV.2", "V.1", "V.2", "V.3",
                            "VI.1"}  # fmt: skip


def test_appendix_ii_numbers_follow_appendix_i_order() -> None:
    assert [s.set_number for s in scoring_sets().values()] == list(range(1, 27))
    assert scoring_set_by_number(1).code == "I.1.a"
    assert scoring_set_by_number(8).code == "I.3.d"
    assert scoring_set_by_number(13).code == "I.6"
    assert scoring_set_by_number(26).code == "VI.1"
    with pytest.raises(UnknownClassificationError, match="1-26"):
        scoring_set_by_number(27)


def test_names_and_ministries_of_selected_sets() -> None:
    fresh = find_scoring_set("I.1.a")
    assert fresh.name_vi == "Rau, củ, quả, hạt tươi"
    assert fresh.ministries == ("MAE",)
    assert find_scoring_set("I.3.a").ministries == ("MOIT",)
    assert find_scoring_set("I.3.d").ministries == ("MAE", "MOIT")
    assert find_scoring_set("II.2.a").ministries == ("MOH",)
    assert find_scoring_set("III.3").ministries == ("MOH", "MOIT")
    assert find_scoring_set("IV.1").ministries == ("MOIT", "MAE")
    assert find_scoring_set("VI.1").ministries == ("MOCST", "MAE")
    assert find_scoring_set("I.4.b").set_title_vi == "Gia vị khác (muối, hành, tỏi, tiêu)"
    assert ministries()["MAE"].name_vi == "Bộ Nông nghiệp và Môi trường"


def test_only_tourism_is_exempt_from_samples() -> None:
    exempt = [s.code for s in scoring_sets().values() if not s.samples_required]
    assert exempt == ["VI.1"]


def test_texts_are_nfc() -> None:
    names = [(x.name_vi, x.name_en) for x in sectors().values()]
    names += [(x.name_vi, x.name_en) for x in groups().values()]
    names += [(x.name_vi, x.name_en) for x in scoring_sets().values()]
    for name_vi, name_en in names:
        assert unicodedata.is_normalized("NFC", name_vi)
        assert name_en.isascii()


def test_find_forgives_case_but_not_structure() -> None:
    assert find_scoring_set("i.3.D").code == "I.3.d"
    assert find_scoring_set(" vi.1 ").code == "VI.1"


def test_unknown_codes_raise_with_hints() -> None:
    with pytest.raises(
        UnknownClassificationError, match=r"scoring sets are I\.1\.a, I\.1\.b"
    ) as err:
        find_scoring_set("I.1")
    assert isinstance(err.value, ValueError)
    with pytest.raises(UnknownClassificationError, match="did you mean"):
        find_scoring_set("I.3.e")
    with pytest.raises(UnknownClassificationError, match="codes look like"):
        find_scoring_set("food")


def test_scoring_sets_in_sector_and_group() -> None:
    assert len(scoring_sets_in("I")) == 13
    assert [s.code for s in scoring_sets_in("I.3")] == ["I.3.a", "I.3.b", "I.3.c", "I.3.d"]
    assert [s.code for s in scoring_sets_in("III.2")] == ["III.2"]
    with pytest.raises(UnknownClassificationError):
        scoring_sets_in("VII")


def test_legacy_sector_mapping() -> None:
    legacy = legacy_sector_mapping()
    assert Counter(x.scheme for x in legacy.values()) == {"QD1048": 6, "QD148": 6}
    for row in legacy.values():
        assert set(row.qd26_sector_codes) <= set(sectors())
    assert legacy["QD1048-3"].qd26_sector_codes == ("III",)
    assert legacy["QD1048-5"].qd26_sector_codes == ("IV", "V")
    assert not any(x.verified for x in legacy.values() if x.scheme == "QD1048")
    assert [legacy[f"QD148-{c}"].qd26_sector_codes for c in sectors()] == [(c,) for c in sectors()]


def test_header_documents_the_code_scheme_and_source() -> None:
    header = classification_header()
    assert header.edition == "QD26-2026"
    assert header.effective_from.isoformat() == "2026-05-22"
    assert header.code_scheme and "I.3.d" in header.code_scheme
    assert header.source.url.startswith("https://")
    assert any("NOT consulted" in note for note in header.verified)
