"""The product lifecycle driven by evaluation's events, and validity on a given day."""

from __future__ import annotations

from datetime import date

from ocop_contracts.events.evaluation import (
    CertificateExpired,
    CertificateIssued,
    CertificateRenewalDue,
    CertificateRevoked,
    ProductProposedForNational,
    ProductRated,
)
from ocop_contracts.vocabulary import RatingLevel, RevocationGround
from ocop_registry.domain.lifecycle import (
    EvaluationState,
    add_months,
    apply_evaluation,
    validity_on,
)
from ocop_registry.domain.model import ProductStatus

ENVELOPE = {"producer": "evaluation", "aggregate_id": "p1", "province_code": "82"}
DAY = date(2026, 3, 1)


def rated(stars: int, on: date = DAY) -> ProductRated:
    return ProductRated(
        **ENVELOPE,
        aggregate_version=1,
        product_id="p1",
        score=50 + stars * 5,
        stars=stars,
        level=RatingLevel.PROVINCE,
        rule_set_id="qd26-2026",
        rated_on=on,
        scoring_set_code="I.1.a",
    )


def issued(cert: str = "C1", until: date = date(2029, 2, 28)) -> CertificateIssued:
    return CertificateIssued(
        **ENVELOPE,
        aggregate_version=2,
        certificate_id=cert,
        product_id="p1",
        stars=4,
        level=RatingLevel.PROVINCE,
        decision_ref="1/QĐ-UBND",
        issued_on=DAY,
        valid_until=until,
        rule_set_id="qd26-2026",
    )


def certified() -> EvaluationState:
    return apply_evaluation(apply_evaluation(EvaluationState(), rated(4)), issued())


def test_three_stars_or_more_certifies() -> None:
    state = apply_evaluation(EvaluationState(), rated(3))
    assert (state.status, state.stars) == (ProductStatus.CERTIFIED, 3)


def test_below_three_stars_is_rated_without_certificate() -> None:
    state = apply_evaluation(EvaluationState(), rated(2))
    assert state.status is ProductStatus.RATED_BELOW_THREE
    assert validity_on(state, DAY).valid is False


def test_a_proposal_to_the_central_council_puts_it_in_evaluation() -> None:
    proposed = ProductProposedForNational(
        **ENVELOPE, aggregate_version=2, product_id="p1", score=92, rule_set_id="r", proposed_on=DAY
    )
    assert apply_evaluation(EvaluationState(), proposed).status is ProductStatus.IN_EVALUATION


def test_an_issued_certificate_is_valid_until_its_last_day() -> None:
    state = certified()
    assert validity_on(state, date(2029, 2, 28)).valid is True
    assert validity_on(state, date(2029, 3, 1)).valid is False


def test_renewal_due_keeps_the_certificate_valid() -> None:
    due = CertificateRenewalDue(
        **ENVELOPE,
        aggregate_version=3,
        certificate_id="C1",
        product_id="p1",
        stars=4,
        valid_until=date(2029, 2, 28),
        window_opens_on=date(2028, 9, 1),
        window_closes_on=date(2028, 10, 31),
    )
    state = apply_evaluation(certified(), due)
    assert state.status is ProductStatus.RENEWAL_DUE
    assert validity_on(state, date(2028, 9, 2)).valid is True


def test_expiry_ends_validity() -> None:
    expired = CertificateExpired(
        **ENVELOPE,
        aggregate_version=3,
        certificate_id="C1",
        product_id="p1",
        stars=4,
        expired_on=date(2029, 3, 1),
    )
    state = apply_evaluation(certified(), expired)
    assert state.status is ProductStatus.EXPIRED
    assert validity_on(state, date(2028, 1, 1)).valid is False


def test_revocation_ends_validity_from_its_day() -> None:
    revoked = CertificateRevoked(
        **ENVELOPE,
        aggregate_version=3,
        certificate_id="C1",
        product_id="p1",
        stars=4,
        ground=RevocationGround.LAW_BREACH,
        decision_ref="2/QĐ-UBND",
        revoked_on=date(2027, 5, 1),
    )
    state = apply_evaluation(certified(), revoked)
    assert state.status is ProductStatus.REVOKED
    assert "revoked" in validity_on(state, date(2027, 5, 1)).reason


def test_events_about_a_superseded_certificate_change_nothing() -> None:
    renewed = apply_evaluation(certified(), issued("C2", date(2032, 2, 28)))
    old_expiry = CertificateExpired(
        **ENVELOPE,
        aggregate_version=4,
        certificate_id="C1",
        product_id="p1",
        stars=4,
        expired_on=date(2029, 3, 1),
    )
    assert apply_evaluation(renewed, old_expiry) == renewed


def test_a_withdrawn_product_stays_withdrawn_but_records_the_rating() -> None:
    state = apply_evaluation(EvaluationState(status=ProductStatus.WITHDRAWN), rated(4))
    assert (state.status, state.stars) == (ProductStatus.WITHDRAWN, 4)
    assert validity_on(state, DAY).valid is False


def test_a_rating_without_certificate_is_valid_for_36_months() -> None:
    state = apply_evaluation(EvaluationState(), rated(4, date(2026, 1, 31)))
    validity = validity_on(state, date(2027, 1, 1))
    assert (validity.valid, validity.basis, validity.valid_until) == (
        True,
        "rating",
        date(2029, 1, 30),
    )


def test_adding_months_clamps_to_the_end_of_the_month() -> None:
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2024, 11, 30), 3) == date(2025, 2, 28)
