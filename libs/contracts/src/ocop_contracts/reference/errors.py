"""Errors raised by the reference-data lookups."""


class UnknownReferenceCodeError(ValueError):
    """A code or name that the reference data does not know. Carries a hint for the caller."""

    def __init__(self, message: str, *, code: str, hint: str = "") -> None:
        super().__init__(f"{message}; {hint}" if hint else message)
        self.code = code
        self.hint = hint


class UnknownUnitError(UnknownReferenceCodeError):
    """An administrative unit (province) code or name that is not in the requested edition."""


class UnknownClassificationError(UnknownReferenceCodeError):
    """A product classification code (sector, group or scoring set) that QĐ 26/2026 lacks."""


class ReferenceDataError(RuntimeError):
    """A shipped data file is broken or does not match its recorded digest: a packaging bug."""
