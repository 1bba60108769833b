"""Commune-level units (xã, phường, đặc khu) in force from 1 July 2025: 3,321 units.

Codes are five-digit strings (the NSO code, zero-padded). Only the 2025 edition is shipped; codes
of the ~10,035 pre-2025 communes can be checked by format only (`is_commune_code_format`).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType
from typing import Literal

from pydantic import Field, ValidationError

from ocop_contracts.reference.editions import (
    COMMUNES_2025,
    DataHeader,
    FrozenModel,
    NfcText,
    load_data,
    parse_header,
)
from ocop_contracts.reference.errors import ReferenceDataError, UnknownUnitError

CommuneKind = Literal["commune", "ward", "special_zone"]
_FORMAT_DIGITS = 5


class Commune(FrozenModel):
    """A commune-level unit of the 2025 edition and the (2025) province it belongs to."""

    code: str = Field(pattern=r"^\d{5}$")
    name: NfcText
    province_code: str = Field(pattern=r"^\d{2}$")
    kind: CommuneKind


@dataclass(frozen=True)
class _CommuneTable:
    header: DataHeader
    by_code: Mapping[str, Commune]
    by_province: Mapping[str, tuple[str, ...]]


@cache
def _communes() -> _CommuneTable:
    document = load_data(COMMUNES_2025)
    header = parse_header(COMMUNES_2025, document)
    try:
        rows = [Commune.model_validate(row) for row in document["communes"]]
    except ValidationError as exc:
        raise ReferenceDataError(f"{COMMUNES_2025}: {exc}") from exc
    by_code = {c.code: c for c in rows}
    if len(by_code) != len(rows):
        raise ReferenceDataError(f"{COMMUNES_2025}: duplicate commune codes")
    by_province: dict[str, list[str]] = {}
    for commune in rows:
        by_province.setdefault(commune.province_code, []).append(commune.code)
    return _CommuneTable(
        header=header,
        by_code=MappingProxyType(by_code),
        by_province=MappingProxyType({k: tuple(sorted(v)) for k, v in by_province.items()}),
    )


def commune_header() -> DataHeader:
    """Provenance of the commune list (source, what was verified)."""
    return _communes().header


def current_communes() -> Mapping[str, Commune]:
    """The 3,321 commune-level units in force from 1 July 2025, keyed by code."""
    return _communes().by_code


def communes_of(province_code: str) -> tuple[str, ...]:
    """Codes of the communes of 2025 province `province_code` (empty for an unknown code)."""
    return _communes().by_province.get(province_code, ())


def is_commune_code_format(code: str) -> bool:
    """True for a five-digit code: all that can be checked for a pre-2025 commune."""
    return len(code) == _FORMAT_DIGITS and code.isascii() and code.isdigit()


def find_commune(code: str, province_code: str | None = None) -> Commune:
    """The 2025 commune with `code`; with `province_code`, it must belong to that province."""
    commune = _communes().by_code.get(code)
    if commune is None:
        hint = (
            "commune codes are five digits, e.g. '00004' (Phường Ba Đình); "
            "pre-2025 codes are not in the 2025 list"
        )
        raise UnknownUnitError(f"unknown 2025 commune code {code!r}", code=code, hint=hint)
    if province_code is not None and commune.province_code != province_code:
        raise UnknownUnitError(
            f"commune {code} ({commune.name}) is not in province {province_code}",
            code=code,
            hint=f"it belongs to province {commune.province_code}",
        )
    return commune
