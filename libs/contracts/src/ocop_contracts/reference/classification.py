"""OCOP product classification of QĐ 26/2026/QĐ-TTg: 6 sectors, 17 groups, 26 scoring sets.

Code scheme (also in the data file header): sector "I".."VI"; group "I.3"; scoring set "I.3.d".
A group without sub-groups is itself a scoring set and keeps the group code ("III.2", "VI.1").
Scoring sets are the leaves of Appendix I and match the 26 "Bộ sản phẩm" of Appendix II one to one.
"""

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType
from typing import Any, Literal, TypeVar

from pydantic import Field, ValidationError

from ocop_contracts.reference.editions import (
    CLASSIFICATION_QD26,
    DataHeader,
    FrozenModel,
    NfcText,
    load_data,
    parse_header,
)
from ocop_contracts.reference.errors import ReferenceDataError, UnknownClassificationError

LegacyScheme = Literal["QD1048", "QD148"]


class _Coded(FrozenModel):
    code: str


_T = TypeVar("_T", bound=_Coded)


class Ministry(_Coded):
    """A ministry that manages scoring sets ("Cơ quan chủ trì quản lý")."""

    code: str
    name_vi: NfcText
    name_en: str


class Sector(_Coded):
    code: str = Field(pattern=r"^(I|II|III|IV|V|VI)$")
    name_vi: NfcText
    title_vi: NfcText  # heading as printed in Appendix I, e.g. "SẢN PHẨM THỰC PHẨM"
    name_en: str


class Group(_Coded):
    code: str = Field(pattern=r"^[IVX]+\.\d+$")
    sector_code: str
    name_vi: NfcText
    name_en: str


class ScoringSet(_Coded):
    """One "Bộ sản phẩm": the rubric a product is scored on, and who manages that sector."""

    code: str = Field(pattern=r"^[IVX]+\.\d+(\.[a-z])?$")
    set_number: int = Field(ge=1, le=26)  # "Bộ sản phẩm" number in Appendix II
    sector_code: str
    group_code: str
    name_vi: NfcText  # Appendix I row
    set_title_vi: NfcText  # Appendix II title
    name_en: str
    ministries: tuple[str, ...] = Field(min_length=1)
    samples_required: bool  # Art. 6.2(d): 5 samples, except for tourism

    @property
    def is_group(self) -> bool:
        """True when the group has no sub-groups and is scored as a whole."""
        return self.code == self.group_code


class LegacySector(_Coded):
    """A sector of an earlier decision, with the QĐ26 sectors its products now fall under."""

    code: str
    scheme: LegacyScheme
    name_vi: NfcText
    name_en: str
    qd26_sector_codes: tuple[str, ...] = Field(min_length=1)
    verified: bool
    note: NfcText


@dataclass(frozen=True)
class _Catalogue:
    header: DataHeader
    ministries: Mapping[str, Ministry]
    sectors: Mapping[str, Sector]
    groups: Mapping[str, Group]
    scoring_sets: Mapping[str, ScoringSet]
    legacy: Mapping[str, LegacySector]


# --- loading -------------------------------------------------------------------------------


def _rows(model: type[_T], rows: Iterable[Any]) -> Mapping[str, _T]:
    try:
        parsed = [model.model_validate(row) for row in rows]
    except ValidationError as exc:
        raise ReferenceDataError(f"{CLASSIFICATION_QD26}: {exc}") from exc
    by_code = {item.code: item for item in parsed}
    if len(by_code) != len(parsed):
        raise ReferenceDataError(f"{CLASSIFICATION_QD26}: duplicate {model.__name__} codes")
    return MappingProxyType(by_code)


@cache
def _catalogue() -> _Catalogue:
    document = load_data(CLASSIFICATION_QD26)
    catalogue = _Catalogue(
        header=parse_header(CLASSIFICATION_QD26, document),
        ministries=_rows(Ministry, document["ministries"]),
        sectors=_rows(Sector, document["sectors"]),
        groups=_rows(Group, document["groups"]),
        scoring_sets=_rows(ScoringSet, document["scoring_sets"]),
        legacy=_rows(LegacySector, document["legacy_sectors"]),
    )
    problems = _tree_problems(catalogue)
    if problems:
        raise ReferenceDataError(f"{CLASSIFICATION_QD26}: " + "; ".join(problems))
    return catalogue


def _nests(code: str, parent: str) -> bool:
    """ "I.3.d" is in "I.3" and "I"; "I.1" is not in "I.10". A leaf group nests in itself."""
    return code == parent or code.startswith(f"{parent}.")


def _tree_problems(c: _Catalogue) -> list[str]:
    """Check that codes nest, every group has leaves, and each set number is used once."""
    problems = [
        f"group {g.code} outside {g.sector_code}"
        for g in c.groups.values()
        if g.sector_code not in c.sectors or not _nests(g.code, g.sector_code)
    ]
    for s in c.scoring_sets.values():
        if s.group_code not in c.groups or not _nests(s.code, s.group_code):
            problems.append(f"set {s.code} outside group {s.group_code}")
        elif c.groups[s.group_code].sector_code != s.sector_code:
            problems.append(f"set {s.code} has the wrong sector")
        problems += [
            f"set {s.code}: unknown ministry {m}" for m in s.ministries if m not in c.ministries
        ]
    for g in c.groups.values():
        leaves = [s for s in c.scoring_sets.values() if s.group_code == g.code]
        if not leaves or (len(leaves) > 1 and any(s.is_group for s in leaves)):
            problems.append(f"group {g.code} must be one leaf or have only sub-group leaves")
    numbers = sorted(s.set_number for s in c.scoring_sets.values())
    if numbers != list(range(1, len(numbers) + 1)):
        problems.append("set numbers must be 1..n, each once")
    problems += [
        f"legacy {x.code}: unknown sector"
        for x in c.legacy.values()
        if not set(x.qd26_sector_codes) <= set(c.sectors)
    ]
    return problems


# --- lookups -------------------------------------------------------------------------------


def classification_header() -> DataHeader:
    """Provenance of the classification (source, code scheme, what was verified)."""
    return _catalogue().header


def ministries() -> Mapping[str, Ministry]:
    return _catalogue().ministries


def sectors() -> Mapping[str, Sector]:
    """The 6 sectors (ngành / nhóm sản phẩm), keyed "I".."VI"."""
    return _catalogue().sectors


def groups() -> Mapping[str, Group]:
    """The 17 groups (nhóm), keyed like "I.3"."""
    return _catalogue().groups


def scoring_sets() -> Mapping[str, ScoringSet]:
    """The 26 scoring sets (bộ sản phẩm), keyed like "I.3.d" or "III.2", in Appendix order."""
    return _catalogue().scoring_sets


def legacy_sector_mapping() -> Mapping[str, LegacySector]:
    """Sectors of QĐ 1048/2019 ("QD1048-1".."-6") and QĐ 148/2023 ("QD148-I".."-VI") with the
    QĐ26 sectors they correspond to. Check `verified` before relying on a row.
    """
    return _catalogue().legacy


def _canonical(code: str) -> str:
    parts = code.strip().split(".")
    parts[0] = parts[0].upper()
    if len(parts) == 3:
        parts[2] = parts[2].lower()
    return ".".join(parts)


def _hint(code: str) -> str:
    catalogue = _catalogue()
    if code in catalogue.groups or code in catalogue.sectors:
        inside = [s for s in catalogue.scoring_sets if s.startswith(f"{code}.")]
        return f"'{code}' is a group or sector; its scoring sets are {', '.join(inside)}"
    close = difflib.get_close_matches(code, list(catalogue.scoring_sets), n=3, cutoff=0.5)
    if close:
        return f"did you mean {', '.join(close)}?"
    return "codes look like 'I.1.a', 'III.2' or 'VI.1'; see scoring_sets()"


def find_scoring_set(code: str) -> ScoringSet:
    """The scoring set with `code` (case of the numeral and letter is forgiven: "i.1.A")."""
    canonical = _canonical(code)
    found = _catalogue().scoring_sets.get(canonical)
    if found is None:
        raise UnknownClassificationError(
            f"unknown QĐ26 scoring set {code!r}", code=code, hint=_hint(canonical)
        )
    return found


def scoring_set_by_number(number: int) -> ScoringSet:
    """The scoring set numbered `number` (1-26) in Appendix II, as dossiers often cite it."""
    for scoring_set in _catalogue().scoring_sets.values():
        if scoring_set.set_number == number:
            return scoring_set
    raise UnknownClassificationError(
        f"no QĐ26 scoring set number {number}", code=str(number), hint="numbers run 1-26"
    )


def scoring_sets_in(code: str) -> tuple[ScoringSet, ...]:
    """Scoring sets under a sector ("I") or group ("I.3"), or the set itself."""
    canonical = _canonical(code)
    found = tuple(s for s in _catalogue().scoring_sets.values() if _nests(s.code, canonical))
    if not found:
        raise UnknownClassificationError(
            f"unknown QĐ26 classification code {code!r}", code=code, hint=_hint(canonical)
        )
    return found
