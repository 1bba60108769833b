"""Producers (chủ thể) and products as the registry keeps them. Pure: no I/O."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from ocop_contracts import LegalForm


class ProductStatus(StrEnum):
    REGISTERED = "registered"
    CERTIFIED = "certified"  # rated ≥3★
    RATED_BELOW_THREE = "rated_below_three"  # 1–2★: no certificate


def status_for(stars: int) -> ProductStatus:
    return ProductStatus.CERTIFIED if stars >= 3 else ProductStatus.RATED_BELOW_THREE


def normalize_name(text: str) -> str:
    """Store Vietnamese as entered but in NFC, so NFD input matches the same name."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def product_code(province_code: str, commune_code: str, sequence: int, year: int) -> str:
    """QĐ 26/2026 form: (province)-(commune)-(commune's running number)-(year)."""
    return f"{province_code}-{commune_code}-{sequence}-{year}"


@dataclass(frozen=True)
class Entity:
    entity_id: str
    name: str
    legal_form: LegalForm
    province_code: str
    commune_code: str
    women_led: bool = False
    ethnic_minority_led: bool = False
    disability_led: bool = False


@dataclass(frozen=True)
class Product:
    product_id: str
    product_code: str
    name: str
    entity_id: str
    province_code: str
    commune_code: str
    scoring_set_code: str
    status: ProductStatus = ProductStatus.REGISTERED
    stars: int = 0
