"""What a search of the register asks for. Pure: the adapters turn it into a query."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ocop_contracts import LegalForm
from ocop_contracts.reference import fold_vi, is_current_province, is_legacy_province
from ocop_platform.errors import DomainError
from ocop_registry.domain.model import ProductStatus

MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class SearchFilters:
    province_code: str | None = None
    province_edition: str = "2025"  # "2008": a pre-July-2025 province code
    commune_code: str | None = None
    sector: str | None = None
    group: str | None = None
    scoring_set_code: str | None = None
    stars: int | None = None
    min_stars: int | None = None
    status: ProductStatus | None = None  # None: every status but draft
    legal_form: LegalForm | None = None
    women_led: bool | None = None
    ethnic_minority_led: bool | None = None
    entity_id: str | None = None
    year: int | None = None
    q: str | None = None

    def __post_init__(self) -> None:
        code = self.province_code
        if code is None:
            return
        if self.province_edition == "2008" and not is_legacy_province(code):
            raise DomainError(f"unknown pre-2025 province code {code!r}", field="province_code")
        if self.province_edition != "2008" and not is_current_province(code):
            raise DomainError(
                f"unknown 2025 province code {code!r}; for a pre-2025 code pass "
                "province_edition=2008",
                field="province_code",
            )

    @property
    def name_fold(self) -> str | None:
        """The folded text a name must contain (case and accents ignored)."""
        return fold_vi(self.q) if self.q else None

    def equalities(self) -> dict[str, Any]:
        """The product fields that must equal a value (stored field names)."""
        province_field = "legacy_province_code" if self.province_edition == "2008" else None
        wanted = {
            province_field or "province_code": self.province_code,
            "commune_code": self.commune_code,
            "sector_code": self.sector,
            "group_code": self.group,
            "scoring_set_code": self.scoring_set_code,
            "stars": self.stars,
            "legal_form": self.legal_form.value if self.legal_form else None,
            "women_led": self.women_led,
            "ethnic_minority_led": self.ethnic_minority_led,
            "entity_id": self.entity_id,
            "year": self.year,
        }
        return {name: value for name, value in wanted.items() if value is not None}
