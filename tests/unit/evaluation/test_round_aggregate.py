"""The Round aggregate: its QĐ 26 calendar, its council, and closing it."""

from __future__ import annotations

from datetime import date

import pytest

from ocop_contracts import RatingLevel
from ocop_evaluation.domain.rounds import (
    CouncilMember,
    CouncilRole,
    RoundKind,
    RoundStatus,
    round_dates,
)
from ocop_platform.errors import Conflict, DomainError
from tests.unit.evaluation.evaluation_builders import MEMBERS, OFFICE, TODAY, a_round


def test_a_province_round_follows_the_qd26_calendar_and_the_rules_in_force() -> None:
    opened = a_round()
    assert (opened.proposals_due, opened.results_due) == (date(2027, 4, 30), date(2027, 6, 30))
    assert (opened.rule_set_id, opened.name) == ("qd26-2026", "province round first_half 2027")
    assert opened.version == 1  # the council was set


def test_an_extra_round_gives_its_dates_and_results_come_after_proposals() -> None:
    with pytest.raises(DomainError, match="an extra round needs its dates"):
        round_dates(RatingLevel.PROVINCE, 2027, RoundKind.EXTRA, date(2027, 3, 1), None)
    with pytest.raises(DomainError, match="results are due before proposals") as refused:
        round_dates(RatingLevel.PROVINCE, 2027, RoundKind.EXTRA, date(2027, 3, 1), date(2027, 2, 1))
    assert refused.value.field == "results_due"


def test_a_council_has_one_chair_and_no_member_twice() -> None:
    rnd = a_round()
    second_chair = MEMBERS[1].model_copy(update={"role": CouncilRole.CHAIR})
    with pytest.raises(DomainError, match="exactly one chair"):
        rnd.set_council([MEMBERS[0], second_chair], OFFICE, TODAY)
    with pytest.raises(DomainError, match="listed twice"):
        rnd.set_council([MEMBERS[0], MEMBERS[0]], OFFICE, TODAY)
    assert [m.member_id for m in rnd.council.members] == ["chair-1", "member-2", "member-3"]


def test_only_council_members_score() -> None:
    rnd = a_round()
    assert rnd.member("member-2").role is CouncilRole.MEMBER
    with pytest.raises(DomainError, match="stranger is not a member of the council of round r1"):
        rnd.member("stranger")


def test_a_closed_round_stays_closed_and_refuses_more_work() -> None:
    rnd = a_round()
    rnd.close(OFFICE, TODAY)
    version = rnd.version
    rnd.close(OFFICE, date(2027, 2, 1))

    assert (rnd.status, rnd.closed_on, rnd.version) == (RoundStatus.CLOSED, TODAY, version)
    with pytest.raises(Conflict, match="round r1 is closed: no more sheets"):
        rnd.ensure_open(": no more sheets")


def test_a_member_id_is_a_storable_key() -> None:
    with pytest.raises(ValueError, match="pattern"):
        CouncilMember(member_id="a.b", name="X")
