"""Provinces before and after the 1 July 2025 merger (63 -> 34) and the old -> new mapping.

Codes are two-digit strings. The two editions share a code space but not meanings: "80" is Long An
in the 2008 edition and (the new) Tây Ninh in 2025, "72" exists only in 2008. So a bare code is
ambiguous without a date; lookups take the day the code was recorded, or default to the current
edition.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import cache
from types import MappingProxyType
from typing import Any, Literal, TypeVar

from pydantic import Field, ValidationError

from ocop_contracts.reference.editions import (
    PROVINCE_MAPPING_2025,
    PROVINCES_2008,
    PROVINCES_2025,
    DataHeader,
    FrozenModel,
    NfcText,
    load_data,
    parse_header,
)
from ocop_contracts.reference.errors import ReferenceDataError, UnknownUnitError
from ocop_contracts.reference.text import name_key

ProvinceEdition = Literal["2008", "2025"]
ProvinceKind = Literal["province", "central_city"]
RegionCode = Literal[
    "northern_midlands_mountains",
    "red_river_delta",
    "north_central_central_coast",
    "central_highlands",
    "southeast",
    "mekong_delta",
]

CURRENT_EDITION: ProvinceEdition = "2025"
MERGER_DAY = date(2025, 7, 1)
# Vietnam has kept UTC+7 without DST since 1975; a fixed offset avoids needing tzdata.
VIETNAM_TIME = timezone(timedelta(hours=7), "ICT")

_FILES: Mapping[ProvinceEdition, str] = {"2008": PROVINCES_2008, "2025": PROVINCES_2025}


class Region(FrozenModel):
    """A GSO statistical region (used with the 2008 edition)."""

    code: RegionCode
    name_vi: NfcText
    name_en: str


class Province(FrozenModel):
    """A province-level unit (tỉnh or thành phố trực thuộc trung ương) of one edition."""

    code: str = Field(pattern=r"^\d{2}$")
    name: NfcText
    name_ascii: str = Field(pattern=r"^[\x20-\x7e]+$")
    name_en: str
    kind: ProvinceKind
    edition: ProvinceEdition
    aliases: tuple[NfcText, ...] = ()
    region: RegionCode | None = None
    administrative_centre: NfcText | None = None
    seat_legacy_code: str | None = Field(default=None, pattern=r"^\d{2}$")
    note: str | None = None

    @property
    def full_name(self) -> str:
        """Official style, e.g. "Tỉnh Cao Bằng", "Thành phố Hà Nội"."""
        prefix = "Thành phố" if self.kind == "central_city" else "Tỉnh"
        return f"{prefix} {self.name}"


@dataclass(frozen=True)
class _ProvinceTable:
    header: DataHeader
    by_code: Mapping[str, Province]
    by_name: Mapping[str, str]
    regions: Mapping[str, Region]


class _MappingRow(FrozenModel):
    old_code: str
    old_name: NfcText
    new_code: str
    new_name: NfcText


@dataclass(frozen=True)
class _MappingTable:
    header: DataHeader
    successor: Mapping[str, str]
    predecessors: Mapping[str, tuple[str, ...]]


# --- loading -------------------------------------------------------------------------------


_M = TypeVar("_M", bound=FrozenModel)


def _validated(model: type[_M], row: Any, where: str) -> _M:
    try:
        return model.model_validate(row)
    except ValidationError as exc:
        raise ReferenceDataError(f"{where}: {exc}") from exc


def _name_index(rows: Iterable[Province], where: str) -> dict[str, str]:
    index: dict[str, str] = {}
    for province in rows:
        for key in {name_key(n) for n in (province.name, province.name_ascii, *province.aliases)}:
            if index.setdefault(key, province.code) != province.code:
                raise ReferenceDataError(f"{where}: name key {key!r} is ambiguous")
    return index


@cache
def _table(edition: ProvinceEdition) -> _ProvinceTable:
    file_name = _FILES[edition]
    document = load_data(file_name)
    header = parse_header(file_name, document)
    rows = [
        _validated(Province, {**row, "edition": edition}, file_name)
        for row in document["provinces"]
    ]
    by_code = {p.code: p for p in rows}
    if len(by_code) != len(rows):
        raise ReferenceDataError(f"{file_name}: duplicate province codes")
    regions = [_validated(Region, r, file_name) for r in document.get("regions", [])]
    return _ProvinceTable(
        header=header,
        by_code=MappingProxyType(dict(sorted(by_code.items()))),
        by_name=MappingProxyType(_name_index(rows, file_name)),
        regions=MappingProxyType({r.code: r for r in regions}),
    )


@cache
def _mapping() -> _MappingTable:
    document = load_data(PROVINCE_MAPPING_2025)
    header = parse_header(PROVINCE_MAPPING_2025, document)
    successor: dict[str, str] = {}
    for row in document["mappings"]:
        mapped = _validated(_MappingRow, row, PROVINCE_MAPPING_2025)
        old, new = mapped.old_code, mapped.new_code
        if successor.setdefault(old, new) != new:
            raise ReferenceDataError(f"{PROVINCE_MAPPING_2025}: {old} mapped twice")
    _check_mapping(successor)
    predecessors: dict[str, list[str]] = {}
    for old, new in sorted(successor.items()):
        predecessors.setdefault(new, []).append(old)
    return _MappingTable(
        header=header,
        successor=MappingProxyType(successor),
        predecessors=MappingProxyType({k: tuple(v) for k, v in sorted(predecessors.items())}),
    )


def _check_mapping(successor: Mapping[str, str]) -> None:
    """The merger moved whole provinces: every old code has one target, every new one a source."""
    old, new = set(_table("2008").by_code), set(_table("2025").by_code)
    problems = [
        *(f"old {c} unmapped" for c in sorted(old - set(successor))),
        *(f"{c} is not a 2008 code" for c in sorted(set(successor) - old)),
        *(f"target {c} is not a 2025 code" for c in sorted(set(successor.values()) - new)),
        *(f"new {c} has no predecessor" for c in sorted(new - set(successor.values()))),
    ]
    if problems:
        raise ReferenceDataError(f"{PROVINCE_MAPPING_2025}: " + "; ".join(problems))


# --- editions and dates --------------------------------------------------------------------


def province_edition_on(day: date) -> ProvinceEdition:
    """Edition in force on `day`: "2025" from 2025-07-01, else "2008".

    A `datetime` is read in Vietnam time (naive ones as already local), because the merger took
    effect at local midnight: 2025-06-30T18:00Z is already 1 July in Vietnam.
    """
    if isinstance(day, datetime):
        day = day.astimezone(VIETNAM_TIME).date() if day.tzinfo else day.date()
    return "2025" if day >= MERGER_DAY else "2008"


def _edition(on: date | None) -> ProvinceEdition:
    return CURRENT_EDITION if on is None else province_edition_on(on)


def province_header(edition: ProvinceEdition) -> DataHeader:
    """Provenance of one province edition (source, what was verified)."""
    return _table(edition).header


def province_mapping_header() -> DataHeader:
    return _mapping().header


# --- lookups -------------------------------------------------------------------------------


def provinces(edition: ProvinceEdition) -> Mapping[str, Province]:
    """All provinces of `edition`, keyed by code, in code order."""
    return _table(edition).by_code


def current_provinces() -> Mapping[str, Province]:
    """The 34 provinces and centrally-run cities in force from 1 July 2025."""
    return provinces("2025")


def legacy_provinces() -> Mapping[str, Province]:
    """The 63 provinces and centrally-run cities in force until 30 June 2025."""
    return provinces("2008")


def regions() -> Mapping[str, Region]:
    """GSO statistical regions referenced by `Province.region` in the 2008 edition."""
    return _table("2008").regions


def is_current_province(code: str) -> bool:
    return code in _table("2025").by_code


def is_legacy_province(code: str) -> bool:
    return code in _table("2008").by_code


def _unknown(code: str, edition: ProvinceEdition) -> UnknownUnitError:
    other: ProvinceEdition = "2008" if edition == "2025" else "2025"
    known = _table(other).by_code.get(code)
    if known is None:
        hint = "province codes are two digits, e.g. '01' (Hà Nội)"
    elif other == "2008":
        hint = (
            f"'{code}' is a pre-2025 code ({known.name}); "
            f"its successor is '{successor_of(code)}'; pass on=<date recorded> for old data"
        )
    else:
        hint = f"'{code}' is a 2025 code ({known.name}); pass on=None or a date from 2025-07-01"
    return UnknownUnitError(f"unknown {edition} province code {code!r}", code=code, hint=hint)


def find_province(code: str, on: date | None = None) -> Province:
    """The province with `code` in the edition in force on `on` (default: the current edition)."""
    edition = _edition(on)
    province = _table(edition).by_code.get(code)
    if province is None:
        raise _unknown(code, edition)
    return province


def find_province_by_name(name: str, on: date | None = None) -> Province:
    """Match a name however it is written: "Đắk Lắk", "dak lak", "Tỉnh Đắk Lắk", "TP. Huế"."""
    edition = _edition(on)
    table = _table(edition)
    key = name_key(name)
    for prefix in ("tinh", "thanhpho", "tp"):
        if key not in table.by_name and key.startswith(prefix):
            key = key.removeprefix(prefix)
    code = table.by_name.get(key)
    if code is None:
        raise UnknownUnitError(
            f"no {edition} province named {name!r}",
            code=name,
            hint="names match without diacritics, spaces or the Tỉnh/Thành phố prefix",
        )
    return table.by_code[code]


def successor_of(old_code: str) -> str:
    """The 2025 province that took over the whole of pre-2025 province `old_code`."""
    new_code = _mapping().successor.get(old_code)
    if new_code is None:
        raise UnknownUnitError(
            f"unknown pre-2025 province code {old_code!r}",
            code=old_code,
            hint="pre-2025 codes are two digits from '01' (Hà Nội) to '96' (Cà Mau)",
        )
    return new_code


def successor_province(old_code: str) -> Province:
    return _table("2025").by_code[successor_of(old_code)]


def predecessors_of(new_code: str) -> tuple[str, ...]:
    """Pre-2025 codes merged into 2025 province `new_code`, in code order."""
    found = _mapping().predecessors.get(new_code)
    if found is None:
        raise _unknown(new_code, "2025")
    return found


def current_code_of(code: str, recorded_on: date) -> str:
    """Roll a code up to the current edition: the code itself if recorded from 2025-07-01 on,
    else its successor. Use it to attribute old plans, products and certificates to today's units.
    """
    if province_edition_on(recorded_on) == "2025":
        return find_province(code).code
    find_province(code, recorded_on)  # raises a clear error for a code that never existed
    return successor_of(code)
