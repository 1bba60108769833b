"""The dashboard's names for the contracts' codes: every legal form and sector has an official
Vietnamese name and an English one."""

from __future__ import annotations

from ocop_contracts import LegalForm
from ocop_reporting.domain.labels import legal_form_labels, sector_labels


def test_every_legal_form_has_its_official_names() -> None:
    labels = legal_form_labels()
    assert set(labels) == {form.value for form in LegalForm}
    assert labels["cooperative"] == {"vi": "Hợp tác xã", "en": "Cooperative"}
    assert labels["household"]["vi"] == "Hộ kinh doanh"
    assert labels["cooperative_group"]["vi"] == "Tổ hợp tác"
    assert labels["enterprise"]["vi"] == "Doanh nghiệp"


def test_every_sector_of_the_classification_is_named_and_an_unknown_one_too() -> None:
    labels = sector_labels()
    assert set(labels) == {"I", "II", "III", "IV", "V", "VI", "?"}
    assert labels["I"] == {"vi": "Thực phẩm", "en": "Food"}
    assert all(label["vi"] and label["en"] for label in labels.values())
