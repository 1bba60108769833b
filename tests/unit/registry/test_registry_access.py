"""Who may write which records."""

from __future__ import annotations

import pytest

from ocop_platform.auth import Principal, Role
from ocop_registry.service_layer.access import (
    Caller,
    Forbidden,
    ensure_write,
    may_read,
    may_write,
)


def caller(
    *roles: Role,
    provinces: tuple[str, ...] = ("82",),
    communes: frozenset[str] = frozenset(),
    entity_id: str | None = None,
    sub: str = "u1",
) -> Caller:
    return Principal(
        subject=sub,
        roles=frozenset(roles),
        provinces=frozenset(provinces),
        entity_id=entity_id,
        communes=communes,
    )


def test_a_province_office_writes_anywhere_in_its_province() -> None:
    office = caller(Role.PROVINCE_OFFICE)
    assert may_write(office, "82", "29869")
    assert not may_write(office, "80", "25000")


def test_a_commune_officer_writes_only_in_listed_communes() -> None:
    officer = caller(Role.COMMUNE_OFFICER, communes=frozenset({"29869"}))
    assert may_write(officer, "82", "29869")
    assert not may_write(officer, "82", "29870")


def test_a_commune_officer_token_without_communes_writes_nothing() -> None:
    with pytest.raises(Forbidden, match="communes"):
        ensure_write(caller(Role.COMMUNE_OFFICER), "82", "29869")


def test_a_producer_writes_its_own_records_by_claim_or_account() -> None:
    by_claim = caller(Role.PRODUCER, entity_id="ent-1")
    by_account = caller(Role.PRODUCER, sub="nga")
    assert may_write(by_claim, "82", "29869", entity_id="ent-1")
    assert may_write(by_account, "82", "29869", entity_id="ent-1", accounts=["nga"])
    assert not may_write(by_claim, "82", "29869", entity_id="ent-2")


def test_other_roles_do_not_write() -> None:
    assert not may_write(caller(Role.PROMOTION_TEAM, Role.MINISTRY), "82", "29869")


def test_admin_writes_everywhere() -> None:
    assert may_write(caller(Role.ADMIN, provinces=()), "01", "00004")


def test_the_ministry_reads_every_whole_record_but_writes_none() -> None:
    ministry = caller(Role.MINISTRY, provinces=("01",))
    assert may_read(ministry, "82", "29869", entity_id="ent-1")
    assert not may_write(ministry, "82", "29869", entity_id="ent-1")


def test_a_promotion_team_reads_only_the_public_part() -> None:
    assert not may_read(caller(Role.PROMOTION_TEAM), "82", "29869", entity_id="ent-1")
