"""Data files: digests, headers, encoding, lazy loading."""

import json
import subprocess
import sys
import unicodedata
from types import MappingProxyType

import pytest

from ocop_contracts.reference import (
    REFERENCE_EDITIONS,
    ReferenceDataError,
    ReferenceEdition,
    file_sha256,
    province_header,
    province_mapping_header,
)
from ocop_contracts.reference import editions as editions_module
from ocop_contracts.reference.editions import load_data, parse_header, read_data_bytes

FILES = sorted(REFERENCE_EDITIONS)


def test_the_shipped_files_are_versioned() -> None:
    assert FILES == [
        "classification-qd26-2026.json",
        "communes-2025.json",
        "province-mapping-2025.json",
        "provinces-2008.json",
        "provinces-2025.json",
    ]
    assert REFERENCE_EDITIONS["provinces-2008.json"] == ("2008", file_sha256("provinces-2008.json"))


@pytest.mark.parametrize("file_name", FILES)
def test_sha256_matches_reference_editions(file_name: str) -> None:
    assert file_sha256(file_name) == REFERENCE_EDITIONS[file_name].sha256, (
        f"{file_name} changed: record the new digest (and edition) in editions.py"
    )


@pytest.mark.parametrize("file_name", FILES)
def test_files_are_utf8_nfc_lf_json_with_a_header(file_name: str) -> None:
    raw = read_data_bytes(file_name)
    text = raw.decode("utf-8")
    assert unicodedata.is_normalized("NFC", text)
    assert b"\r" not in raw
    assert text.endswith("\n")
    document = json.loads(text)
    header = parse_header(file_name, document)
    assert header.edition == REFERENCE_EDITIONS[file_name].edition
    assert header.source.legal_text and header.source.url.startswith("http")
    assert header.verified  # every file says what could not be checked


def test_province_headers_have_consistent_dates() -> None:
    old, new = province_header("2008"), province_header("2025")
    assert old.effective_to is not None and new.effective_from.isoformat() == "2025-07-01"
    assert (new.effective_from - old.effective_to).days == 1
    assert province_mapping_header().effective_from == new.effective_from


def test_a_changed_file_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    tampered = dict(REFERENCE_EDITIONS)
    tampered["provinces-2025.json"] = ReferenceEdition("2025", "0" * 64)
    monkeypatch.setattr(editions_module, "REFERENCE_EDITIONS", MappingProxyType(tampered))
    with pytest.raises(ReferenceDataError, match="differs from REFERENCE_EDITIONS"):
        load_data("provinces-2025.json")


def test_unknown_file_is_refused() -> None:
    with pytest.raises(ReferenceDataError, match="not a shipped reference file"):
        read_data_bytes("../editions.py")


def test_mapping_names_agree_with_the_province_tables() -> None:
    from ocop_contracts.reference import current_provinces, legacy_provinces

    for row in load_data("province-mapping-2025.json")["mappings"]:
        assert legacy_provinces()[row["old_code"]].name == row["old_name"]
        assert current_provinces()[row["new_code"]].name == row["new_name"]


def test_import_does_no_data_io() -> None:
    probe = (
        "import ocop_contracts.reference as r\n"
        "from ocop_contracts.reference import admin_units as p, classification as c\n"
        "assert p._table.cache_info().currsize == 0\n"
        "assert p._mapping.cache_info().currsize == 0\n"
        "assert c._catalogue.cache_info().currsize == 0\n"
        "r.current_provinces()\n"
        "assert p._table.cache_info().currsize == 1\n"
    )
    subprocess.run([sys.executable, "-c", probe], check=True)
