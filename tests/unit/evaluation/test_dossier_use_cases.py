"""Rounds, dossiers and decisions over in-memory stores: a dossier from the commune to its
certificate, the central council, who may do what, and a decision retried after a crash."""

from __future__ import annotations

import pytest

from ocop_contracts import RatingLevel
from ocop_evaluation.domain.dossiers import Dossier, DossierStatus, IllegalMove
from ocop_evaluation.domain.forms import CommuneDecision, Registration
from ocop_evaluation.service_layer.commands import (
    CommuneCheck,
    CouncilRulesBody,
    CreateDossier,
    CreateRound,
    Decide,
    EvidenceRequest,
    EvidenceResponse,
    ForwardCentral,
    SetCouncil,
    SheetLine,
    SubmitSheet,
)
from ocop_evaluation.service_layer.evaluation import Evaluation
from ocop_platform.errors import Conflict, DomainError
from ocop_platform.identity import Forbidden, Role
from tests.e2e.evaluation_support import FOUR_STAR
from tests.unit.evaluation.evaluation_builders import (
    MEMBERS,
    OFFICE,
    entries,
    evaluation,
    kinds,
    principal,
    registration,
)

PROVINCE_OFFICE = principal("office-92", Role.PROVINCE_OFFICE, provinces=["92"])
MEMBER_2 = principal("member-2", Role.COUNCIL_MEMBER, provinces=["92"])
OTHER_PRODUCER = principal("prod", Role.PRODUCER, provinces=["92"], entity_id="e-other")


def sheet(choices: dict[str, str] | None = None) -> SubmitSheet:
    return SubmitSheet(
        entries=[
            SheetLine(criterion_id=e.criterion_id, option_id=e.option_id) for e in entries(choices)
        ]
    )


async def open_round(ev: Evaluation, level: RatingLevel = RatingLevel.PROVINCE) -> str:
    province = "92" if level is RatingLevel.PROVINCE else None
    kind = "first_half" if province else "second_half"
    rnd = await ev.rounds.create_round(
        CreateRound(level=level, province_code=province, year=2027, kind=kind), OFFICE
    )
    members = MEMBERS if province else MEMBERS[:2]
    await ev.rounds.set_council(rnd.id, SetCouncil(members=members), OFFICE)
    return rnd.id


async def at_province(ev: Evaluation, product_id: str = "p1") -> tuple[str, str]:
    """A registered product's dossier, forwarded by the commune: (dossier id, round id)."""
    await ev.ingest.on_product_registered(registration(product_id))
    round_id = await open_round(ev)
    filed = await ev.dossiers.file(
        CreateDossier(
            product_id=product_id,
            round_id=round_id,
            registration=Registration(applicant_name="HTX", representative_name="Võ Thị Mai"),
        ),
        OFFICE,
    )
    forward = CommuneCheck(decision=CommuneDecision.FORWARD)
    await ev.dossiers.commune_check(filed.id, forward, OFFICE)
    return filed.id, round_id


async def scored(ev: Evaluation, dossier_id: str, choices: dict[str, str] | None) -> None:
    dossier = await ev.dossiers.readable(dossier_id, OFFICE)
    council = await ev.rounds.round(dossier.round_of(dossier.stage))
    for member in council.council.members:
        await ev.dossiers.submit_sheet(dossier_id, member.member_id, sheet(choices), OFFICE)


async def test_a_dossier_goes_from_the_commune_to_a_certificate_in_one_product_sequence() -> None:
    ev, stores = evaluation()
    dossier_id, _ = await at_province(ev)
    await ev.dossiers.request_evidence(dossier_id, EvidenceRequest(message="Bổ sung"), OFFICE)
    await ev.dossiers.answer_evidence(
        dossier_id, "1", EvidenceResponse(evidence=["doc://a.pdf"]), OFFICE
    )
    await scored(ev, dossier_id, FOUR_STAR)

    decided = await ev.decisions.decide(dossier_id, Decide(decision_ref="123/QĐ-UBND"), OFFICE)

    assert decided.status is DossierStatus.DECIDED
    assert decided.result is not None and decided.result.stars == 4
    assert kinds(stores) == [("p1", "ProductRated", 1), ("p1", "CertificateIssued", 2)]
    certificate = decided.result.certificate_id
    assert certificate is not None
    assert (await ev.certificates.certificate(certificate)).product_id == "p1"
    with pytest.raises(IllegalMove, match="dossier is decided: nothing to decide"):
        await ev.decisions.decide(dossier_id, Decide(decision_ref="124/QĐ-UBND"), OFFICE)


async def test_a_decision_retried_after_the_product_was_written_completes_the_dossier_only() -> (
    None
):
    ev, stores = evaluation()
    dossier_id, _ = await at_province(ev)
    await scored(ev, dossier_id, FOUR_STAR)
    first = await ev.decisions.decide(dossier_id, Decide(decision_ref="123/QĐ"), OFFICE)
    # The crash: the product was written, the dossier was not (put it back before the decision).
    stored = await stores.dossiers.get(dossier_id)
    assert stored is not None and first.result is not None
    undone = Dossier.model_validate(
        {**stored.to_document(), "status": "in_council", "result": None}
    )
    await stores.dossiers.save(_as_loaded(undone, stored.version))

    again = await ev.decisions.decide(dossier_id, Decide(decision_ref="123/QĐ"), OFFICE)

    assert again.result is not None
    assert again.result.certificate_id == first.result.certificate_id
    assert [k for _, k, _ in kinds(stores)] == ["ProductRated", "CertificateIssued"]


def _as_loaded(dossier: Dossier, version: int) -> Dossier:
    """``dossier`` as if loaded at ``version`` and changed since."""
    loaded = Dossier.from_document({**dossier.to_document(), "version": version})
    loaded.touch()
    return loaded


async def test_ninety_points_go_centrally_and_a_central_4_stars_is_the_province_s() -> None:
    ev, stores = evaluation()
    dossier_id, _ = await at_province(ev)
    await scored(ev, dossier_id, None)  # 100 points
    proposed = await ev.decisions.decide(dossier_id, Decide(decision_ref="9/QĐ"), OFFICE)
    assert proposed.status is DossierStatus.PROPOSED_NATIONAL
    central = await open_round(ev, RatingLevel.CENTRAL)
    with pytest.raises(DomainError, match="central rounds are run by the Ministry"):
        await ev.dossiers.forward_central(
            dossier_id, ForwardCentral(round_id=central), PROVINCE_OFFICE
        )
    await ev.dossiers.forward_central(dossier_id, ForwardCentral(round_id=central), OFFICE)
    await scored(ev, dossier_id, FOUR_STAR)

    rated = await ev.decisions.decide(dossier_id, Decide(decision_ref="77/QĐ-BNNMT"), OFFICE)
    certified = await ev.decisions.decide(dossier_id, Decide(decision_ref="5/QĐ-UBND"), OFFICE)

    assert rated.status is DossierStatus.AWAITING_PROVINCE_CERTIFICATION
    assert certified.status is DossierStatus.DECIDED
    assert certified.result is not None and certified.result.decision_ref == "5/QĐ-UBND"
    assert [k for _, k, _ in kinds(stores)] == [
        "ProductProposedForNational",
        "ProductRated",
        "CertificateIssued",
    ]


async def test_a_member_enters_only_their_own_sheet_and_a_closed_round_takes_none() -> None:
    ev, _ = evaluation()
    dossier_id, round_id = await at_province(ev)
    with pytest.raises(Forbidden):
        await ev.dossiers.submit_sheet(dossier_id, "member-3", sheet(), MEMBER_2)
    own = await ev.dossiers.submit_sheet(dossier_id, "member-2", sheet(), MEMBER_2)
    assert (own.entered_by, own.total) == ("member-2", 100.0)
    with pytest.raises(DomainError, match="stranger is not a member"):
        await ev.dossiers.submit_sheet(dossier_id, "stranger", sheet(), OFFICE)

    await ev.rounds.close_round(round_id, OFFICE)

    with pytest.raises(Conflict, match="is closed: no more sheets"):
        await ev.dossiers.submit_sheet(dossier_id, "chair-1", sheet(), OFFICE)


async def test_a_decision_needs_its_quorum() -> None:
    ev, _ = evaluation()
    dossier_id, _ = await at_province(ev)
    await ev.dossiers.submit_sheet(dossier_id, "member-2", sheet(), OFFICE)
    standing = await ev.dossiers.standing(dossier_id, OFFICE)
    assert standing.result.problems[0] == "quorum not met: 1 of 3 sheets, 3 needed"
    with pytest.raises(DomainError, match="quorum not met") as refused:
        await ev.decisions.decide(dossier_id, Decide(decision_ref="1/QĐ"), OFFICE)
    assert refused.value.field == "sheets"


async def test_a_producer_reads_only_its_own_dossiers() -> None:
    ev, _ = evaluation()
    dossier_id, round_id = await at_province(ev)
    owner = principal("owner", Role.PRODUCER, provinces=["92"], entity_id="e-p1")

    assert [d.id for d in await ev.dossiers.readable_dossiers(owner, round_id=round_id)] == [
        dossier_id
    ]
    assert await ev.dossiers.readable_dossiers(OTHER_PRODUCER, round_id=round_id) == []
    with pytest.raises(Forbidden):
        await ev.dossiers.readable(dossier_id, OTHER_PRODUCER)


async def test_a_dossier_is_filed_in_an_open_round_of_its_province() -> None:
    ev, _ = evaluation()
    await ev.ingest.on_product_registered(registration("p9", province="82"))
    round_id = await open_round(ev)
    body = CreateDossier(
        product_id="p9",
        round_id=round_id,
        registration=Registration(applicant_name="HTX", representative_name="Mai"),
    )
    with pytest.raises(DomainError, match="province 92's, the product is province 82's"):
        await ev.dossiers.file(body, OFFICE)


async def test_council_rules_apply_to_the_rounds_opened_after_them() -> None:
    ev, _ = evaluation()
    await ev.rounds.set_council_rules("92", CouncilRulesBody(quorum_ratio=0.5), OFFICE)
    round_id = await open_round(ev)

    assert (await ev.rounds.round(round_id)).council.rules.quorum_ratio == 0.5
    assert [r.id for r in await ev.rounds.rounds("92", 2027)] == [round_id]
    assert (await ev.rounds.council_rules("01")).quorum_ratio == 0.75
    assert await ev.rounds.rounds("92", 2030) == []
