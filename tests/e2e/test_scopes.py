"""Scopes to the record, end to end: role × action × own/other record on the running services.

Producers act on their own producer's products and dossiers, commune officers in their communes,
offices and teams in their province. Every attempt on another's record is refused with 403 and
writes nothing: the record is read back (as admin) before and after the refusal and must be equal.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal

import httpx
import pytest

from ocop_contracts.clock import today_in_vietnam
from ocop_contracts.reference import communes_of
from ocop_devstack.services import ServiceStack
from ocop_platform.auth import ALL_PROVINCES, Role, mint_token
from ocop_platform.settings import DEV_JWT_SECRET
from tests.e2e.evaluation_support import once_known, sheet
from tests.e2e.support import expect

pytestmark = pytest.mark.e2e

# Huế, with Quảng Ngãi as "another province": provinces no other end-to-end test counts in.
HOME, AWAY = "46", "51"
HOME_COMMUNE, OTHER_COMMUNE = communes_of(HOME)[:2]
MEMBERS = [
    {"member_id": "chair-1", "name": "Nguyễn Văn An", "role": "chair"},
    {"member_id": "member-2", "name": "Trần Thị Bình", "role": "member"},
]
Which = Literal["own", "other"]


def bearer(
    *roles: Role,
    provinces: tuple[str, ...] = (HOME,),
    communes: tuple[str, ...] = (),
    entity_id: str | None = None,
    sub: str = "scopes-e2e",
) -> dict[str, str]:
    token = mint_token(
        DEV_JWT_SECRET, sub, roles, provinces, entity_id=entity_id, communes=communes
    )
    return {"Authorization": f"Bearer {token}"}


ADMIN = bearer(Role.ADMIN, provinces=(ALL_PROVINCES,))
COMMUNE_OFFICER = bearer(Role.COMMUNE_OFFICER, communes=(HOME_COMMUNE,))
HOME_OFFICE = bearer(Role.PROVINCE_OFFICE)
AWAY_OFFICE = bearer(Role.PROVINCE_OFFICE, provinces=(AWAY,))
HOME_TEAM = bearer(Role.PROMOTION_TEAM)
AWAY_TEAM = bearer(Role.PROMOTION_TEAM, provinces=(AWAY,))
CHAIR = bearer(Role.COUNCIL_MEMBER, sub="chair-1")


@dataclass
class World:
    """Records set up by an admin: a producer of ours in HOME_COMMUNE and one of theirs in
    OTHER_COMMUNE, each with a product and dossiers in every state an action needs."""

    http: httpx.AsyncClient
    stack: ServiceStack
    year: int
    mine: dict[str, Any] = field(default_factory=dict)  # our product (registry's view)
    theirs: dict[str, Any] = field(default_factory=dict)
    round_id: str = ""
    dossiers: dict[str, str] = field(default_factory=dict)  # "mine:returned" → dossier id
    fair_id: str = ""
    target_id: str = ""
    report_id: str = ""

    def url(self, service: str, path: str) -> str:
        return f"{self.stack.url(service)}{path}"

    def product(self, which: Which) -> dict[str, Any]:
        return self.mine if which == "own" else self.theirs

    def dossier(self, which: Which, state: str) -> str:
        return self.dossiers[f"{'mine' if which == 'own' else 'theirs'}:{state}"]

    @property
    def producer(self) -> dict[str, str]:
        return bearer(Role.PRODUCER, entity_id=self.mine["entity_id"], sub="producer-ours")

    async def read(self, service: str, path: str, **params: Any) -> Any:
        return expect(
            await self.http.get(self.url(service, path), params=params, headers=ADMIN), 200
        )


async def _register(world: World, commune: str) -> dict[str, Any]:
    registry = world.url("registry", "")
    entity = expect(
        await world.http.post(
            f"{registry}/entities",
            json={
                "name": f"HTX Huế {uuid.uuid4().hex[:6]}",
                "legal_form": "cooperative",
                "province_code": HOME,
                "commune_code": commune,
            },
            headers=ADMIN,
        ),
        201,
    )
    product: dict[str, Any] = expect(
        await world.http.post(
            f"{registry}/products",
            json={
                "entity_id": entity["entity_id"],
                "name": f"Mè xửng {uuid.uuid4().hex[:6]}",
                "scoring_set_code": "I.3.d",
                "year": world.year,
            },
            headers=ADMIN,
        ),
        201,
    )
    return product


async def _file(world: World, product: dict[str, Any], *steps: tuple[str, Any]) -> str:
    """A dossier for ``product`` filed by the admin, then taken through ``steps``."""
    body = {
        "product_id": product["product_id"],
        "round_id": world.round_id,
        "registration": {"applicant_name": "HTX", "representative_name": "Hồ Thị Hoa"},
    }
    dossier = await once_known(
        lambda: world.http.post(world.url("evaluation", "/dossiers"), json=body, headers=ADMIN),
        201,
    )
    url = world.url("evaluation", f"/dossiers/{dossier['dossier_id']}")
    for step, payload in steps:
        response = await world.http.post(f"{url}/{step}", json=payload, headers=ADMIN)
        assert response.status_code in (200, 201), response.text
    return str(dossier["dossier_id"])


RETURN = ("commune-check", {"decision": "return", "reasons": ["Thiếu bản tự công bố"]})
FORWARD = ("commune-check", {"decision": "forward", "local_raw_material": True})
ASK = ("evidence-requests", {"message": "Bổ sung giấy chứng nhận ATTP"})


@pytest.fixture(scope="module")
async def world(services: ServiceStack, year: int) -> AsyncIterator[World]:
    async with httpx.AsyncClient(timeout=15.0) as http:
        world = World(http, services, year)
        world.mine = await _register(world, HOME_COMMUNE)
        world.theirs = await _register(world, OTHER_COMMUNE)
        rnd = expect(
            await http.post(
                world.url("evaluation", "/rounds"),
                json={"province_code": HOME, "year": year, "kind": "first_half"},
                headers=ADMIN,
            ),
            201,
        )
        world.round_id = rnd["round_id"]
        expect(
            await http.put(
                world.url("evaluation", f"/rounds/{world.round_id}/council"),
                json={"members": MEMBERS},
                headers=ADMIN,
            ),
            200,
        )
        for owner, product in (("mine", world.mine), ("theirs", world.theirs)):
            for state, steps in {
                "intake": (),
                "intake-2": (),
                "intake-3": (),
                "returned": (RETURN,),
                "evidence": (ASK,),
                "at-province": (FORWARD,),
            }.items():
                world.dossiers[f"{owner}:{state}"] = await _file(world, product, *steps)
        world.fair_id = expect(await _fair(world, HOME_TEAM), 201)["fair_id"]
        world.target_id = expect(await _target(world, HOME_OFFICE), 201)["target_id"]
        world.report_id = expect(await _activity(world, HOME_OFFICE), 201)["report_id"]
        yield world


async def _fair(world: World, who: dict[str, str]) -> httpx.Response:
    today = today_in_vietnam()
    body = {
        "name": f"Hội chợ OCOP Huế {uuid.uuid4().hex[:6]}",
        "place": "Phú Xuân",
        "province_code": HOME,
        "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=3)).isoformat(),
        "booths": [{"code": "A1", "capacity": 2}],
    }
    return await world.http.post(world.url("promotion", "/fairs"), json=body, headers=who)


async def _target(world: World, who: dict[str, str], **changes: Any) -> httpx.Response:
    body = {
        "province_code": HOME,
        "plan_ref": "15/KH-UBND",
        "label": "Đào tạo ít nhất 200 người về OCOP",
        "metric": "people_trained",
        "year_from": world.year,
        "year_to": world.year,
        "minimum": 200,
        **changes,
    }
    return await world.http.post(world.url("reporting", "/targets"), json=body, headers=who)


async def _activity(world: World, who: dict[str, str], **changes: Any) -> httpx.Response:
    body = {
        "province_code": HOME,
        "metric": "people_trained",
        "quantity": 40,
        "occurred_on": f"{world.year}-03-15",
        "evidence": "Quyết định 7/QĐ-SNN",
        **changes,
    }
    return await world.http.post(world.url("reporting", "/activities"), json=body, headers=who)


# --- the matrix ----------------------------------------------------------------------------------

Attempt = Callable[[World, Which], Awaitable[httpx.Response]]
State = Callable[[World], Awaitable[Any]]


@dataclass(frozen=True)
class Case:
    """One role doing one action: on its own record it gets ``allowed``; on the other record
    403, and the other record's ``state`` is the same before and after."""

    id: str
    allowed: int
    attempt: Attempt
    state: State


def _dossier_state(which_state: str) -> State:
    async def read(world: World) -> Any:
        return await world.read("evaluation", f"/dossiers/{world.dossier('other', which_state)}")

    return read


async def _their_dossier_ids(world: World) -> Any:
    found = await world.read("evaluation", "/dossiers", product_id=world.theirs["product_id"])
    return sorted(d["dossier_id"] for d in found)


def _dossier_call(
    who: Callable[[World, Which], dict[str, str]],
    method: str,
    state: str,
    path: str = "",
    body: Any = None,
) -> Attempt:
    async def attempt(world: World, which: Which) -> httpx.Response:
        url = world.url("evaluation", f"/dossiers/{world.dossier(which, state)}{path}")
        return await world.http.request(method, url, json=body, headers=who(world, which))

    return attempt


def _file_dossier(who: Callable[[World, Which], dict[str, str]]) -> Attempt:
    async def attempt(world: World, which: Which) -> httpx.Response:
        body = {
            "product_id": world.product(which)["product_id"],
            "round_id": world.round_id,
            "registration": {"applicant_name": "HTX", "representative_name": "Hồ Thị Hoa"},
        }
        url = world.url("evaluation", "/dossiers")
        return await world.http.post(url, json=body, headers=who(world, which))

    return attempt


def producer(world: World, _: Which) -> dict[str, str]:
    return world.producer


def commune_officer(_: World, __: Which) -> dict[str, str]:
    return COMMUNE_OFFICER


def office(_: World, which: Which) -> dict[str, str]:
    """Offices act on the same (home) records: their own with a home token, another's with one
    of another province."""
    return HOME_OFFICE if which == "own" else AWAY_OFFICE


def team(_: World, which: Which) -> dict[str, str]:
    return HOME_TEAM if which == "own" else AWAY_TEAM


async def _patch_product(world: World, which: Which, who: dict[str, str]) -> httpx.Response:
    url = world.url("registry", f"/products/{world.product(which)['product_id']}")
    return await world.http.patch(url, json={"local_labour": 9}, headers=who)


async def _their_product(world: World) -> Any:
    return await world.read("registry", f"/products/{world.theirs['product_id']}")


async def _rate(world: World, which: Which) -> httpx.Response:
    # 45 points: 2★, so no certificate and no newly-starred entry that other tests might count.
    body = {"product_id": world.mine["product_id"], "score": 45, "rated_on": f"{world.year}-06-01"}
    return await world.http.post(
        world.url("evaluation", "/ratings"), json=body, headers=office(world, which)
    )


async def _sheet(world: World, which: Which) -> httpx.Response:
    """The chair enters their own sheet, or tries to enter another member's."""
    member = "chair-1" if which == "own" else "member-2"
    dossier = world.dossier(which, "at-province")
    url = world.url("evaluation", f"/dossiers/{dossier}/sheets/{member}")
    return await world.http.put(url, json=sheet({}), headers=CHAIR)


async def _home_targets(world: World) -> Any:
    report = await world.read("reporting", "/reports/progress", province_code=HOME, year=world.year)
    return sorted((t["target_id"], t["label"], t["actual"]) for t in report["targets"])


CASES = [
    # evaluation: producers, their own producer's products and dossiers only
    Case("producer-files-a-dossier", 201, _file_dossier(producer), _their_dossier_ids),
    Case(
        "producer-resubmits",
        200,
        _dossier_call(producer, "PUT", "returned", "/self-assessment", []),
        _dossier_state("returned"),
    ),
    Case(
        "producer-answers-evidence",
        200,
        _dossier_call(
            producer, "POST", "evidence", "/evidence-requests/1/response", {"evidence": ["doc://x"]}
        ),
        _dossier_state("evidence"),
    ),
    Case(
        "producer-reads-a-dossier",
        200,
        _dossier_call(producer, "GET", "intake"),
        _dossier_state("intake"),
    ),
    # evaluation: commune officers, their communes only
    Case("commune-files-a-dossier", 201, _file_dossier(commune_officer), _their_dossier_ids),
    Case(
        "commune-checks-intake",
        200,
        _dossier_call(commune_officer, "POST", "intake", "/commune-check", FORWARD[1]),
        _dossier_state("intake"),
    ),
    Case(
        "commune-asks-for-evidence",
        201,
        _dossier_call(commune_officer, "POST", "intake-2", "/evidence-requests", ASK[1]),
        _dossier_state("intake-2"),
    ),
    Case(
        "commune-reads-a-dossier",
        200,
        _dossier_call(commune_officer, "GET", "intake-2"),
        _dossier_state("intake-2"),
    ),
    # evaluation: province offices and council members, their province and their own sheet
    Case(
        "office-checks-intake",
        200,
        _dossier_call(office, "POST", "intake-3", "/commune-check", RETURN[1]),
        _dossier_state("intake-3"),
    ),
    Case(
        "office-records-a-rating",
        201,
        _rate,
        lambda w: w.read("evaluation", f"/products/{w.mine['product_id']}/evaluation"),
    ),
    Case("council-member-enters-a-sheet", 200, _sheet, _dossier_state("at-province")),
    # registry: the same scopes on products and producers
    Case(
        "producer-changes-a-product",
        200,
        lambda w, which: _patch_product(w, which, w.producer),
        _their_product,
    ),
    Case(
        "commune-changes-a-product",
        200,
        lambda w, which: _patch_product(w, which, COMMUNE_OFFICER),
        _their_product,
    ),
    Case(
        "office-changes-a-producer",
        200,
        lambda w, which: w.http.patch(
            w.url("registry", f"/entities/{w.mine['entity_id']}"),
            json={"name": f"HTX Huế {uuid.uuid4().hex[:6]}"},
            headers=office(w, which),
        ),
        lambda w: w.read("registry", f"/entities/{w.mine['entity_id']}"),
    ),
    # promotion: teams, their province's venues
    Case(
        "team-schedules-a-fair",
        201,
        lambda w, which: _fair(w, team(w, which)),
        lambda w: w.read("promotion", "/fairs", province_code=HOME),
    ),
    Case(
        "team-records-a-fair-outcome",
        200,
        lambda w, which: w.http.put(
            w.url("promotion", f"/fairs/{w.fair_id}/outcome"),
            json={"sales_vnd": 1_000_000, "visitors": 300},
            headers=team(w, which),
        ),
        lambda w: w.read("promotion", f"/fairs/{w.fair_id}"),
    ),
    Case(
        "team-opens-a-showroom",
        201,
        lambda w, which: w.http.post(
            w.url("promotion", "/showrooms"),
            json={"name": "Điểm bán OCOP Huế", "address": "Phú Xuân, Huế", "province_code": HOME},
            headers=team(w, which),
        ),
        lambda w: w.read("promotion", "/showrooms", province_code=HOME),
    ),
    # reporting: offices, their province's targets and activity reports
    Case("office-sets-a-target", 201, lambda w, which: _target(w, office(w, which)), _home_targets),
    Case(
        "office-changes-a-target-by-its-id",
        201,
        lambda w, which: _target(
            w,
            office(w, which),
            target_id=w.target_id,
            province_code=HOME if which == "own" else AWAY,
            label="Đào tạo ít nhất 250 người về OCOP" if which == "own" else "Chiếm chỗ",
        ),
        _home_targets,
    ),
    Case(
        "office-reports-an-activity",
        201,
        lambda w, which: _activity(w, office(w, which)),
        _home_targets,
    ),
    Case(
        "office-changes-a-report-by-its-id",
        201,
        lambda w, which: _activity(
            w,
            office(w, which),
            report_id=w.report_id,
            province_code=HOME if which == "own" else AWAY,
            quantity=45 if which == "own" else 999,
        ),
        _home_targets,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
async def test_another_record_is_refused_and_left_as_it_was(world: World, case: Case) -> None:
    before = await case.state(world)
    response = await case.attempt(world, "other")
    assert response.status_code == 403, response.text
    assert await case.state(world) == before


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
async def test_the_own_record_is_allowed(world: World, case: Case) -> None:
    expect(await case.attempt(world, "own"), case.allowed)


# --- reads ---------------------------------------------------------------------------------------


async def test_a_producer_lists_only_its_own_dossiers(world: World) -> None:
    url = world.url("evaluation", "/dossiers")
    everyone = expect(
        await world.http.get(url, params={"round_id": world.round_id}, headers=ADMIN), 200
    )
    own = expect(
        await world.http.get(url, params={"round_id": world.round_id}, headers=world.producer), 200
    )
    assert {d["product_id"] for d in everyone} == {
        world.mine["product_id"],
        world.theirs["product_id"],
    }
    assert {d["product_id"] for d in own} == {world.mine["product_id"]}


async def test_the_ministry_reads_every_dossier(world: World) -> None:
    ministry = bearer(
        Role.MINISTRY, provinces=("01",)
    )  # national: its provinces do not limit reads
    url = world.url("evaluation", "/dossiers")
    listed = expect(
        await world.http.get(url, params={"round_id": world.round_id}, headers=ministry), 200
    )
    theirs = world.dossier("other", "intake")
    expect(await world.http.get(f"{url}/{theirs}", headers=ministry), 200)
    assert set(world.dossiers.values()) <= {d["dossier_id"] for d in listed}


async def test_the_ministry_reads_a_producers_whole_record_a_team_its_public_part(
    world: World,
) -> None:
    url = world.url("registry", f"/entities/{world.theirs['entity_id']}")
    ministry = bearer(Role.MINISTRY, provinces=("01",))
    whole = expect(await world.http.get(url, headers=ministry), 200)
    public = expect(await world.http.get(url, headers=HOME_TEAM), 200)
    assert ("version" in whole, "version" in public) == (True, False)


async def test_a_commune_officer_token_without_communes_acts_nowhere(world: World) -> None:
    no_communes = bearer(Role.COMMUNE_OFFICER)
    dossier = world.dossier("own", "intake-2")
    before = await world.read("evaluation", f"/dossiers/{dossier}")
    response = await world.http.post(
        world.url("evaluation", f"/dossiers/{dossier}/evidence-requests"),
        json=ASK[1],
        headers=no_communes,
    )
    body = expect(response, 403)
    assert "must list its communes" in body["detail"][0]["msg"]
    assert await world.read("evaluation", f"/dossiers/{dossier}") == before
