"""An evaluation round: its level, dates and rule set, its council and the council's rules.

A province round takes the dossiers of its province; a central round (the Ministry's) takes the
dossiers proposed for 5★. Once closed, a round takes no more dossiers, sheets or decisions.
Who may run a round is an identity question: ``service_layer/access.py``.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from ocop_contracts import RatingLevel
from ocop_contracts.reference import normalize_vi
from ocop_evaluation.domain.calendar import RoundDates, regular_round_dates
from ocop_evaluation.domain.records import HistoryEntry, Value, absent_until_set
from ocop_evaluation.domain.rules import RuleSet, rule_set, rule_set_in_force
from ocop_evaluation.domain.scoring import CouncilResult, CouncilRules, council_result
from ocop_platform.aggregates import Aggregate
from ocop_platform.errors import Conflict, DomainError
from ocop_platform.identity import Principal

Name = Annotated[str, StringConstraints(min_length=1, max_length=300)]


class RoundKind(StrEnum):
    FIRST_HALF = "first_half"  # proposals by 30 Apr, results by 30 Jun (central: 30 Jan / 30 Mar)
    SECOND_HALF = "second_half"  # proposals by 30 Oct, results by 30 Dec (central: 30 Jul / 30 Sep)
    EXTRA = "extra"  # an extra round the council rules allow; give the dates


class RoundStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class CouncilRole(StrEnum):
    CHAIR = "chair"
    VICE_CHAIR = "vice_chair"
    MEMBER = "member"
    SECRETARY = "secretary"


class CouncilMember(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    member_id: str = Field(
        min_length=1,
        max_length=128,
        pattern=r"^[^.$]+$",
        description="The member's user id (the token subject); no '.' or '$'.",
    )
    name: Name
    role: CouncilRole = CouncilRole.MEMBER
    organisation: str | None = Field(default=None, max_length=300)

    @field_validator("name", "organisation")
    @classmethod
    def _nfc(cls, value: str | None) -> str | None:
        return None if value is None else normalize_vi(value)


class Council(Value):
    members: list[CouncilMember] = Field(default_factory=list)
    rules: CouncilRules = Field(default_factory=CouncilRules)

    def roles(self) -> dict[str, str]:
        """Member id → role, as ``scoring.council_result`` takes them."""
        return {m.member_id: m.role.value for m in self.members}


def round_dates(
    level: RatingLevel, year: int, kind: RoundKind, proposals: date | None, results: date | None
) -> RoundDates:
    """The QĐ 26 calendar (dates given override it); an extra round gives both of its dates."""
    if kind is RoundKind.EXTRA:
        if proposals is None or results is None:
            raise DomainError("an extra round needs its dates", field="proposals_due")
        dates = RoundDates(proposals, results)
    else:
        half = 1 if kind is RoundKind.FIRST_HALF else 2
        regular = regular_round_dates(level.value, year, half)
        dates = RoundDates(proposals or regular.proposals_due, results or regular.results_due)
    if dates.results_due < dates.proposals_due:
        raise DomainError("results are due before proposals", field="results_due")
    return dates


class Round(Aggregate):
    kind = "round"

    level: RatingLevel
    province_code: str | None  # None: a central round
    year: int
    round_kind: RoundKind
    name: str
    proposals_due: date
    results_due: date
    rule_set_id: str
    status: RoundStatus = RoundStatus.OPEN
    council: Council = Field(default_factory=Council)
    history: list[HistoryEntry] = Field(default_factory=list)
    closed_on: date | None = absent_until_set()

    @classmethod
    def open(
        cls,
        round_id: str,
        *,
        level: RatingLevel,
        province_code: str | None,
        year: int,
        kind: RoundKind,
        dates: RoundDates,
        name: str | None,
        council_rules: CouncilRules,
        opened: HistoryEntry,
    ) -> Round:
        """A new round; its rule set is the one in force on its proposals deadline."""
        try:
            rules = rule_set_in_force(dates.proposals_due)
        except ValueError as exc:
            raise DomainError(str(exc), field="proposals_due") from exc
        return cls(
            id=round_id,
            level=level,
            province_code=province_code if level is RatingLevel.PROVINCE else None,
            year=year,
            round_kind=kind,
            name=name or f"{level.value} round {kind.value} {year}",
            proposals_due=dates.proposals_due,
            results_due=dates.results_due,
            rule_set_id=rules.rule_set_id,
            council=Council(rules=council_rules),
            history=[opened],
        )

    @property
    def is_central(self) -> bool:
        return self.level is RatingLevel.CENTRAL

    @property
    def rules(self) -> RuleSet:
        rules = rule_set(self.rule_set_id)
        if rules is None:  # a shipped rule set is never removed
            raise LookupError(f"rule set {self.rule_set_id} of round {self.id} is not shipped")
        return rules

    def ensure_open(self, what: str = "") -> None:
        if self.status is RoundStatus.CLOSED:
            raise Conflict(f"round {self.id} is closed{what}", field="round_id")

    def ensure_takes_dossier_of(self, province_code: str) -> None:
        """Dossiers are filed in an open round of their product's province."""
        if self.level is not RatingLevel.PROVINCE:
            raise DomainError("dossiers are filed in a province round", field="round_id")
        if self.province_code != province_code:
            raise DomainError(
                f"round {self.id} is province {self.province_code}'s, the product is "
                f"province {province_code}'s",
                field="round_id",
            )
        self.ensure_open()

    def ensure_central(self) -> None:
        if not self.is_central:
            raise DomainError("the central council scores in a central round", field="round_id")

    def set_council(self, members: list[CouncilMember], who: Principal, on: date) -> None:
        ids = [m.member_id for m in members]
        if len(set(ids)) != len(ids):
            raise DomainError("a member is listed twice", field="members")
        if sum(m.role is CouncilRole.CHAIR for m in members) != 1:
            raise DomainError("a council has exactly one chair", field="members")
        self.council = self.council.model_copy(update={"members": list(members)})
        self._note(HistoryEntry.of("council_set", who, on))

    def close(self, who: Principal, on: date) -> None:
        """No more sheets or decisions; closing a closed round changes nothing."""
        if self.status is RoundStatus.CLOSED:
            return
        self.status = RoundStatus.CLOSED
        self.closed_on = on
        self._note(HistoryEntry.of("closed", who, on))

    def member(self, member_id: str) -> CouncilMember:
        """A member of this round's council, or a DomainError naming ``member_id``."""
        found = next((m for m in self.council.members if m.member_id == member_id), None)
        if found is None:
            raise DomainError(
                f"{member_id} is not a member of the council of round {self.id}",
                field="member_id",
            )
        return found

    def result(self, sheets: dict[str, dict[str, float]]) -> CouncilResult:
        """The council's result from its members' sheets (member id → points per criterion)."""
        return council_result(self.council.roles(), sheets, self.council.rules)

    def _note(self, entry: HistoryEntry) -> None:
        self.history = [*self.history, entry]
        self.touch()
