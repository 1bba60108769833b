"""A row of a province's existing OCOP register (CSV or XLSX), checked by the same rules as the
HTTP API; problems name the column. Pure: no I/O (``service_layer/imports.py`` runs the import).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
)

from ocop_contracts import LegalForm, RatingLevel
from ocop_contracts.reference import fold_vi
from ocop_platform.errors import DomainError
from ocop_registry.domain import rules
from ocop_registry.domain.certified import check_certificate
from ocop_registry.domain.codes import GivenCode, code_mismatch, parse_product_code
from ocop_registry.domain.commands import (
    CommuneCode,
    DistrictCode,
    LegacyAddress,
    LongText,
    Name,
    ProvinceCode,
    RegisterEntity,
    RegisterProduct,
    Representative,
    ShortText,
)
from ocop_registry.domain.model import Sex
from ocop_registry.domain.products import ImportedRating

_TRUE = {"1", "x", "true", "yes", "y", "có", "co", "đúng"}
_FALSE = {"0", "false", "no", "n", "không", "khong", "sai"}


def _blank_to_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


def _flag(value: Any) -> Any:
    value = _blank_to_none(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    return value


def _padded(width: int) -> Any:
    def pad(value: Any) -> Any:
        value = _blank_to_none(value)
        if isinstance(value, str) and value.isdigit() and len(value) < width:
            return value.zfill(width)  # spreadsheets drop leading zeros of numeric codes
        return value

    return BeforeValidator(pad)


def _day(value: Any) -> Any:
    """ISO dates, and the dd/mm/yyyy registers are often kept in."""
    value = _blank_to_none(value)
    if isinstance(value, str) and value.count("/") == 2:
        day, month, year = (part.strip() for part in value.split("/"))
        if day.isdigit() and month.isdigit() and year.isdigit() and len(year) == 4:
            return f"{year}-{month.zfill(2)}-{day.zfill(2)}"
    return value


Blank = BeforeValidator(_blank_to_none)
Day = Annotated[date | None, BeforeValidator(_day)]
Flag = Annotated[bool | None, BeforeValidator(_flag)]


class ImportRow(BaseModel):
    """One line of a register: a product and its producer. Column names are these field names
    (case and spaces forgiven); see GET /imports/template.csv."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    producer_name: Name
    legal_form: LegalForm
    tax_code: Annotated[str | None, Blank] = Field(default=None, max_length=14)
    registration_number: Annotated[str | None, Blank] = Field(
        default=None, pattern=r"^[0-9A-Za-z./-]{3,30}$"
    )
    province_code: Annotated[ProvinceCode, _padded(2)]
    commune_code: Annotated[CommuneCode, _padded(5)]
    legacy_province_code: Annotated[ProvinceCode | None, _padded(2)] = None
    legacy_district_code: Annotated[DistrictCode | None, _padded(3)] = None
    legacy_commune_code: Annotated[CommuneCode | None, _padded(5)] = None
    representative_name: Annotated[Name | None, Blank] = None
    representative_sex: Annotated[Sex | None, Blank] = None
    representative_ethnicity: Annotated[ShortText | None, Blank] = None
    representative_disability: Flag = None
    women_led: Flag = None
    ethnic_minority_led: Flag = None
    product_name: Name
    scoring_set_code: str = Field(min_length=1, max_length=16)
    legacy_classification: Annotated[str | None, Blank] = Field(default=None, max_length=16)
    year: int = Field(ge=2018, le=2100)
    product_code: Annotated[str | None, Blank] = Field(default=None, max_length=32)
    stars: Annotated[int | None, Blank] = Field(default=None, ge=1, le=5)
    score: Annotated[float | None, Blank] = Field(default=None, ge=0, le=100)
    certificate_id: Annotated[str | None, Blank] = Field(default=None, max_length=64)
    decision_ref: Annotated[str | None, Blank] = Field(default=None, max_length=100)
    certified_on: Annotated[date | None, Blank] = None  # the issuing decision's date
    issuing_level: Annotated[RatingLevel | None, Blank] = None
    valid_until: Annotated[date | None, Blank] = None
    description: Annotated[LongText | None, Blank] = None
    trademark: Annotated[ShortText | None, Blank] = None
    geographical_indication: Annotated[ShortText | None, Blank] = None
    traceability: Annotated[ShortText | None, Blank] = None
    raw_material_local_share: Annotated[float | None, Blank] = Field(default=None, ge=0, le=100)
    local_labour: Annotated[int | None, Blank] = Field(default=None, ge=0, le=100_000)
    # The day the product (and a producer first met on this row) joined the programme.
    registered_on: Day = Field(
        default=None, validation_alias=AliasChoices("registered_on", "ngày_đăng_ký")
    )

    def legacy_address(self) -> LegacyAddress | None:
        if not self.legacy_province_code:
            return None
        return LegacyAddress(
            province_code=self.legacy_province_code,
            district_code=self.legacy_district_code,
            commune_code=self.legacy_commune_code,
        )

    def register_entity(self) -> RegisterEntity:
        """The row's producer, as POST /entities would register it."""
        representative = None
        if self.representative_name and self.representative_sex:
            representative = Representative(
                full_name=self.representative_name,
                sex=self.representative_sex,
                ethnicity=self.representative_ethnicity or "Kinh",
                disability=bool(self.representative_disability),
            )
        return RegisterEntity(
            name=self.producer_name,
            legal_form=self.legal_form,
            tax_code=self.tax_code,
            registration_number=self.registration_number,
            province_code=self.province_code,
            commune_code=self.commune_code,
            legacy_address=self.legacy_address(),
            representative=representative,
            women_led=self.women_led,
            ethnic_minority_led=self.ethnic_minority_led,
            disability_led=self.representative_disability,
            registered_on=self.registered_on,
        )

    def register_product(self, entity_id: str) -> RegisterProduct:
        """The row's product, as POST /products would register it (its code apart)."""
        return RegisterProduct(
            entity_id=entity_id,
            name=self.product_name,
            scoring_set_code=self.scoring_set_code,
            year=self.year,
            description=self.description,
            trademark=self.trademark,
            geographical_indication=self.geographical_indication,
            traceability=self.traceability,
            raw_material_local_share=self.raw_material_local_share,
            local_labour=self.local_labour,
            registered_on=self.registered_on,
        )

    def imported_rating(self) -> ImportedRating | None:
        """The rating the row records: 1–2★ alone, or 3–5★ with its certificate (checked)."""
        if self.stars is None:
            return None
        return ImportedRating(
            stars=self.stars,
            score=self.score,
            certified_on=self.certified_on,
            certificate_id=self.certificate_id,
            decision_ref=self.decision_ref,
            level=self.issuing_level,
            valid_until=self.valid_until,
        )


COLUMNS = tuple(ImportRow.model_fields)
REQUIRED = tuple(n for n, f in ImportRow.model_fields.items() if f.is_required())
# What a 3–5★ row needs besides: its certificate (issuing_level and valid_until may be blank).
FOR_CERTIFICATES = ("score", "certificate_id", "decision_ref", "certified_on")


@dataclass(frozen=True)
class RowProblem:
    row: int  # spreadsheet row number (the header is row 1)
    column: str
    message: str


@dataclass(frozen=True)
class Checked:
    """A valid row, ready to write."""

    row: ImportRow
    entity_key: str  # its producer: the registration key, else the name in the commune
    classification: rules.Classification
    code_key: str | None = None  # a QĐ26 code given in the file
    legacy_code: str | None = None  # an older code given in the file
    given_sequence: int = 0  # the QĐ26 code's number

    @property
    def sequence_key(self) -> tuple[str, int]:
        """Whose running number a code of this row takes: (commune, year)."""
        return self.row.commune_code, self.row.year

    @property
    def given(self) -> GivenCode:
        parsed = parse_product_code(self.legacy_code) if self.legacy_code else None
        old_province = parsed.province_code if parsed else self.row.legacy_province_code
        return GivenCode(self.legacy_code, old_province, self.given_sequence)


def check_row(
    raw: dict[str, str], row_no: int, province: str, today: date | None = None
) -> Checked | list[RowProblem]:
    """All the rules the HTTP API applies, for one row; problems name the column. ``today``:
    the business date (a certificate decided after it is refused)."""
    try:
        row = ImportRow.model_validate(raw)
    except ValidationError as exc:
        return [
            RowProblem(row_no, ".".join(str(p) for p in e["loc"]) or "row", e["msg"])
            for e in exc.errors()
        ]
    try:
        return _check_rules(row, province, today)
    except DomainError as exc:
        return [RowProblem(row_no, exc.field or "row", exc.message)]


def _check_rules(row: ImportRow, province: str, today: date | None) -> Checked:
    if row.province_code != province:
        raise DomainError(
            f"row is for province {row.province_code}; this import is for {province}",
            field="province_code",
        )
    rules.check_unit(row.province_code, row.commune_code)
    rules.check_tax_code(row.tax_code)
    if (legacy_address := row.legacy_address()) is not None:
        rules.check_legacy_address(legacy_address, province)
    classification = rules.classify(row.scoring_set_code, row.legal_form, row.legacy_classification)
    code = _check_code(row, province)
    if today is not None:
        rules.check_registered_on(row.registered_on, today)
    if row.stars is None and (row.certificate_id or row.certified_on or row.decision_ref):
        raise DomainError("a certificate needs the stars it was issued for", field="stars")
    if (rating := row.imported_rating()) is not None:
        row = row.model_copy(update={"issuing_level": check_certificate(rating, today)})
    registration = rules.registration_key(row.tax_code, row.registration_number)
    entity_key = registration or f"name:{fold_vi(row.producer_name)}:{row.commune_code}"
    return Checked(row, entity_key, classification, **code)


def _check_code(row: ImportRow, province: str) -> dict[str, Any]:
    """The code a row gives, checked: its ``code_key`` and number, or its ``legacy_code``."""
    if not row.product_code:
        return {}
    parsed = parse_product_code(row.product_code)
    if parsed is None:
        raise DomainError(
            "not a product code (province-commune-sequence-year, or the older "
            "province-district-commune-sequence-year)",
            field="product_code",
        )
    if problem := code_mismatch(parsed, province, row.commune_code):
        raise DomainError(problem, field="product_code")
    if parsed.year != row.year:
        raise DomainError(f"code year {parsed.year} ≠ year {row.year}", field="product_code")
    if parsed.legacy:
        return {"legacy_code": row.product_code.strip()}
    return {"code_key": row.product_code.strip(), "given_sequence": parsed.sequence}
