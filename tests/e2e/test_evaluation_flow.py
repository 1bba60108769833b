"""A province round from commune intake through the council to a certificate, over HTTP, real
Kafka and the store, with the outcome seen by registry, promotion and reporting."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest

from ocop_contracts import topics
from ocop_devstack.infra import Infra
from ocop_devstack.services import ServiceStack
from ocop_evaluation.domain.calendar import vietnam_calendar
from tests.e2e.evaluation_support import (
    COMMUNE,
    FOUR_STAR,
    PROVINCE,
    events_of,
    once_known,
    sheet,
    types,
)
from tests.e2e.support import eventually, expect

pytestmark = pytest.mark.e2e
MEMBERS = [
    {"member_id": "chair-1", "name": "Nguyễn Văn An", "role": "chair"},
    {"member_id": "member-2", "name": "Trần Thị Bình", "role": "member"},
    {"member_id": "member-3", "name": "Lê Văn Cường", "role": "member"},
]
SHEETS = {
    "chair-1": FOUR_STAR,  # 87
    "member-2": {**FOUR_STAR, "A1.6": "no"},  # 86
    "member-3": {**FOUR_STAR, "C1.6": "basic"},  # 86
}


async def _product(http: httpx.AsyncClient, services: ServiceStack, year: int) -> dict[str, Any]:
    registry = services.url("registry")
    entity = expect(
        await http.post(
            f"{registry}/entities",
            json={
                "name": "HTX Bánh pía Vũng Thơm",
                "legal_form": "cooperative",
                "province_code": PROVINCE,
                "commune_code": COMMUNE,
            },
        ),
        201,
    )
    product: dict[str, Any] = expect(
        await http.post(
            f"{registry}/products",
            json={
                "entity_id": entity["entity_id"],
                "name": "Bánh pía sầu riêng",
                "scoring_set_code": "I.3.d",
                "year": year,
            },
        ),
        201,
    )
    return product


async def _round(http: httpx.AsyncClient, services: ServiceStack, year: int) -> dict[str, Any]:
    evaluation = services.url("evaluation")
    rnd: dict[str, Any] = expect(
        await http.post(
            f"{evaluation}/rounds",
            json={"province_code": PROVINCE, "year": year, "kind": "first_half"},
        ),
        201,
    )
    expect(
        await http.put(f"{evaluation}/rounds/{rnd['round_id']}/council", json={"members": MEMBERS}),
        200,
    )
    return rnd


async def _dossier_at_province(
    http: httpx.AsyncClient, services: ServiceStack, year: int
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    evaluation = services.url("evaluation")
    product = await _product(http, services, year)
    rnd = await _round(http, services, year)
    body = {
        "product_id": product["product_id"],
        "round_id": rnd["round_id"],
        "registration": {"applicant_name": "HTX Bánh pía", "representative_name": "Võ Thị Mai"},
        "self_assessment": [
            {**entry, "evidence": [f"doc://{entry['criterion_id']}"]}
            for entry in sheet(FOUR_STAR)["entries"]
        ],
    }
    dossier = await once_known(lambda: http.post(f"{evaluation}/dossiers", json=body), 201)
    forwarded = expect(
        await http.post(
            f"{evaluation}/dossiers/{dossier['dossier_id']}/commune-check",
            json={"decision": "forward", "local_raw_material": True},
        ),
        200,
    )
    assert forwarded["status"] == "at_province"
    return product, rnd, dossier


@pytest.fixture(scope="module")
async def certified(services: ServiceStack, token: str, year: int) -> dict[str, Any]:
    """One dossier taken all the way: intake, evidence loop, three sheets, decision."""
    evaluation = services.url("evaluation")
    async with httpx.AsyncClient(
        headers={"Authorization": f"Bearer {token}"}, timeout=15.0
    ) as http:
        product, rnd, dossier = await _dossier_at_province(http, services, year)
        url = f"{evaluation}/dossiers/{dossier['dossier_id']}"
        asked = expect(
            await http.post(
                f"{url}/evidence-requests",
                json={"criterion_id": "C1.4", "message": "Bổ sung bản tự công bố chất lượng"},
            ),
            201,
        )
        request_id = asked["evidence_requests"][0]["request_id"]
        answered = expect(
            await http.post(
                f"{url}/evidence-requests/{request_id}/response",
                json={"evidence": ["doc://tu-cong-bo-2026.pdf"]},
            ),
            200,
        )
        for member, choices in SHEETS.items():
            expect(await http.put(f"{url}/sheets/{member}", json=sheet(choices)), 200)
        result = expect(await http.get(f"{url}/result"), 200)
        decided = expect(
            await http.post(
                f"{url}/decision",
                json={"decision_ref": "123/QĐ-UBND", "decided_on": f"{year}-06-20"},
            ),
            200,
        )
    return {
        "product": product,
        "round": rnd,
        "dossier": dossier,
        "asked": asked,
        "answered": answered,
        "result": result,
        "decided": decided,
    }


async def test_a_dossier_filed_at_the_commune_is_due_there_in_15_working_days(
    certified: dict[str, Any],
) -> None:
    dossier = certified["dossier"]
    submitted = date.fromisoformat(dossier["submitted_on"])
    due = date.fromisoformat(dossier["commune_due_on"])
    assert dossier["status"] == "at_commune"
    assert vietnam_calendar().working_days_between(submitted, due) == 15
    assert vietnam_calendar().is_working_day(due)
    assert (due - submitted).days >= 19  # 15 weekdays always straddle two weekends
    assert dossier["self_score"] == 87.0


async def test_the_evidence_loop_reopens_the_dossier_where_it_was(
    certified: dict[str, Any],
) -> None:
    assert certified["asked"]["status"] == "awaiting_evidence"
    answered = certified["answered"]
    assert answered["status"] == "at_province"
    line = next(x for x in answered["self_assessment"] if x["criterion_id"] == "C1.4")
    assert "doc://tu-cong-bo-2026.pdf" in line["evidence"]


async def test_the_council_result_is_the_average_with_a_per_member_drill_down(
    certified: dict[str, Any],
) -> None:
    result = certified["result"]
    assert (result["average"], result["spread"], result["problems"]) == (86.33, 1.0, [])
    totals = {s["member_id"]: s["total"] for s in result["sheets"]}
    assert totals == {"chair-1": 87.0, "member-2": 86.0, "member-3": 86.0}


async def test_the_decision_rates_four_stars_and_issues_a_certificate_once(
    certified: dict[str, Any], infra: Infra
) -> None:
    decided = certified["decided"]
    assert (decided["status"], decided["result"]["stars"]) == ("decided", 4)
    product_id = certified["product"]["product_id"]
    seen = await events_of(
        infra.kafka_bootstrap,
        topics.EVALUATION,
        product_id,
        lambda s: types(s) == ["ProductRated", "CertificateIssued"],
    )
    rated, issued = seen[0][0], seen[1][0]
    assert (rated.aggregate_version, issued.aggregate_version) == (1, 2)
    assert rated.model_dump(include={"stars", "score", "rule_set_id", "round_id"}) == {
        "stars": 4,
        "score": 86.33,
        "rule_set_id": "qd26-2026",
        "round_id": certified["round"]["round_id"],
    }
    assert issued.model_dump(include={"certificate_id", "stars", "decision_ref"}) == {
        "certificate_id": decided["result"]["certificate_id"],
        "stars": 4,
        "decision_ref": "123/QĐ-UBND",
    }


async def test_registry_promotion_and_reporting_see_the_rating(
    certified: dict[str, Any], http: httpx.AsyncClient, services: ServiceStack, year: int
) -> None:
    product_id = certified["product"]["product_id"]

    async def in_registry() -> dict | None:
        shown = expect(await http.get(f"{services.url('registry')}/products/{product_id}"), 200)
        return shown if shown.get("stars") == 4 else None

    async def in_feed() -> dict | None:
        feed = expect(
            await http.get(
                f"{services.url('promotion')}/feed",
                params={"province_code": PROVINCE, "page_size": 500},
            ),
            200,
        )
        return next((e for e in feed["items"] if e["product_id"] == product_id), None)

    target = expect(
        await http.post(
            f"{services.url('reporting')}/targets",
            json={
                "province_code": PROVINCE,
                "plan_ref": "e2e-evaluation",
                "label": "Sản phẩm đạt từ 3 sao qua hội đồng",
                "metric": "certified_products",
                "year_from": year,
                "year_to": year,
                "minimum": 1,
            },
        ),
        201,
    )

    async def in_report() -> dict | None:
        report = expect(
            await http.get(
                f"{services.url('reporting')}/reports/progress",
                params={"province_code": PROVINCE, "year": year},
            ),
            200,
        )
        row = next(t for t in report["targets"] if t["target_id"] == target["target_id"])
        return row if row["actual"] >= 1 else None

    assert (await eventually(in_registry, timeout=60, what="registry"))["stars"] == 4
    assert (await eventually(in_feed, timeout=60, what="promotion feed"))["to_stars"] == 4
    assert (await eventually(in_report, timeout=60, what="reporting"))["actual"] == 1


async def test_the_next_star_report_names_the_points_and_the_five_star_minima(
    certified: dict[str, Any], http: httpx.AsyncClient, services: ServiceStack
) -> None:
    product_id = certified["product"]["product_id"]
    gap = expect(
        await http.get(f"{services.url('evaluation')}/products/{product_id}/next-star"), 200
    )
    assert (gap["current_stars"], gap["next_stars"], gap["points_needed"]) == (4, 5, 3.67)
    assert {u["criterion_id"] for u in gap["unmet_minima"]} == {"A1.2", "A1.4", "B1.1"}
    assert gap["decided_by"] == "central"


async def test_a_revoked_certificate_is_shown_revoked_and_announced(
    certified: dict[str, Any], http: httpx.AsyncClient, services: ServiceStack, infra: Infra
) -> None:
    evaluation = services.url("evaluation")
    certificate_id = certified["decided"]["result"]["certificate_id"]
    revoked = expect(
        await http.post(
            f"{evaluation}/certificates/{certificate_id}/revocation",
            json={"ground": "law_breach", "decision_ref": "45/QĐ-UBND", "details": "nhãn sai"},
        ),
        200,
    )
    assert revoked["status"] == "revoked"
    public = expect(
        await httpx.AsyncClient().get(f"{evaluation}/certificates/{certificate_id}"), 200
    )
    assert public["status"] == "revoked"
    seen = await events_of(
        infra.kafka_bootstrap,
        topics.EVALUATION,
        certified["product"]["product_id"],
        lambda s: "CertificateRevoked" in types(s),
    )
    assert types(seen).count("CertificateRevoked") == 1
    again = await http.post(
        f"{evaluation}/certificates/{certificate_id}/revocation",
        json={"ground": "law_breach", "decision_ref": "46/QĐ-UBND"},
    )
    assert again.status_code == 409


# --- bad input --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def at_province(services: ServiceStack, token: str, year: int) -> dict[str, Any]:
    async with httpx.AsyncClient(
        headers={"Authorization": f"Bearer {token}"}, timeout=15.0
    ) as http:
        product, rnd, dossier = await _dossier_at_province(http, services, year)
    return {"product": product, "round": rnd, "dossier": dossier}


async def test_a_sheet_above_a_criterions_maximum_is_refused_naming_the_entry(
    at_province: dict[str, Any], http: httpx.AsyncClient, services: ServiceStack
) -> None:
    body = sheet(FOUR_STAR)
    body["entries"][0] = {"criterion_id": body["entries"][0]["criterion_id"], "points": 30}
    url = f"{services.url('evaluation')}/dossiers/{at_province['dossier']['dossier_id']}"
    refused = expect(await http.put(f"{url}/sheets/chair-1", json=body), 422)
    assert refused["detail"][0]["loc"] == ["body", "entries", "0", "points"]
    assert "above the maximum" in refused["detail"][0]["msg"]


async def test_a_member_not_on_the_council_cannot_submit_a_sheet(
    at_province: dict[str, Any], http: httpx.AsyncClient, services: ServiceStack
) -> None:
    url = f"{services.url('evaluation')}/dossiers/{at_province['dossier']['dossier_id']}"
    refused = expect(await http.put(f"{url}/sheets/stranger", json=sheet(FOUR_STAR)), 422)
    assert refused["detail"][0]["loc"] == ["body", "member_id"]
    assert "not a member of the council" in refused["detail"][0]["msg"]


async def test_a_decision_without_quorum_names_what_is_missing(
    at_province: dict[str, Any], http: httpx.AsyncClient, services: ServiceStack
) -> None:
    url = f"{services.url('evaluation')}/dossiers/{at_province['dossier']['dossier_id']}"
    expect(await http.put(f"{url}/sheets/member-2", json=sheet(FOUR_STAR)), 200)
    refused = expect(await http.post(f"{url}/decision", json={"decision_ref": "1/QĐ"}), 422)
    assert "quorum not met: 1 of 3 sheets, 3 needed" in refused["detail"][0]["msg"]


async def test_a_closed_round_takes_no_more_sheets(
    at_province: dict[str, Any], http: httpx.AsyncClient, services: ServiceStack
) -> None:
    evaluation = services.url("evaluation")
    round_id = at_province["round"]["round_id"]
    expect(await http.post(f"{evaluation}/rounds/{round_id}/close"), 200)
    url = f"{evaluation}/dossiers/{at_province['dossier']['dossier_id']}"
    refused = expect(await http.put(f"{url}/sheets/chair-1", json=sheet(FOUR_STAR)), 409)
    assert "is closed" in refused["detail"][0]["msg"]


# --- commune return, and the central council ----------------------------------------------------


async def test_a_returned_dossier_is_back_at_the_commune_once_resubmitted(
    http: httpx.AsyncClient, services: ServiceStack, year: int
) -> None:
    evaluation = services.url("evaluation")
    product = await _product(http, services, year)
    rnd = await _round(http, services, year)
    body = {
        "product_id": product["product_id"],
        "round_id": rnd["round_id"],
        "registration": {"applicant_name": "HTX", "representative_name": "Lý Thị Hoa"},
    }
    dossier = await once_known(lambda: http.post(f"{evaluation}/dossiers", json=body), 201)
    url = f"{evaluation}/dossiers/{dossier['dossier_id']}"
    no_reason = expect(await http.post(f"{url}/commune-check", json={"decision": "return"}), 422)
    assert no_reason["detail"][0]["loc"] == ["body", "reasons"]
    returned = expect(
        await http.post(
            f"{url}/commune-check",
            json={"decision": "return", "reasons": ["Thiếu phiếu tự đánh giá (Mẫu 02)"]},
        ),
        200,
    )
    assert returned["status"] == "returned"
    again = expect(await http.put(f"{url}/self-assessment", json=sheet(FOUR_STAR)["entries"]), 200)
    assert (again["status"], again["self_score"]) == ("at_commune", 87.0)


async def _central_round(http: httpx.AsyncClient, services: ServiceStack, year: int) -> str:
    evaluation = services.url("evaluation")
    rnd = expect(
        await http.post(
            f"{evaluation}/rounds", json={"level": "central", "year": year, "kind": "second_half"}
        ),
        201,
    )
    members = [
        {"member_id": "bo-chair", "name": "Lãnh đạo Bộ", "role": "chair"},
        {"member_id": "bo-member", "name": "Chuyên gia", "role": "member"},
    ]
    expect(
        await http.put(f"{evaluation}/rounds/{rnd['round_id']}/council", json={"members": members}),
        200,
    )
    return str(rnd["round_id"])


async def _proposed(http: httpx.AsyncClient, services: ServiceStack, year: int) -> tuple[str, str]:
    """A dossier scored 100 by the province council: proposed for 5★."""
    product, _, dossier = await _dossier_at_province(http, services, year)
    url = f"{services.url('evaluation')}/dossiers/{dossier['dossier_id']}"
    for member in SHEETS:
        expect(await http.put(f"{url}/sheets/{member}", json=sheet({})), 200)
    proposed = expect(
        await http.post(
            f"{url}/decision", json={"decision_ref": "9/QĐ-UBND", "decided_on": f"{year}-06-25"}
        ),
        200,
    )
    assert proposed["status"] == "proposed_national"
    return str(product["product_id"]), url


async def test_ninety_points_go_to_the_central_council_which_decides_five_stars(
    http: httpx.AsyncClient, services: ServiceStack, infra: Infra, year: int
) -> None:
    product_id, url = await _proposed(http, services, year)
    central = await _central_round(http, services, year)
    expect(await http.post(f"{url}/central-round", json={"round_id": central}), 200)
    for member in ("bo-chair", "bo-member"):
        expect(await http.put(f"{url}/sheets/{member}", json=sheet({})), 200)
    decided = expect(
        await http.post(
            f"{url}/decision", json={"decision_ref": "77/QĐ-BNNMT", "decided_on": f"{year}-09-20"}
        ),
        200,
    )
    assert (decided["status"], decided["central_result"]["stars"]) == ("decided", 5)
    seen = await events_of(
        infra.kafka_bootstrap, topics.EVALUATION, product_id, lambda s: len(s) >= 3
    )
    assert types(seen) == ["ProductProposedForNational", "ProductRated", "CertificateIssued"]
    assert [(e.model_dump().get("level"), e.model_dump().get("stars")) for e, _ in seen[1:]] == [
        ("central", 5),
        ("central", 5),
    ]


async def test_below_90_centrally_the_province_certifies_from_the_central_result(
    http: httpx.AsyncClient, services: ServiceStack, infra: Infra, year: int
) -> None:
    product_id, url = await _proposed(http, services, year)
    central = await _central_round(http, services, year)
    expect(await http.post(f"{url}/central-round", json={"round_id": central}), 200)
    for member in ("bo-chair", "bo-member"):
        expect(await http.put(f"{url}/sheets/{member}", json=sheet(FOUR_STAR)), 200)
    rated = expect(await http.post(f"{url}/decision", json={"decision_ref": "78/QĐ-BNNMT"}), 200)
    assert rated["status"] == "awaiting_province_certification"
    certified = expect(await http.post(f"{url}/decision", json={"decision_ref": "5/QĐ-UBND"}), 200)
    assert (certified["status"], certified["result"]["stars"]) == ("decided", 4)
    seen = await events_of(
        infra.kafka_bootstrap, topics.EVALUATION, product_id, lambda s: len(s) >= 3
    )
    issued = seen[2][0].model_dump()
    assert (issued["type"], issued["level"], issued["stars"]) == (
        "CertificateIssued",
        "province",
        4,
    )


THREE_STAR = {
    "A1.2": "50to75",
    "A2.3": "application",
    "A3.2": "internal",
    "A3.3": "none",
    "B1.1": "province",
    "B1.2": "none",
    "B1.3": "none",
    "B2.2": "none",
    "B2.3": "none",
    "C1.1": "fair",
    "C1.2": "none",
    "C1.7": "none",
}  # 60 points; the 4★ minima of A3.2 and B2.3 are not met


async def test_an_upgrade_replaces_the_three_star_certificate_with_a_four_star_one(
    http: httpx.AsyncClient, services: ServiceStack, infra: Infra, year: int
) -> None:
    evaluation = services.url("evaluation")
    product, _, dossier = await _dossier_at_province(http, services, year)
    url = f"{evaluation}/dossiers/{dossier['dossier_id']}"
    for member in SHEETS:
        expect(await http.put(f"{url}/sheets/{member}", json=sheet(THREE_STAR)), 200)
    first = expect(await http.post(f"{url}/decision", json={"decision_ref": "10/QĐ-UBND"}), 200)
    assert first["result"]["stars"] == 3

    later = expect(
        await http.post(
            f"{evaluation}/rounds",
            json={"province_code": PROVINCE, "year": year, "kind": "second_half"},
        ),
        201,
    )
    council = f"{evaluation}/rounds/{later['round_id']}/council"
    expect(await http.put(council, json={"members": MEMBERS}), 200)
    body = {
        "product_id": product["product_id"],
        "round_id": later["round_id"],
        "attempt_type": "upgrade",
        "registration": {"applicant_name": "HTX Bánh pía", "representative_name": "Võ Thị Mai"},
    }
    upgrade = expect(await http.post(f"{evaluation}/dossiers", json=body), 201)
    url = f"{evaluation}/dossiers/{upgrade['dossier_id']}"
    expect(await http.post(f"{url}/commune-check", json={"decision": "forward"}), 200)
    for member, choices in SHEETS.items():
        expect(await http.put(f"{url}/sheets/{member}", json=sheet(choices)), 200)
    second = expect(await http.post(f"{url}/decision", json={"decision_ref": "20/QĐ-UBND"}), 200)
    assert second["result"]["stars"] == 4

    seen = await events_of(
        infra.kafka_bootstrap, topics.EVALUATION, product["product_id"], lambda s: len(s) >= 4
    )
    rated, issued = seen[2][0].model_dump(), seen[3][0].model_dump()
    assert (rated["stars"], rated["previous_stars"]) == (4, 3)
    assert issued["replaces_certificate_id"] == first["result"]["certificate_id"]
    old = expect(
        await http.get(f"{evaluation}/certificates/{first['result']['certificate_id']}"), 200
    )
    assert old["status"] == "replaced"
