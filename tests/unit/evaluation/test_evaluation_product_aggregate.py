"""The Product aggregate: each command checks its rules, records its events with the product's
next version, and changes the state; a move the state does not allow is refused."""

from __future__ import annotations

from datetime import date

import pytest

from ocop_contracts import ProductRated, RatingLevel
from ocop_contracts.events.evaluation import (
    CertificateExpired,
    CertificateIssued,
    CertificateRenewalDue,
    CertificateRevoked,
    ProductProposedForNational,
)
from ocop_contracts.vocabulary import RevocationGround
from ocop_evaluation.domain.certificates import CertificateStatus
from ocop_evaluation.domain.decisions import CouncilDecision
from ocop_evaluation.domain.products import Product
from ocop_evaluation.domain.rules import rules_in_force
from ocop_evaluation.domain.scoring import CouncilRules, council_result, score_sheet
from ocop_platform.errors import Conflict, DomainError, NotFound
from tests.e2e.evaluation_support import FOUR_STAR
from tests.unit.evaluation.evaluation_builders import entries, food_rubric, registered

FACTS = registered()
ISSUED = date(2027, 1, 4)


def certified(number: str = "C-1", stars: int = 4, on: date = ISSUED) -> Product:
    product = Product(id=FACTS.product_id)
    product.import_certificate(FACTS, number=number, stars=stars, decision_ref="1/QĐ", issued_on=on)
    return product


def types(product: Product) -> list[str]:
    return [event.type for event in product.pending_events]


def test_a_rating_takes_the_band_of_the_score_and_the_next_version() -> None:
    product = Product(id="p1")

    rating = product.rate(FACTS, score=72.0, level=RatingLevel.PROVINCE, rated_on=date(2026, 12, 1))

    assert (rating.aggregate_version, rating.stars, rating.previous_stars) == (1, 4, 0)
    assert (rating.rule_set_id, rating.scoring_set_code, rating.province_code) == (
        "qd26-2026",
        "I.3.d",
        "92",
    )
    assert (product.version, product.stars, product.score) == (1, 4, 72.0)


def test_ninety_points_at_the_province_rate_four_stars_and_propose_five() -> None:
    product = Product(id="p1")

    product.rate(FACTS, score=95.0, level=RatingLevel.PROVINCE, rated_on=date(2026, 12, 1))

    rating, proposal = product.pending_events
    assert isinstance(rating, ProductRated) and isinstance(proposal, ProductProposedForNational)
    assert (rating.stars, proposal.score, proposal.aggregate_version) == (4, 95.0, 2)


def test_a_rating_before_the_programme_is_refused_naming_its_date() -> None:
    with pytest.raises(DomainError) as refused:
        Product(id="p1").rate(
            FACTS, score=72, level=RatingLevel.PROVINCE, rated_on=date(2010, 1, 1)
        )
    assert refused.value.field == "rated_on"


def test_a_new_certificate_replaces_the_valid_one_and_names_it() -> None:
    product = certified("C-1")

    product.import_certificate(FACTS, number="C-2", stars=5, decision_ref="2/QĐ", issued_on=ISSUED)

    _, second = product.pending_events
    assert isinstance(second, CertificateIssued)
    assert (second.replaces_certificate_id, second.level, second.aggregate_version) == (
        "C-1",
        RatingLevel.CENTRAL,
        2,
    )
    assert product.certificate is not None and product.certificate.certificate_id == "C-2"
    assert [(c.certificate_id, c.status) for c in product.past_certificates] == [
        ("C-1", CertificateStatus.REPLACED)
    ]


def test_revoking_the_valid_certificate_records_why_and_only_once() -> None:
    product = certified()

    revoked = product.revoke(
        FACTS,
        "C-1",
        ground=RevocationGround.LAW_BREACH,
        decision_ref="45/QĐ",
        revoked_on=date(2027, 2, 1),
        details="nhãn sai",
    )

    assert revoked.status is CertificateStatus.REVOKED and revoked.revocation is not None
    assert isinstance(product.pending_events[-1], CertificateRevoked)
    with pytest.raises(Conflict, match="certificate C-1 is revoked, not valid"):
        product.revoke(
            FACTS,
            "C-1",
            ground=RevocationGround.LAW_BREACH,
            decision_ref="46/QĐ",
            revoked_on=date(2027, 2, 2),
            details="",
        )


def test_a_replaced_or_unknown_certificate_cannot_be_revoked() -> None:
    product = certified("C-1")
    product.import_certificate(FACTS, number="C-2", stars=4, decision_ref="2/QĐ", issued_on=ISSUED)
    revoke = {
        "ground": RevocationGround.LAW_BREACH,
        "decision_ref": "1",
        "revoked_on": ISSUED,
        "details": "",
    }
    with pytest.raises(Conflict, match="is replaced, not valid"):
        product.revoke(FACTS, "C-1", **revoke)  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        product.revoke(FACTS, "C-9", **revoke)  # type: ignore[arg-type]


def test_the_scheduler_announces_the_renewal_window_then_the_expiry_once_each() -> None:
    product = certified(on=date(2024, 3, 1))  # qd148-2023: expires 2027-03-01, window 30 days
    certificate = product.certificate
    assert certificate is not None

    assert product.announce_due(FACTS, certificate.renewal_opens_on.replace(day=1)) is None
    assert product.announce_due(FACTS, certificate.renewal_opens_on) == "renewal_due"
    assert product.announce_due(FACTS, certificate.renewal_opens_on) is None
    assert product.announce_due(FACTS, certificate.expires_on) == "expired"
    assert product.announce_due(FACTS, certificate.expires_on) is None

    assert types(product)[1:] == ["CertificateRenewalDue", "CertificateExpired"]
    due, expired = product.pending_events[1:]
    assert isinstance(due, CertificateRenewalDue) and isinstance(expired, CertificateExpired)
    assert (due.window_opens_on, expired.expired_on) == (
        certificate.renewal_opens_on,
        certificate.expires_on,
    )


def test_an_expired_certificate_cannot_expire_or_be_announced_again() -> None:
    product = certified(on=date(2024, 3, 1))
    product.expire(FACTS)
    with pytest.raises(Conflict, match="no valid certificate"):
        product.expire(FACTS)
    with pytest.raises(Conflict):
        product.announce_renewal(FACTS)


def _decision(choices: dict[str, str] | None, level: RatingLevel) -> CouncilDecision:
    rubric = food_rubric()
    sheet = score_sheet(rubric, entries(choices))
    result = council_result({"chair-1": "chair"}, {"chair-1": sheet}, CouncilRules())
    return CouncilDecision(
        dossier_id="d1",
        round_id="r1",
        level=level,
        rules=rules_in_force(ISSUED, "decided_on"),
        rubric=rubric,
        result=result,
        decision_ref="123/QĐ-UBND",
        decided_on=ISSUED,
    )


def test_a_council_decision_rates_and_certifies_once_however_often_it_is_applied() -> None:
    product = Product(id="p1")
    decision = _decision(FOUR_STAR, RatingLevel.PROVINCE)

    issued = product.apply_decision(FACTS, decision, "C-1")
    again = product.apply_decision(FACTS, decision, "C-2")

    assert issued == again == "C-1"
    assert types(product) == ["ProductRated", "CertificateIssued"]
    assert product.latest_sheet is not None and product.latest_sheet.score == 87.0


def test_ninety_points_in_a_province_council_only_propose_five_stars() -> None:
    product = Product(id="p1")

    issued = product.apply_decision(FACTS, _decision(None, RatingLevel.PROVINCE), "C-1")

    assert issued is None
    assert types(product) == ["ProductProposedForNational"]
    assert (product.stars, product.certificate) == (0, None)


def test_a_province_system_s_rating_is_applied_once_and_only_for_its_province() -> None:
    rating = ProductRated(
        producer="can-tho-ocop",
        aggregate_id="p1",
        aggregate_version=1,
        province_code="92",
        product_id="p1",
        score=72.5,
        stars=4,
        level=RatingLevel.PROVINCE,
        rule_set_id="qd26-2026",
        rated_on=date(2026, 12, 1),
        scoring_set_code="I.3.d",
        source_rating_id="CT-1",
    )
    product = Product(id="p1")

    assert product.rate_from_province_system(FACTS, rating) is True
    assert product.rate_from_province_system(FACTS, rating) is False
    [canonical] = product.pending_events
    assert (canonical.producer, canonical.source_rating_id) == ("evaluation", "CT-1")  # type: ignore[attr-defined]
    with pytest.raises(DomainError) as refused:
        Product(id="p1").rate_from_province_system(registered(province_code="82"), rating)
    assert refused.value.field == "province_code"
