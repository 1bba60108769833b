"""A certificate a province's register declares (registry's PriorCertificateDeclared) adopted by
evaluation as historic: the rating it implies and the certificate, origin imported, under the rule
set in force on the decision's date; once; refused with a reason a dead letter carries."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from ocop_contracts import ProductRated, RatingLevel
from ocop_contracts.events.evaluation import CertificateIssued
from ocop_contracts.events.registry import PriorCertificateDeclared
from ocop_contracts.vocabulary import CertificateOrigin
from ocop_evaluation.domain.certificates import CertificateStatus
from ocop_platform.errors import Conflict, DomainError
from tests.unit.evaluation.evaluation_builders import (
    PROVINCE,
    TODAY,
    evaluation,
    kinds,
    published,
    registration,
)


def declared(product_id: str = "p1", **fields: Any) -> PriorCertificateDeclared:
    values: dict[str, Any] = {
        "producer": "registry",
        "aggregate_id": product_id,
        "aggregate_version": 2,
        "province_code": PROVINCE,
        "product_id": product_id,
        "certificate_id": "92/2024/OCOP-11",
        "stars": 4,
        "score": 76.5,
        "level": RatingLevel.PROVINCE,
        "decision_ref": "1502/QĐ-UBND",
        "issued_on": date(2024, 11, 20),
        "valid_until": date(2027, 11, 19),
    }
    return PriorCertificateDeclared(**{**values, **fields})


async def test_a_declared_certificate_is_adopted_with_its_rating_under_the_rules_of_its_day() -> (
    None
):
    ev, stores = evaluation()
    await ev.ingest.on_product_registered(registration())

    await ev.ingest.on_prior_certificate_declared(declared())

    rated, issued = published(stores)
    assert isinstance(rated, ProductRated) and isinstance(issued, CertificateIssued)
    assert (rated.origin, rated.rated_on, rated.rule_set_id, rated.stars, rated.score) == (
        CertificateOrigin.IMPORTED,
        date(2024, 11, 20),
        "qd148-2023",  # in force on the decision's date, not today's QĐ 26
        4,
        76.5,
    )
    assert (issued.origin, issued.aggregate_version, issued.valid_until) == (
        CertificateOrigin.IMPORTED,
        2,
        date(2027, 11, 19),
    )
    found = await ev.certificates.certificate("92/2024/OCOP-11")
    assert (found.product_id, found.certificate.origin, found.certificate.expires_on) == (
        "p1",
        CertificateOrigin.IMPORTED,
        date(2027, 11, 20),
    )


async def test_a_redelivered_declaration_is_adopted_once() -> None:
    ev, stores = evaluation()
    await ev.ingest.on_product_registered(registration())
    event = declared()

    await ev.ingest.on_prior_certificate_declared(event)
    await ev.ingest.on_prior_certificate_declared(event)

    assert kinds(stores) == [("p1", "ProductRated", 1), ("p1", "CertificateIssued", 2)]


async def test_a_number_another_product_holds_is_refused_and_stays_with_it() -> None:
    ev, stores = evaluation()
    for product_id in ("p1", "p2"):
        await ev.ingest.on_product_registered(registration(product_id))
    await ev.ingest.on_prior_certificate_declared(declared())

    with pytest.raises(Conflict, match="held by product p1") as refused:
        await ev.ingest.on_prior_certificate_declared(declared("p2"))

    assert refused.value.field == "certificate_id"
    assert await stores.certificates.product_of("92/2024/OCOP-11") == "p1"
    assert [k for k in kinds(stores) if k[0] == "p2"] == []


async def test_a_declaration_the_rules_of_its_day_refuse_leaves_the_number_free() -> None:
    ev, stores = evaluation()
    await ev.ingest.on_product_registered(registration())

    with pytest.raises(DomainError, match="is 3★ under qd148-2023") as refused:
        await ev.ingest.on_prior_certificate_declared(declared(score=65.0))
    with pytest.raises(DomainError, match="valid until 2027-11-19") as late:
        await ev.ingest.on_prior_certificate_declared(declared(valid_until=date(2027, 12, 31)))

    assert (refused.value.field, late.value.field) == ("stars", "valid_until")
    assert await stores.certificates.product_of("92/2024/OCOP-11") is None
    assert published(stores) == []


async def test_a_product_not_known_here_is_refused_naming_it() -> None:
    ev, stores = evaluation()
    with pytest.raises(DomainError, match="not registered") as refused:
        await ev.ingest.on_prior_certificate_declared(declared())
    assert refused.value.field == "product_id" and published(stores) == []


async def test_an_imported_certificate_already_past_its_end_expires_at_the_next_pass() -> None:
    ev, stores = evaluation()
    await ev.ingest.on_product_registered(registration())
    old = declared(issued_on=date(2023, 3, 15), valid_until=date(2026, 3, 14))

    await ev.ingest.on_prior_certificate_declared(old)
    counts = await ev.certificates.run_scheduler(TODAY)

    assert counts == {"renewal_due": 0, "expired": 1}
    found = await ev.certificates.certificate("92/2024/OCOP-11")
    assert found.certificate.status is CertificateStatus.EXPIRED
    assert kinds(stores)[-1] == ("p1", "CertificateExpired", 3)
