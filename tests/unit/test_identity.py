"""Scopes to the record: which role reaches which record, decided without any web framework."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ocop_platform.identity import (
    EVERY_ROLE,
    Forbidden,
    Principal,
    Role,
    Scope,
    ensure_may_read,
    ensure_may_write,
    may_read,
    may_write,
    principal_from_claims,
    scope_claims,
    token_scope_problems,
)

HOME, OTHER_PROVINCE = "82", "01"
COMMUNE, OTHER_COMMUNE = "29869", "28249"  # both in Đồng Tháp (82)
FILERS = (Role.PRODUCER, Role.COMMUNE_OFFICER, Role.PROVINCE_OFFICE)


def who(
    *roles: Role,
    provinces: tuple[str, ...] = (HOME,),
    communes: tuple[str, ...] = (),
    entity_id: str | None = None,
    sub: str = "u1",
) -> Principal:
    return Principal(
        subject=sub,
        roles=frozenset(roles),
        provinces=frozenset(provinces),
        entity_id=entity_id,
        communes=frozenset(communes),
    )


def record(
    province: str = HOME, commune: str | None = COMMUNE, entity: str | None = "ent-own"
) -> Scope:
    return Scope(province, commune, entity)


PRODUCER = who(Role.PRODUCER, entity_id="ent-own")
COMMUNE_OFFICER = who(Role.COMMUNE_OFFICER, communes=(COMMUNE,))
PROVINCE_OFFICE = who(Role.PROVINCE_OFFICE)
MINISTRY = who(Role.MINISTRY, provinces=("*",))


# --- the matrix: role × own/other record ---------------------------------------------------------


@pytest.mark.parametrize(
    ("caller", "own", "other"),
    [
        pytest.param(PRODUCER, record(), record(entity="ent-other"), id="producer-entity"),
        pytest.param(
            COMMUNE_OFFICER, record(), record(commune=OTHER_COMMUNE), id="commune-officer-commune"
        ),
        pytest.param(
            COMMUNE_OFFICER,
            record(),
            record(province=OTHER_PROVINCE),
            id="commune-officer-province",
        ),
        pytest.param(
            PROVINCE_OFFICE, record(), record(province=OTHER_PROVINCE), id="province-office"
        ),
    ],
)
def test_each_role_writes_its_own_records_and_no_other(
    caller: Principal, own: Scope, other: Scope
) -> None:
    assert may_write(caller, own, FILERS)
    assert not may_write(caller, other, FILERS)
    with pytest.raises(Forbidden) as refused:
        ensure_may_write(caller, other, FILERS)
    assert refused.value.status_code == 403


@pytest.mark.parametrize(
    ("caller", "own", "other"),
    [
        pytest.param(PRODUCER, record(), record(entity="ent-other"), id="producer"),
        pytest.param(COMMUNE_OFFICER, record(), record(commune=OTHER_COMMUNE), id="commune"),
        pytest.param(PROVINCE_OFFICE, record(), record(province=OTHER_PROVINCE), id="province"),
    ],
)
def test_each_role_reads_its_own_records_and_no_other(
    caller: Principal, own: Scope, other: Scope
) -> None:
    assert may_read(caller, own)
    assert not may_read(caller, other)


def test_the_ministry_reads_everything_even_with_a_provincial_token() -> None:
    provincial_ministry = who(Role.MINISTRY, provinces=(OTHER_PROVINCE,))
    assert may_read(provincial_ministry, record())
    ensure_may_read(provincial_ministry, record(province="96", commune=None, entity=None))


def test_the_ministry_writes_only_where_an_action_accepts_it() -> None:
    assert not may_write(MINISTRY, record(), FILERS)
    assert may_write(MINISTRY, record(), (Role.PROVINCE_OFFICE, Role.MINISTRY))


def test_admin_reaches_everything() -> None:
    admin = who(Role.ADMIN, provinces=())
    assert may_write(admin, record(province="96"), ())
    assert may_read(admin, record(province="96"), ())


# --- edges of each rule --------------------------------------------------------------------------


def test_a_role_the_action_does_not_accept_does_not_widen_the_reach() -> None:
    producer_and_council = who(Role.PRODUCER, Role.COUNCIL_MEMBER, entity_id="ent-own")
    assert not may_write(producer_and_council, record(entity="ent-other"), FILERS)
    assert may_write(producer_and_council, record(entity="ent-other"), EVERY_ROLE)


def test_a_producer_token_without_an_entity_owns_nothing() -> None:
    assert not may_write(who(Role.PRODUCER), record(entity=None), FILERS)
    assert not may_write(who(Role.PRODUCER), record(), FILERS)


def test_a_producer_acts_through_an_account_the_record_lists() -> None:
    account = who(Role.PRODUCER, sub="nga")
    listed = Scope(HOME, COMMUNE, "ent-own", accounts=frozenset({"nga"}))
    assert may_write(account, listed, FILERS)
    assert not may_write(account, Scope(HOME, COMMUNE, "ent-own"), FILERS)


def test_a_producer_is_not_limited_by_its_provinces_but_by_its_entity() -> None:
    national_producer = who(Role.PRODUCER, provinces=("*",), entity_id="ent-own")
    assert not may_write(national_producer, record(province="96", entity="ent-other"), FILERS)


def test_a_commune_officer_does_not_reach_a_record_without_a_commune() -> None:
    assert not may_write(COMMUNE_OFFICER, record(commune=None), FILERS)


def test_a_commune_officer_token_without_communes_is_told_so() -> None:
    with pytest.raises(Forbidden, match="must list its communes"):
        ensure_may_write(who(Role.COMMUNE_OFFICER), record(), FILERS)


@pytest.mark.parametrize(
    ("caller", "scope", "message"),
    [
        (PRODUCER, record(entity="ent-other"), "their own producer"),
        (COMMUNE_OFFICER, record(commune=OTHER_COMMUNE), f"commune {OTHER_COMMUNE}"),
        (PROVINCE_OFFICE, record(province=OTHER_PROVINCE), f"province {OTHER_PROVINCE}"),
        (who(Role.PROMOTION_TEAM), record(), "requires one of"),
    ],
)
def test_a_refusal_says_which_scope_was_missed(
    caller: Principal, scope: Scope, message: str
) -> None:
    with pytest.raises(Forbidden, match=message):
        ensure_may_write(caller, scope, FILERS)


# --- claims ------------------------------------------------------------------------------------


def test_scope_claims_decode_back_to_the_same_principal() -> None:
    claims = scope_claims(
        [Role.COMMUNE_OFFICER], [HOME], communes=[OTHER_COMMUNE, COMMUNE, COMMUNE]
    )
    assert claims == {
        "roles": ["commune_officer"],
        "provinces": [HOME],
        "communes": sorted([COMMUNE, OTHER_COMMUNE]),
    }
    assert principal_from_claims({"sub": "u1", **claims}) == who(
        Role.COMMUNE_OFFICER, communes=(COMMUNE, OTHER_COMMUNE)
    )


def test_a_token_without_scope_claims_reaches_no_commune_and_no_producer() -> None:
    bare = principal_from_claims({"sub": "u1", "roles": ["commune_officer", "producer"]})
    assert (bare.communes, bare.entity_id, bare.provinces) == (frozenset(), None, frozenset())


@pytest.mark.parametrize(
    ("roles", "provinces", "entity", "communes", "problem"),
    [
        ([Role.COMMUNE_OFFICER], [HOME], None, [], "must list its communes"),
        ([Role.PRODUCER], [HOME], None, [], "must name its producer"),
        ([Role.COMMUNE_OFFICER], [HOME], None, ["2986"], "unknown 2025 commune code '2986'"),
        ([Role.COMMUNE_OFFICER], [HOME], None, ["99999"], "unknown 2025 commune code '99999'"),
        ([Role.COMMUNE_OFFICER], [OTHER_PROVINCE], None, [COMMUNE], "does not cover"),
        ([Role.PROVINCE_OFFICE], ["87"], None, [], "unknown 2025 province code '87'"),
        ([Role.PROVINCE_OFFICE], [HOME], None, [COMMUNE], "commune_officer tokens only"),
        ([Role.PROVINCE_OFFICE], [HOME], "ent-1", [], "producer tokens only"),
    ],
)
def test_a_token_with_a_useless_or_wrong_scope_is_not_minted(
    roles: list[Role], provinces: list[str], entity: str | None, communes: list[str], problem: str
) -> None:
    problems = token_scope_problems(roles, provinces, entity_id=entity, communes=communes)
    assert any(problem in p for p in problems), problems


@pytest.mark.parametrize(
    ("roles", "provinces", "entity", "communes"),
    [
        ([Role.PRODUCER], [HOME], "ent-1", []),
        ([Role.COMMUNE_OFFICER], [HOME], None, [COMMUNE, OTHER_COMMUNE]),
        ([Role.COMMUNE_OFFICER], ["*"], None, [COMMUNE]),
        ([Role.PROVINCE_OFFICE], [HOME, "86"], None, []),
        ([Role.MINISTRY], ["*"], None, []),
    ],
)
def test_each_role_gets_a_token_for_its_scope(
    roles: list[Role], provinces: list[str], entity: str | None, communes: list[str]
) -> None:
    assert token_scope_problems(roles, provinces, entity_id=entity, communes=communes) == []


# --- no web framework --------------------------------------------------------------------------


def test_identity_imports_no_web_framework() -> None:
    probe = (
        "import sys, ocop_platform.identity; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'fastapi', 'starlette'}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
