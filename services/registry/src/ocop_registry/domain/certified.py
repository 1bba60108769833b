"""The rating and certificate a province's register records for a product rated before the
platform, checked before anything is written. Pure: no I/O.

A 3–5★ row is a certificate: its number, the issuing decision and its date, the council's score
and who issued it (the province for 3–4★, the Ministry for 5★). The registry does not take these
stars itself: it declares the certificate to evaluation (PriorCertificateDeclared), which adopts
it under the rule set in force on the decision's date. So the checks here are those evaluation
applies, made row by row so that a register with a bad row imports nothing.
"""

from __future__ import annotations

from datetime import date

from ocop_contracts import RatingLevel
from ocop_platform.errors import DomainError
from ocop_registry.domain.lifecycle import CERTIFICATE_MONTHS, certificate_end
from ocop_registry.domain.products import ImportedRating

# QĐ 1048/QĐ-TTg (21 Aug 2019), the first rule set: no OCOP certificate is older.
FIRST_RULES_ON = date(2019, 8, 21)
# The lower score of each star band, the same in QĐ 1048, 148, 1489 and 26 (domain.md §1.3).
BANDS = ((5, 90.0), (4, 70.0), (3, 50.0), (2, 30.0))
# The most stars each level certifies: the province 3–4★, the Ministry 5★ (QĐ 26 Art. 7.3–7.4).
MAX_STARS = {RatingLevel.PROVINCE: 4, RatingLevel.CENTRAL: 5}


def band(score: float) -> int:
    return next((stars for stars, lower in BANDS if score >= lower), 1)


def check_certificate(rating: ImportedRating, today: date | None = None) -> RatingLevel | None:
    """Raise a DomainError naming the column; return the issuing level (the province for 3–4★
    and the Ministry for 5★ when the row leaves it blank; None for 1–2★)."""
    if rating.stars < 3:
        _no_certificate(rating)
        if rating.score is not None:
            _check_band(rating.stars, rating.score, RatingLevel.PROVINCE)
        return None
    for column in ("certificate_id", "decision_ref", "certified_on", "score"):
        if getattr(rating, column) is None:
            raise DomainError(f"a {rating.stars}★ certificate needs its {column}", field=column)
    assert rating.certified_on is not None and rating.score is not None  # checked just above
    _check_date(rating.certified_on, today)
    level = _check_level(rating.stars, rating.level)
    _check_band(rating.stars, rating.score, level)
    end = certificate_end(rating.certified_on)
    if rating.valid_until is not None and rating.valid_until != end:
        raise DomainError(
            f"a certificate decided on {rating.certified_on.isoformat()} is valid "
            f"{CERTIFICATE_MONTHS} months under the rule set then in force: until "
            f"{end.isoformat()}, not {rating.valid_until.isoformat()}",
            field="valid_until",
        )
    return level


def _no_certificate(rating: ImportedRating) -> None:
    for column in ("certificate_id", "decision_ref", "level", "valid_until"):
        if getattr(rating, column) is not None:
            name = "issuing_level" if column == "level" else column
            raise DomainError(
                f"a {rating.stars}★ rating carries no certificate (3–5★ only)", field=name
            )


def _check_date(decided_on: date, today: date | None) -> None:
    if decided_on < FIRST_RULES_ON:
        raise DomainError(
            f"no OCOP rule set was in force on {decided_on.isoformat()} (the first, "
            f"QĐ 1048/QĐ-TTg, from {FIRST_RULES_ON.isoformat()})",
            field="certified_on",
        )
    if today is not None and decided_on > today:
        raise DomainError(
            f"the decision is dated {decided_on.isoformat()}, after today ({today.isoformat()})",
            field="certified_on",
        )


def _check_level(stars: int, level: RatingLevel | None) -> RatingLevel:
    expected = RatingLevel.CENTRAL if stars == 5 else RatingLevel.PROVINCE
    if level is not None and level is not expected:
        raise DomainError(
            f"{stars}★ certificates are issued at the {expected.value} level, not {level.value}",
            field="issuing_level",
        )
    return expected


def _check_band(stars: int, score: float, level: RatingLevel) -> None:
    # A province council's ≥90 is proposed for 5★ and certified 4★ meanwhile: the level caps it.
    expected = min(band(score), MAX_STARS[level])
    if stars != expected:
        raise DomainError(
            f"a score of {score:g} is {expected}★ at the {level.value} level, not {stars}★",
            field="score",
        )
