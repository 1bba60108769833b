"""The unit a product belonged to before the 1 July 2025 merger, as carried by events.

Schema version 2 of the dated fact events (ProductRated, ProductProposedForNational,
Certificate*, ProductWithdrawn) always gives the 2025 province in ``province_code``, whatever
the fact's date; a fact dated before the merger is attributed to ``legacy_unit`` instead. The
registry derives it from the product's legacy code or its producer's old address, never from
the 2025 code (an old province's code may name another province today: 82 was Tiền Giang).
"""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from ocop_contracts.envelope import CommuneCode, ProvinceCode
from ocop_contracts.reference import is_legacy_province

DistrictCode = Annotated[str, StringConstraints(pattern=r"^\d{3}$")]

# The schema version from which province_code is the 2025 province on facts of any date.
CURRENT_CODES_FROM = 2


class LegacyUnit(BaseModel):
    """A 2008-edition province (63 provinces), with the district and commune where known."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    province_code: ProvinceCode = Field(description="Province code of the 2008 edition.")
    district_code: DistrictCode | None = Field(
        default=None, description="District (abolished 1 July 2025), when known."
    )
    commune_code: CommuneCode | None = Field(
        default=None, description="Commune code before 1 July 2025, when known."
    )

    @field_validator("province_code")
    @classmethod
    def _a_2008_province(cls, code: str) -> str:
        if not is_legacy_province(code):
            raise ValueError(f"{code} is not a province of the 2008 edition")
        return code


LEGACY_UNIT_DESCRIPTION = (
    "The 2008-edition unit the product belonged to before 1 July 2025, from its legacy code or "
    "its producer's old address (absent when unknown). A fact dated before the merger is "
    "attributed to it; province_code stays the 2025 province."
)
