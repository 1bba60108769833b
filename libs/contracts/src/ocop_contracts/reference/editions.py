"""The shipped data files, their editions and digests, and the common file header.

Events cite `REFERENCE_EDITIONS[file]` to say which data version validated them. The digests are
constants (no I/O at import). Loading a file checks its bytes against them, so an edited file that
nobody re-versioned fails loudly instead of passing as the old edition.
"""

import hashlib
import json
import unicodedata
from datetime import date
from importlib import resources
from types import MappingProxyType
from typing import Annotated, Any, NamedTuple

from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationError

from ocop_contracts.reference.errors import ReferenceDataError


class ReferenceEdition(NamedTuple):
    edition: str
    sha256: str


PROVINCES_2008 = "provinces-2008.json"
PROVINCES_2025 = "provinces-2025.json"
PROVINCE_MAPPING_2025 = "province-mapping-2025.json"
CLASSIFICATION_QD26 = "classification-qd26-2026.json"
COMMUNES_2025 = "communes-2025.json"

# Changing a data file means a new digest here, and a new edition if meaning changed.
REFERENCE_EDITIONS: MappingProxyType[str, ReferenceEdition] = MappingProxyType(
    {
        PROVINCES_2008: ReferenceEdition(
            "2008", "ef77d2cafbd4d43834027f882e01d74f849e5c67e5269d0f0d495d88409dbf7e"
        ),
        PROVINCES_2025: ReferenceEdition(
            "2025", "c02df2e93f9a59a853814b6e1043ba95af9d3ef37d5fd1504a0b811362790f95"
        ),
        PROVINCE_MAPPING_2025: ReferenceEdition(
            "2025", "02a99bd88fdafa8091b7cc2105526003f07d722ae34d98951f4f20d2d468e9bc"
        ),
        CLASSIFICATION_QD26: ReferenceEdition(
            "QD26-2026", "7ac209fa9f801857c450a2c759a51be58faf976ad2533f004754fd09fb85c4a3"
        ),
        COMMUNES_2025: ReferenceEdition(
            "2025", "4e5abf03d90d248af2772c66914d10b6f2659bf25085c40bbc690e817c061b33"
        ),
    }
)


def _require_nfc(text: str) -> str:
    if unicodedata.normalize("NFC", text) != text:
        raise ValueError(f"text is not in Unicode NFC: {text!r}")
    return text


NfcText = Annotated[str, AfterValidator(_require_nfc)]
"""Vietnamese text that must already be NFC: shipped data is checked, never silently fixed."""


class FrozenModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SourceRef(FrozenModel):
    legal_text: NfcText
    url: str
    cross_checked_against: tuple[str, ...] = ()


class DataHeader(FrozenModel):
    """Provenance block at the top of every data file; `verified` lists what was (not) checked."""

    dataset: str
    edition: str
    effective_from: date
    effective_to: date | None = None
    source: SourceRef
    verified: tuple[NfcText, ...]
    code_scheme: str | None = None
    from_edition: str | None = None
    to_edition: str | None = None


def read_data_bytes(file_name: str) -> bytes:
    """Return the raw bytes of a shipped data file."""
    if file_name not in REFERENCE_EDITIONS:
        raise ReferenceDataError(f"{file_name!r} is not a shipped reference file")
    return (resources.files("ocop_contracts.reference") / "data" / file_name).read_bytes()


def file_sha256(file_name: str) -> str:
    """Digest of the file as shipped (what REFERENCE_EDITIONS must record)."""
    return hashlib.sha256(read_data_bytes(file_name)).hexdigest()


def load_data(file_name: str) -> dict[str, Any]:
    """Read, digest-check and JSON-decode a shipped data file."""
    raw = read_data_bytes(file_name)
    expected = REFERENCE_EDITIONS[file_name].sha256
    actual = hashlib.sha256(raw).hexdigest()
    if actual != expected:
        raise ReferenceDataError(
            f"{file_name}: sha256 {actual} differs from REFERENCE_EDITIONS ({expected}); "
            "update the digest (and the edition if the meaning changed)"
        )
    document = json.loads(raw.decode("utf-8"))
    if not isinstance(document, dict):
        raise ReferenceDataError(f"{file_name}: top level must be a JSON object")
    return document


def parse_header(file_name: str, document: dict[str, Any]) -> DataHeader:
    try:
        header = DataHeader.model_validate(document.get("header"))
    except ValidationError as exc:
        raise ReferenceDataError(f"{file_name}: bad header: {exc}") from exc
    if header.edition != REFERENCE_EDITIONS[file_name].edition:
        raise ReferenceDataError(
            f"{file_name}: header edition {header.edition!r} differs from REFERENCE_EDITIONS"
        )
    return header
