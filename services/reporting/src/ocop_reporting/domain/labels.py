"""What the dashboard shows for the codes of the contracts: the official Vietnamese names (and
English ones) of legal forms (QĐ 26/2026 Art. 2.3) and sectors (Appendix I, from the reference
data). Pure: the page never shows a raw code such as `cooperative`."""

from __future__ import annotations

from ocop_contracts import LegalForm
from ocop_contracts.reference import sectors

Label = dict[str, str]  # language ("vi", "en") → text

LEGAL_FORMS: dict[LegalForm, Label] = {
    LegalForm.COOPERATIVE: {"vi": "Hợp tác xã", "en": "Cooperative"},
    LegalForm.COOPERATIVE_GROUP: {"vi": "Tổ hợp tác", "en": "Cooperative group"},
    LegalForm.ENTERPRISE: {"vi": "Doanh nghiệp", "en": "Enterprise"},
    LegalForm.FARM: {"vi": "Trang trại", "en": "Farm"},
    LegalForm.HOUSEHOLD: {"vi": "Hộ kinh doanh", "en": "Household business"},
    LegalForm.ASSOCIATION: {"vi": "Hội, hiệp hội", "en": "Association"},
    LegalForm.OPERATING_CENTRE: {"vi": "Trung tâm vận hành", "en": "Operating centre"},
}
UNKNOWN_SECTOR: Label = {"vi": "Chưa xác định ngành", "en": "Sector not known"}


def sector_labels() -> dict[str, Label]:
    """Each sector code of the classification, and "?" for a product without one."""
    found = {code: {"vi": s.name_vi, "en": s.name_en} for code, s in sectors().items()}
    return found | {"?": UNKNOWN_SECTOR}


def legal_form_labels() -> dict[str, Label]:
    return {form.value: label for form, label in LEGAL_FORMS.items()}
