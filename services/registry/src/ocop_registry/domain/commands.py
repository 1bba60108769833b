"""What callers ask the registry to do (imperative names; plain data)."""

from dataclasses import dataclass

from ocop_contracts import LegalForm


@dataclass(frozen=True)
class RegisterEntity:
    name: str
    legal_form: LegalForm
    province_code: str
    commune_code: str
    women_led: bool = False
    ethnic_minority_led: bool = False
    disability_led: bool = False


@dataclass(frozen=True)
class RegisterProduct:
    entity_id: str
    name: str
    scoring_set_code: str
    year: int
