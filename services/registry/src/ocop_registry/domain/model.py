"""Producers (chủ thể) and products as the registry keeps them. Pure: no I/O."""

from __future__ import annotations

import unicodedata
from enum import StrEnum


class ProductStatus(StrEnum):
    """Where a product stands in the OCOP lifecycle (kept current from evaluation's events)."""

    DRAFT = "draft"  # saved, not yet registered: no product code, no event
    REGISTERED = "registered"
    IN_EVALUATION = "in_evaluation"  # proposed to the central council (ProductProposedForNational)
    CERTIFIED = "certified"  # rated ≥3★ (with or without its certificate yet)
    RATED_BELOW_THREE = "rated_below_three"  # 1–2★: no certificate
    RENEWAL_DUE = "renewal_due"  # certificate in its renewal window, still valid
    EXPIRED = "expired"
    REVOKED = "revoked"
    WITHDRAWN = "withdrawn"  # by the producer or the province; final


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"


class Channel(StrEnum):
    """Distribution channels a dossier declares (Form 02 evidence: contracts, invoices)."""

    TRADITIONAL_MARKET = "traditional_market"
    AGENT_SHOP = "agent_shop"  # đại lý, cửa hàng
    SUPERMARKET = "supermarket"
    OCOP_SHOWROOM = "ocop_showroom"  # điểm giới thiệu và bán sản phẩm OCOP
    E_COMMERCE = "e_commerce"
    EXPORT = "export"
    TOURISM_SITE = "tourism_site"
    OTHER = "other"


def status_for(stars: int) -> ProductStatus:
    return ProductStatus.CERTIFIED if stars >= 3 else ProductStatus.RATED_BELOW_THREE


def normalize_name(text: str) -> str:
    """Store Vietnamese as entered but in NFC, so NFD input matches the same name."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def product_code(province_code: str, commune_code: str, sequence: int, year: int) -> str:
    """QĐ 26/2026 form: (province)-(commune)-(commune's running number)-(year)."""
    return f"{province_code}-{commune_code}-{sequence}-{year}"
