"""Product codes, tax numbers and lookup payloads: parsing and checks. Pure: no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

from ocop_contracts.legacy import LegacyUnit
from ocop_contracts.reference import UnknownUnitError, is_legacy_province, successor_of
from ocop_platform.errors import DomainError

QD26_CODE = re.compile(r"^(\d{2})-(\d{5})-(\d{1,5})-(\d{4})$")
# Before 1 July 2025 codes carried the district: province-district-commune-sequence-year.
LEGACY_CODE = re.compile(r"^(\d{2})-(\d{3})-(\d{5})-(\d{1,5})-(\d{4})$")
TAX_CODE = re.compile(r"^(\d{10})(-\d{3})?$")
_TAX_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)


@dataclass(frozen=True)
class ParsedCode:
    province_code: str  # 2025 code for a QĐ26 code; 2008 code for a legacy one
    commune_code: str
    sequence: int
    year: int
    district_code: str | None = None

    @property
    def legacy(self) -> bool:
        return self.district_code is not None


def parse_product_code(code: str) -> ParsedCode | None:
    """Parse a QĐ26 or a legacy (district) product code; None when it is neither."""
    code = code.strip()
    if m := QD26_CODE.match(code):
        return ParsedCode(m[1], m[2], int(m[3]), int(m[4]))
    if m := LEGACY_CODE.match(code):
        return ParsedCode(m[1], m[3], int(m[4]), int(m[5]), district_code=m[2])
    return None


def legacy_unit_of_code(code: str | None) -> LegacyUnit | None:
    """The 2008 unit a legacy product code names (province, district, commune); None for a
    QĐ 26 code or none: a 2025 code says nothing of the unit before the merger."""
    parsed = parse_product_code(code) if code else None
    if parsed is None or not parsed.legacy:
        return None
    return LegacyUnit(
        province_code=parsed.province_code,
        district_code=parsed.district_code,
        commune_code=parsed.commune_code,
    )


def code_mismatch(parsed: ParsedCode, province_code: str, commune_code: str) -> str | None:
    """Why a product code does not belong to the product's unit, or None when it does.

    A QĐ26 code must carry the product's own 2025 province and commune. A legacy code carries the
    old province, whose successor must be the product's province; its old commune cannot be
    checked against today's communes (the pre-2025 list is not shipped).
    """
    if not parsed.legacy:
        if parsed.province_code != province_code:
            return f"code is for province {parsed.province_code}, the product is in {province_code}"
        if parsed.commune_code != commune_code:
            return f"code is for commune {parsed.commune_code}, the product is in {commune_code}"
        return None
    if not is_legacy_province(parsed.province_code):
        return f"{parsed.province_code} is not a pre-2025 province code"
    try:
        successor = successor_of(parsed.province_code)
    except UnknownUnitError as exc:  # pragma: no cover - is_legacy_province checked it
        return str(exc)
    if successor != province_code:
        return (
            f"legacy code is for old province {parsed.province_code} (now {successor}), "
            f"the product is in {province_code}"
        )
    return None


@dataclass(frozen=True)
class GivenCode:
    """What a code given at registration leaves on the product. A QĐ 26 code keeps its number
    (``sequence``; 0: allocate the next one); a legacy code is kept beside the QĐ 26 code
    allocated, with its old province."""

    legacy_code: str | None = None
    legacy_province_code: str | None = None
    sequence: int = 0


def check_given_code(
    code: str | None,
    year: int,
    province_code: str,
    commune_code: str,
    legacy_province_code: str | None = None,
) -> GivenCode:
    """A code given for a product of this unit and year, checked (``legacy_province_code``: the
    producer's old province, kept when the code does not name one)."""
    if code is None:
        return GivenCode(legacy_province_code=legacy_province_code)
    parsed = parse_product_code(code)
    if parsed is None:
        raise DomainError(
            "a product code has the QĐ26 form province-commune-sequence-year "
            "(e.g. 82-29869-7-2026) or the older province-district-commune-sequence-year",
            field="product_code",
        )
    if problem := code_mismatch(parsed, province_code, commune_code):
        raise DomainError(problem, field="product_code")
    if parsed.year != year:
        raise DomainError(
            f"the code's year {parsed.year} differs from year {year}", field="product_code"
        )
    if not parsed.legacy:
        return GivenCode(legacy_province_code=legacy_province_code, sequence=parsed.sequence)
    return GivenCode(legacy_code=code.strip(), legacy_province_code=parsed.province_code)


def tax_code_problem(tax_code: str) -> str | None:
    """Vietnamese tax number (mã số thuế, also the enterprise/cooperative registration number):
    10 digits with a check digit, or 13 with a '-NNN' branch suffix. None when valid."""
    m = TAX_CODE.match(tax_code)
    if m is None:
        return "a tax number has 10 digits, or 10 digits and '-' and 3 for a branch"
    digits = [int(c) for c in m[1]]
    remainder = sum(w * d for w, d in zip(_TAX_WEIGHTS, digits, strict=False)) % 11
    if remainder == 0 or 10 - remainder != digits[9]:
        return "the tax number's check digit is wrong (typo?)"
    return None


def tax_check_digit(first_nine: str) -> int | None:
    """The check digit that completes `first_nine`, or None when no digit can (remainder 0)."""
    remainder = sum(w * int(d) for w, d in zip(_TAX_WEIGHTS, first_nine, strict=True)) % 11
    return None if remainder == 0 else 10 - remainder


_CODE_PARAMS = ("code", "ma", "product_code", "masp", "c", "q", "certificate", "cert")


def lookup_key(payload: str) -> str:
    """What a public lookup searches for: the code inside a QR payload, a URL or plain text.

    Accepts "82-29869-1-2026", "OCOP:82-29869-1-2026", "https://…/san-pham/82-29869-1-2026",
    "https://…/tra-cuu?code=82-29869-1-2026" and certificate numbers as they are printed.
    """
    text = payload.strip()
    if "://" in text:
        parts = urlsplit(text)
        query = parse_qs(parts.query)
        for name in _CODE_PARAMS:
            if query.get(name):
                return query[name][0].strip()
        segments = [s for s in parts.path.split("/") if s]
        return unquote(segments[-1]).strip() if segments else ""
    if text.upper().startswith("OCOP:"):
        return text[5:].strip()
    return text
