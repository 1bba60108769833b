"""Enter the five plans' history through the services' own entrypoints (demo_fixtures.history);
nothing is published by hand.

Every producer goes to the registry first, back-filled by the province office (POST /entities)
with the day it joined (registered_on) and its old address: the plans' new producers (Bắc Kạn's,
Tứ Kỳ's, Hòa Bình's) and Tứ Kỳ's producers of earlier years on the plan's day, the producer of
every other rated product before its plan's period (demo_fixtures.earlier_producer_day), so the
registry never says a producer joined after its product was rated. Each product is registered
at the registry (POST /products) under its 2025 province with a legacy (district) code naming
its unit before the merger, with its day (registered_on) where that counts (Hòa Bình's, Tứ
Kỳ's); once evaluation knows it, its ratings go to POST /ratings with their historic dates (in
the province rounds opened for them first, POST /rounds; evaluation derives the stars, previous
stars and proposals and emits them as version 2 events with the legacy unit), the certificate a
≥3★ result issued to POST /certificates, revocations to evaluation and withdrawals to the
registry, each dated as it happened. Bắc Kạn's news items and TV reports go to promotion's POST
/activities under today's Thái Nguyên with their old unit (legacy_unit 06), Đồng Tháp's 2021
showroom placements to POST /showrooms/{id}/products/history (since their day, legacy_unit 87)
and Tứ Kỳ's 2022 fairs to POST /fairs/history (their real day, legacy_unit 30 with the old
commune, and the products that took part) once promotion knows each product's certificate.

Every call is recorded now: reporting knows this history from the day it is entered (a report
`as_of` a day of 2022 counts it only with view=as_corrected).
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Mapping
from typing import Any

import httpx

from ocop_contracts.reference import communes_of, successor_of
from ocop_devstack.demo_fixtures import (
    Display,
    History,
    Joining,
    PastFair,
    Rating,
    Registration,
    Revocation,
    Withdrawal,
)

CONCURRENCY = 4  # products entered at once: quick, yet within the services' 5 s deadline
KNOWN_TIMEOUT = 120.0  # seconds for evaluation to learn a product registered at the registry
ATTEMPTS = 6  # a call answered 503 (past the request deadline on a busy machine) is tried again
IDEMPOTENCY_KEY = "Idempotency-Key"  # the registry's registrations: a retry creates nothing more
BOOTH = "OCOP"  # a past fair's one booth, shared by the plan's products


class Driver:
    def __init__(self, client: httpx.AsyncClient, urls: Mapping[str, str]) -> None:
        self._client, self._urls = client, urls
        # Legacy codes are unique at the registry: a sequence range of this run's own.
        self._base = random.randint(100, 899) * 100
        # A run's own prefix of the Idempotency-Keys of its registrations: a retry repeats the
        # key of its fixture, another run (other legacy codes) registers its own.
        self._run = uuid.uuid4().hex[:12]
        self._rounds: dict[str, str] = {}  # a rating's round reference → evaluation's round id
        self._producers: dict[str, str] = {}  # a Joining's ref → the registry's entity id

    async def back_fill_producers(self, producers: list[Joining]) -> None:
        """Every producer, at the registry with the day it joined (registered_on) and its old
        address (2008 province and commune), under today's province, as a province office
        back-fills its history."""
        gate = asyncio.Semaphore(CONCURRENCY)

        async def one(joining: Joining) -> None:
            async with gate:
                await self._back_fill(joining)

        await asyncio.gather(*(one(joining) for joining in producers))

    async def _back_fill(self, joining: Joining) -> None:
        province = successor_of(joining.old_province)
        body = {
            "name": f"Chủ thể {joining.ref}",
            "legal_form": joining.legal_form.value,
            "province_code": province,
            "commune_code": communes_of(province)[0],
            "legacy_address": {
                "province_code": joining.old_province,
                "commune_code": joining.old_commune,
            },
            "registered_on": joining.registered_on.isoformat(),
            "women_led": joining.women_led,
            "ethnic_minority_led": joining.ethnic_minority_led,
        }
        producer = await self.post(
            f"{self._urls['registry']}/entities", body, key=self._key("entity", joining.ref)
        )
        self._producers[joining.ref] = str(producer["entity_id"])

    def _key(self, kind: str, ref: str) -> str:
        """The Idempotency-Key of a fixture's registration: every attempt of it sends the same
        (a repeat of one the registry saved is answered 200 with it)."""
        return f"demo-{self._run}-{kind}-{ref}"

    async def open_rounds(self, registrations: list[Registration]) -> None:
        """The province rounds the ratings name, opened at evaluation (POST /rounds): a rating
        then names evaluation's round, of the half-year of its day."""
        for registration in registrations:
            province = successor_of(registration.old_province)
            for action in registration.actions:
                if isinstance(action, Rating) and action.round_id not in (None, *self._rounds):
                    assert action.round_id is not None
                    self._rounds[action.round_id] = await self._open_round(province, action)

    async def _open_round(self, province: str, rating: Rating) -> str:
        body = {
            "level": "province",
            "province_code": province,
            "year": rating.rated_on.year,
            "kind": "first_half" if rating.rated_on.month <= 6 else "second_half",
            "name": f"Đợt đánh giá {rating.round_id}",
        }
        opened = await self.post(f"{self._urls['evaluation']}/rounds", body)
        return str(opened["round_id"])

    async def register_and_rate(self, registrations: list[Registration]) -> dict[str, str]:
        """Each product through the services; returns the registry's id of each `ref`."""
        await self.open_rounds(registrations)
        gate = asyncio.Semaphore(CONCURRENCY)

        async def one(index: int, registration: Registration) -> tuple[str, str]:
            async with gate:
                return registration.ref, await self._enter(index, registration)

        pairs = await asyncio.gather(*(one(i, r) for i, r in enumerate(registrations)))
        return dict(pairs)

    async def _enter(self, index: int, registration: Registration) -> str:
        product_id = await self._register(index, registration)
        if registration.actions:  # evaluation rates only products it knows
            await self._known_to_evaluation(product_id)
        for action in registration.actions:
            await self._act(product_id, action)
        return product_id

    async def _register(self, index: int, registration: Registration) -> str:
        body = {
            "entity_id": self._producers[registration.entity_ref],
            "name": f"Sản phẩm {registration.ref}",
            "scoring_set_code": registration.scoring_set_code,
            "year": registration.year,
            "product_code": registration.legacy_code(self._base + index),
        }
        if registration.registered_on is not None:  # its day counts: back-filled
            body["registered_on"] = registration.registered_on.isoformat()
        # Past the deadline the registration may still have been saved: the same body under the
        # same key again, which the registry answers with the product it saved (200).
        url, key = f"{self._urls['registry']}/products", self._key("product", registration.ref)
        return str((await self.post(url, body, key=key))["product_id"])

    async def show_in_the_past(self, displays: list[Display], ids: Mapping[str, str]) -> None:
        """Each showroom the plan names opened at promotion (POST /showrooms), then each rated
        product's placement there since its past day, with its old unit (POST
        /showrooms/{id}/products/history), once promotion knows the product's certificate."""
        promotion = self._urls["promotion"]
        showrooms: dict[str, str] = {}
        for display in displays:
            if display.venue_ref not in showrooms:
                body = {
                    "name": display.venue_name,
                    "kind": "showroom",
                    "address": display.venue_name,
                    "province_code": successor_of(display.old_province),
                }
                opened = await self.post(f"{promotion}/showrooms", body)
                showrooms[display.venue_ref] = str(opened["showroom_id"])
            product_id = ids[display.product_ref]
            await self._certified_at_promotion(product_id)
            await self.post(
                f"{promotion}/showrooms/{showrooms[display.venue_ref]}/products/history",
                {
                    "product_id": product_id,
                    "since": display.since.isoformat(),
                    "legacy_unit": {"province_code": display.old_province},
                },
            )

    async def record_past_fairs(self, fairs: list[PastFair], ids: Mapping[str, str]) -> None:
        """Each fair the plan names, over long ago, entered as history at promotion (POST
        /fairs/history: its real day, its old unit with the commune, and the products that took
        part, each from its first day) once promotion knows every product's certificate (it
        records only certified products in a fair). Safe to repeat: promotion knows the fair by
        its province, day and name."""
        for fair in fairs:
            products = [ids[ref] for ref in fair.product_refs]
            for product_id in products:
                await self._certified_at_promotion(product_id)
            body = {
                "name": fair.name,
                "place": fair.name,
                "province_code": successor_of(fair.old_province),
                "starts_on": fair.day.isoformat(),
                "ends_on": fair.day.isoformat(),
                "booths": [{"code": BOOTH, "capacity": max(len(products), 1)}],
                "legacy_unit": {
                    "province_code": fair.old_province,
                    "district_code": fair.old_district,
                    "commune_code": fair.old_commune,
                },
                "products": [{"product_id": p, "booth_code": BOOTH} for p in products],
            }
            await self.post(f"{self._urls['promotion']}/fairs/history", body)

    async def _certified_at_promotion(self, product_id: str) -> None:
        url = f"{self._urls['promotion']}/products/{product_id}/eligibility"
        deadline = time.monotonic() + KNOWN_TIMEOUT
        while True:
            response = await self._client.get(url)
            if response.status_code == 200 and response.json().get("certificate_id"):
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"promotion did not learn the certificate of {product_id}")
            await asyncio.sleep(0.3)

    async def _known_to_evaluation(self, product_id: str) -> None:
        url = f"{self._urls['evaluation']}/products/{product_id}/evaluation"
        deadline = time.monotonic() + KNOWN_TIMEOUT
        while (await self._client.get(url)).status_code != 200:
            if time.monotonic() > deadline:
                raise RuntimeError(f"evaluation did not learn product {product_id} in time")
            await asyncio.sleep(0.3)

    async def _act(self, product_id: str, action: Rating | Revocation | Withdrawal) -> None:
        evaluation, registry = self._urls["evaluation"], self._urls["registry"]
        match action:
            case Rating():
                await self.post(
                    f"{evaluation}/ratings",
                    {
                        "product_id": product_id,
                        "score": action.score,
                        "level": action.level.value,
                        "rated_on": action.rated_on.isoformat(),
                        "round_id": self._rounds.get(action.round_id or "", action.round_id),
                    },
                )
                if action.certificate_id is not None:
                    await self.post(
                        f"{evaluation}/certificates",
                        {
                            "product_id": product_id,
                            "certificate_id": action.certificate_id,
                            "stars": action.stars,
                            "decision_ref": action.decision_ref,
                            "issued_on": action.rated_on.isoformat(),
                        },
                    )
            case Revocation():
                await self.post(
                    f"{evaluation}/certificates/{action.certificate_id}/revocation",
                    {
                        "ground": action.ground.value,
                        "decision_ref": action.decision_ref,
                        "revoked_on": action.revoked_on.isoformat(),
                    },
                )
            case Withdrawal():
                await self.post(
                    f"{registry}/products/{product_id}/withdraw",
                    {"reason": action.reason, "withdrawn_on": action.withdrawn_on.isoformat()},
                )

    async def post(
        self, url: str, body: Mapping[str, Any], *, key: str | None = None
    ) -> dict[str, Any]:
        """POST, again after a 503; after one, a 409 means the first attempt was saved. With an
        Idempotency-Key (``key``), a repeat is answered 200 with what the first attempt saved."""
        headers = {IDEMPOTENCY_KEY: key} if key else None
        for attempt in range(ATTEMPTS):
            response = await self._client.post(url, json=dict(body), headers=headers)
            if response.status_code == 409 and attempt > 0 and key is None:
                return {}
            if response.status_code != 503:
                return _ok(response, body)
            await asyncio.sleep(_retry_after(response))
        return _ok(response, body)


def _ok(response: httpx.Response, body: Mapping[str, Any]) -> dict[str, Any]:
    if response.is_error:
        raise RuntimeError(
            f"{response.request.method} {response.request.url} → {response.status_code}: "
            f"{response.text[:500]} (body {body})"
        )
    found: dict[str, Any] = response.json()
    return found


def _retry_after(response: httpx.Response) -> float:
    try:
        return min(float(response.headers.get("retry-after", 1)), 5.0)
    except ValueError:
        return 1.0


async def drive(history: History, urls: Mapping[str, str], token: str) -> dict[str, int]:
    """Enter `history` through the services: producers, products and what happened to them,
    then media items, showroom placements and past fairs."""
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(headers=headers, timeout=30.0) as client:
        driver = Driver(client, urls)
        await driver.back_fill_producers(history.producers)
        ids = await driver.register_and_rate(history.registrations)
        await driver.show_in_the_past(history.displays, ids)
        await driver.record_past_fairs(history.fairs, ids)
        for body in history.activities:
            await driver.post(f"{urls['promotion']}/activities", body)
    actions = sum(len(r.actions) for r in history.registrations)
    return {
        "producers": len(history.producers),
        "products": len(ids),
        "actions": actions,
        "activities": len(history.activities),
        "displays": len(history.displays),
        "fairs": len(history.fairs),
        "placements": sum(len(f.product_refs) for f in history.fairs),
    }
