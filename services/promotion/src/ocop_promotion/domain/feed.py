"""The newly-starred feed: which ratings a promotion team must hear about, and how a team's
filter selects among them. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from ocop_contracts import ProductRated
from ocop_contracts.reference import UnknownClassificationError, find_scoring_set
from ocop_contracts.vocabulary import CertificateOrigin


class Change(StrEnum):
    FIRST_CERTIFICATION = "first_certification"  # reached ≥3★ without having held it before
    UPGRADE = "upgrade"  # 3★ → 4★, 4★ → 5★, 3★ → 5★


@dataclass(frozen=True)
class ProductFacts:
    """What promotion knows of a product from the registry (may arrive after its rating)."""

    name: str | None = None
    commune_code: str | None = None
    entity_id: str | None = None
    entity_name: str | None = None


@dataclass(frozen=True)
class FeedEntry:
    entry_id: str
    product_id: str
    province_code: str
    scoring_set_code: str
    from_stars: int
    to_stars: int
    score: float
    rated_on: date
    product_name: str | None = None
    change: Change | None = None
    sector_code: str | None = None
    group_code: str | None = None
    commune_code: str | None = None
    entity_id: str | None = None
    entity_name: str | None = None
    rating_version: int = 0
    recorded_at: datetime | None = None


def classification_of(scoring_set_code: str) -> tuple[str | None, str | None]:
    """(sector, group) of a QĐ26 scoring set code; (None, None) when the code is not one."""
    try:
        found = find_scoring_set(scoring_set_code)
    except UnknownClassificationError:
        return None, None
    return found.sector_code, found.group_code


def change_of(event: ProductRated) -> Change | None:
    """What a rating tells a promotion team; nothing for the rating behind a certificate issued
    before the platform (origin imported): it is history, not news of a new star."""
    if event.origin is CertificateOrigin.IMPORTED:
        return None
    if event.newly_certified:
        return Change.FIRST_CERTIFICATION
    if event.upgraded:
        return Change.UPGRADE
    return None


def entry_id_of(event: ProductRated) -> str:
    """One entry per rating of a product: a redelivered event maps to the same id."""
    return f"{event.product_id}:{event.aggregate_version}"


def feed_entry_for(
    event: ProductRated, product_name: str | None, facts: ProductFacts | None = None
) -> FeedEntry | None:
    """A product newly reaching ≥3★ (first certification or upgrade) appears once."""
    change = change_of(event)
    if change is None:
        return None
    facts = facts or ProductFacts(name=product_name)
    sector, group = classification_of(event.scoring_set_code)
    return FeedEntry(
        entry_id=entry_id_of(event),
        product_id=event.product_id,
        province_code=event.province_code,
        scoring_set_code=event.scoring_set_code,
        from_stars=event.previous_stars,
        to_stars=event.stars,
        score=event.score,
        rated_on=event.rated_on,
        product_name=product_name,
        change=change,
        sector_code=sector,
        group_code=group,
        commune_code=event.commune_code or facts.commune_code,
        entity_id=facts.entity_id,
        entity_name=facts.entity_name,
        rating_version=event.aggregate_version,
    )


def _nests(code: str, parent: str) -> bool:
    return code == parent or code.startswith(f"{parent}.")


@dataclass(frozen=True)
class FeedFilter:
    """What a promotion team wants to hear about. Empty tuples mean "any"."""

    province_codes: tuple[str, ...] = ()
    # QĐ26 classification codes: a sector ("I"), a group ("I.3") or a scoring set ("I.3.d").
    classification_codes: tuple[str, ...] = ()
    min_stars: int = 3
    changes: tuple[Change, ...] = field(default=())

    def matches(self, entry: FeedEntry) -> bool:
        if self.province_codes and entry.province_code not in self.province_codes:
            return False
        if self.classification_codes and not any(
            _nests(entry.scoring_set_code, code) for code in self.classification_codes
        ):
            return False
        if entry.to_stars < self.min_stars:
            return False
        return not (self.changes and entry.change not in self.changes)


def canonical_classification(codes: Sequence[str]) -> tuple[str, ...]:
    """Validated, canonical QĐ26 codes ("i.3" → "I.3"); raises UnknownClassificationError."""
    from ocop_contracts.reference import scoring_sets_in

    canonical: list[str] = []
    for code in codes:
        inside = scoring_sets_in(code)  # raises with a hint for an unknown code
        parts = code.strip().split(".")
        parts[0] = parts[0].upper()
        if len(parts) == 3:
            parts[2] = parts[2].lower()
        value = ".".join(parts)
        assert inside, value
        if value not in canonical:
            canonical.append(value)
    return tuple(canonical)


def entry_json(entry: FeedEntry) -> dict[str, object]:
    """The public JSON shape of an entry (HTTP, the live stream and webhooks alike)."""
    return {
        "entry_id": entry.entry_id,
        "product_id": entry.product_id,
        "product_name": entry.product_name,
        "change": entry.change.value if entry.change else None,
        "from_stars": entry.from_stars,
        "to_stars": entry.to_stars,
        "score": entry.score,
        "rated_on": entry.rated_on.isoformat(),
        "province_code": entry.province_code,
        "commune_code": entry.commune_code,
        "scoring_set_code": entry.scoring_set_code,
        "sector_code": entry.sector_code,
        "group_code": entry.group_code,
        "entity_id": entry.entity_id,
        "entity_name": entry.entity_name,
        "recorded_at": entry.recorded_at.isoformat() if entry.recorded_at else None,
    }
