"""Field types the request bodies share."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

ProvinceCode = Annotated[str, Field(pattern=r"^\d{2}$")]
CommuneCode = Annotated[str, Field(pattern=r"^\d{5}$")]
