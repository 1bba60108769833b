"""What callers ask the registry to do: validated plain data (HTTP bodies and import rows).

Text goes through `normalize_vi` before its length is checked, so a name typed in decomposed
Unicode (NFD) is stored, compared and measured exactly like the same name in NFC.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from ocop_contracts import LegalForm
from ocop_contracts.reference import normalize_vi
from ocop_registry.domain.model import Channel, Sex


def _nfc(value: Any) -> Any:
    return normalize_vi(value) if isinstance(value, str) else value


def _text(max_length: int, min_length: int = 1) -> Any:
    return Field(min_length=min_length, max_length=max_length)


Nfc = BeforeValidator(_nfc)
Name = Annotated[str, Nfc, _text(300)]
ShortText = Annotated[str, Nfc, _text(200)]
LongText = Annotated[str, Nfc, _text(5000)]
StoryText = Annotated[str, Nfc, _text(10000)]
ProvinceCode = Annotated[str, Field(pattern=r"^\d{2}$", examples=["82"])]
CommuneCode = Annotated[str, Field(pattern=r"^\d{5}$", examples=["29869"])]
DistrictCode = Annotated[str, Field(pattern=r"^\d{3}$", examples=["866"])]
Subject = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[^\s]+$")]


REGISTERED_ON = (
    "The day it joined the OCOP programme, when that was before today (history a province "
    "office back-fills; province offices and systems only). Default: today. Not after today "
    "(Vietnam's date)."
)


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Representative(_Input):
    """The producer's legal representative (người đại diện theo pháp luật). Personal data: shown
    only to offices of the producer's unit and to the producer itself, never publicly. Sex,
    ethnicity and disability earn points (QĐ 26) and feed national statistics."""

    full_name: Annotated[str, Nfc, _text(120)]
    sex: Sex
    birth_year: int | None = Field(default=None, ge=1900, le=2100)
    ethnicity: Annotated[str, Nfc, _text(50)] = Field(default="Kinh", examples=["Khmer"])
    ethnic_minority: bool | None = Field(
        default=None, description="Default: true for any ethnicity other than Kinh."
    )
    disability: bool = False
    phone: str | None = Field(default=None, pattern=r"^[0-9+ ().-]{6,20}$")
    email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class Contacts(_Input):
    phone: str | None = Field(default=None, pattern=r"^[0-9+ ().-]{6,20}$")
    email: str | None = Field(default=None, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    website: str | None = Field(default=None, max_length=300)
    address: Annotated[str, Nfc, _text(300)] | None = Field(
        default=None, description="Street address (thôn, ấp, số nhà)."
    )


class LegacyAddress(_Input):
    """Units as recorded before 1 July 2025 (63 provinces, districts, ~10,035 communes)."""

    province_code: ProvinceCode
    district_code: DistrictCode | None = None
    commune_code: CommuneCode | None = None


class RegisterEntity(_Input):
    name: Name = Field(examples=["HTX Nông nghiệp Tân Thuận"])
    legal_form: LegalForm
    tax_code: str | None = Field(
        default=None, max_length=14, description="Mã số thuế (= enterprise/cooperative number)."
    )
    registration_number: str | None = Field(
        default=None,
        pattern=r"^[0-9A-Za-z./-]{3,30}$",
        description="Business registration number, e.g. of a household business.",
    )
    province_code: ProvinceCode
    commune_code: CommuneCode
    legacy_address: LegacyAddress | None = None
    representative: Representative | None = None
    contacts: Contacts | None = None
    accounts: list[Subject] = Field(default_factory=list, max_length=20)
    women_led: bool | None = Field(default=None, description="Default: representative is female.")
    ethnic_minority_led: bool | None = None
    disability_led: bool | None = None
    registered_on: date | None = Field(default=None, description=REGISTERED_ON)


class UpdateEntity(_Input):
    """Fields to change (omit the rest). Moving a producer needs rights in both units."""

    name: Name | None = None
    legal_form: LegalForm | None = None
    tax_code: str | None = Field(default=None, max_length=14)
    registration_number: str | None = Field(default=None, pattern=r"^[0-9A-Za-z./-]{3,30}$")
    province_code: ProvinceCode | None = None
    commune_code: CommuneCode | None = None
    legacy_address: LegacyAddress | None = None
    representative: Representative | None = None
    contacts: Contacts | None = None
    women_led: bool | None = None
    ethnic_minority_led: bool | None = None
    disability_led: bool | None = None


class ProductDetails(_Input):
    """What a dossier says about a product beyond its name and class (all optional)."""

    description: LongText | None = None
    story: StoryText | None = Field(default=None, description="Câu chuyện sản phẩm.")
    raw_material_origin: Annotated[str, Nfc, _text(500)] | None = None
    raw_material_local_share: float | None = Field(
        default=None, ge=0, le=100, description="Percent of raw material from the commune."
    )
    local_labour: int | None = Field(default=None, ge=0, le=100_000)
    trademark: ShortText | None = Field(default=None, description="Nhãn hiệu (number or name).")
    geographical_indication: ShortText | None = None
    traceability: Annotated[str, Nfc, _text(500)] | None = Field(
        default=None, description="Traceability code or link (mã truy xuất nguồn gốc)."
    )
    channels: list[Channel] = Field(default_factory=list, max_length=len(Channel))


class RegisterProduct(ProductDetails):
    entity_id: str = Field(min_length=1, max_length=64)
    name: Name = Field(examples=["Bánh phồng tôm Sa Giang"])
    scoring_set_code: str = Field(min_length=1, max_length=16, examples=["I.3.d"])
    legacy_classification: str | None = Field(
        default=None,
        max_length=16,
        description="Sector under QĐ 1048/2019 or QĐ 148/2023, e.g. QD1048-1, QD148-II.",
    )
    year: int = Field(ge=2018, le=2100, examples=[2026])
    product_code: str | None = Field(
        default=None,
        max_length=32,
        description="An existing code (QĐ26 or legacy with district); allocated when omitted.",
    )
    draft: bool = Field(default=False, description="Save without registering (no code, no event).")
    registered_on: date | None = Field(default=None, description=REGISTERED_ON)
    legacy_address: LegacyAddress | None = Field(
        default=None,
        description=(
            "The product's units before 1 July 2025, when neither a legacy product_code nor its "
            "producer's legacy_address gives them."
        ),
    )


class UpdateProduct(ProductDetails):
    name: Name | None = None
    scoring_set_code: str | None = Field(default=None, min_length=1, max_length=16)
    legacy_classification: str | None = Field(default=None, max_length=16)
    channels: list[Channel] | None = Field(default=None, max_length=len(Channel))  # type: ignore[assignment]


class WithdrawProduct(_Input):
    reason: Annotated[str, Nfc, _text(1000)]
    withdrawn_on: date | None = Field(default=None, description="Default: today.")


class AddAccount(_Input):
    subject: Subject = Field(description="The user's login (token `sub`).")
