"""The registry's rules on codes and reference data, raised as 422s that name the field. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ocop_contracts import LegalForm
from ocop_contracts.reference import (
    ScoringSet,
    UnknownClassificationError,
    UnknownUnitError,
    find_commune,
    find_province,
    find_scoring_set,
    is_commune_code_format,
    legacy_sector_mapping,
    successor_of,
)
from ocop_platform.errors import DomainError
from ocop_registry.domain.codes import tax_code_problem
from ocop_registry.domain.commands import LegacyAddress

TOURISM_SECTOR = "VI"
TOURISM_ONLY = frozenset({LegalForm.ASSOCIATION, LegalForm.OPERATING_CENTRE})
# QĐ 26/2026 Art. 2.3: these forms need a business registration (tax number or certificate).
_BEFORE_MERGER = date(2025, 6, 30)
NEEDS_REGISTRATION = frozenset(
    {LegalForm.COOPERATIVE, LegalForm.ENTERPRISE, LegalForm.HOUSEHOLD, LegalForm.FARM}
)


def _at(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


def check_unit(province_code: str, commune_code: str, prefix: str = "") -> str:
    """A 2025 province and one of its 3,321 communes; returns the commune's name."""
    try:
        find_province(province_code)
    except UnknownUnitError as exc:
        raise DomainError(str(exc), field=_at(prefix, "province_code")) from exc
    try:
        return find_commune(commune_code, province_code).name
    except UnknownUnitError as exc:
        raise DomainError(str(exc), field=_at(prefix, "commune_code")) from exc


def check_legacy_address(address: LegacyAddress, province_code: str) -> None:
    """Old units must have existed and the old province must have become `province_code`."""
    field = "legacy_address.province_code"
    try:
        find_province(address.province_code, on=_BEFORE_MERGER)
    except UnknownUnitError as exc:
        raise DomainError(str(exc), field=field) from exc
    successor = successor_of(address.province_code)
    if successor != province_code:
        raise DomainError(
            f"old province {address.province_code} became {successor}, not {province_code}",
            field=field,
        )
    if address.commune_code is not None and not is_commune_code_format(address.commune_code):
        raise DomainError("a commune code has five digits", field="legacy_address.commune_code")


def check_registered_on(day: date | None, today: date, field: str = "registered_on") -> None:
    """A registration of an earlier day is history; one of a later day has not happened."""
    if day is not None and day > today:
        raise DomainError(
            f"{field} {day.isoformat()} is after today ({today.isoformat()}, Vietnam's date)",
            field=field,
        )


def check_tax_code(tax_code: str | None, field: str = "tax_code") -> None:
    if tax_code is not None and (problem := tax_code_problem(tax_code)):
        raise DomainError(f"invalid tax number {tax_code!r}: {problem}", field=field)


def registration_key(tax_code: str | None, registration_number: str | None) -> str | None:
    """One producer per tax number (branches share the head office's) or registration number."""
    if tax_code:
        return f"mst:{tax_code[:10]}"
    if registration_number:
        return f"dkkd:{registration_number.upper()}"
    return None


def scoring_set(code: str, field: str = "scoring_set_code") -> ScoringSet:
    try:
        return find_scoring_set(code)
    except UnknownClassificationError as exc:
        raise DomainError(str(exc), field=field) from exc


def check_legal_form_for(legal_form: LegalForm, found: ScoringSet, field: str) -> None:
    if legal_form in TOURISM_ONLY and found.sector_code != TOURISM_SECTOR:
        raise DomainError(
            f"a producer of legal form {legal_form.value} may register only community tourism "
            f"(sector VI, e.g. VI.1), not {found.code} (QĐ 26/2026 Art. 2.3)",
            field=field,
        )


@dataclass(frozen=True)
class Classification:
    """A product's QĐ 26 scoring set with its group and sector, and its older sector if given."""

    scoring_set_code: str
    group_code: str
    sector_code: str
    legacy_classification: str | None = None


def classify(
    scoring_set_code: str, legal_form: LegalForm, legacy_classification: str | None
) -> Classification:
    """The classification of a product of a producer of ``legal_form``, checked."""
    found = scoring_set(scoring_set_code)
    check_legal_form_for(legal_form, found, "scoring_set_code")
    legacy = check_legacy_classification(legacy_classification, found, "legacy_classification")
    return Classification(found.code, found.group_code, found.sector_code, legacy)


def check_legacy_classification(code: str | None, found: ScoringSet, field: str) -> str | None:
    """A QĐ 1048/148 sector must map to the sector of the product's QĐ26 scoring set."""
    if code is None:
        return None
    legacy = legacy_sector_mapping().get(code.strip().upper())
    if legacy is None:
        known = ", ".join(legacy_sector_mapping())
        raise DomainError(f"unknown legacy classification {code!r}; known: {known}", field=field)
    if found.sector_code not in legacy.qd26_sector_codes:
        raise DomainError(
            f"{legacy.code} ({legacy.name_vi}) maps to QĐ26 sector(s) "
            f"{', '.join(legacy.qd26_sector_codes)}, but {found.code} is in sector "
            f"{found.sector_code}",
            field=field,
        )
    return legacy.code


def dossier_gaps(
    legal_form: LegalForm, *, registered: bool, representative: bool, contacts: bool
) -> list[str]:
    """What a producer record still lacks for a QĐ 26 dossier (shown, not enforced).
    ``registered``: it has a tax number or a business registration number."""
    gaps: list[str] = []
    if legal_form in NEEDS_REGISTRATION and not registered:
        gaps.append("tax_code or registration_number (business registration, QĐ 26 Art. 2.3)")
    if not representative:
        gaps.append("representative (Form 02: sex and ethnicity of the legal representative)")
    if not contacts:
        gaps.append("contacts")
    return gaps
