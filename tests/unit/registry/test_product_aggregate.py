"""The Product aggregate: a draft publishes nothing; registering records ProductRegistered
(version 1); each later change of its published state records the next version; evaluation's
facts and its producer's name change it without an event."""

from __future__ import annotations

from datetime import date

import pytest

from ocop_contracts import LegalForm, RatingLevel
from ocop_contracts.events.evaluation import CertificateExpired
from ocop_contracts.events.registry import (
    PriorCertificateDeclared,
    ProductRegistered,
    ProductUpdated,
    ProductWithdrawn,
)
from ocop_platform.aggregates import InMemoryAggregateStore
from ocop_platform.errors import Conflict, DomainError
from ocop_registry.domain.commands import UpdateEntity, UpdateProduct
from ocop_registry.domain.model import Channel, ProductStatus
from ocop_registry.domain.products import ImportedRating, Product, Withdrawal
from tests.unit.registry.registry_builders import (
    NOW,
    PROVINCE,
    TODAY,
    draft,
    producer,
    rated,
    registered,
)


def test_a_draft_has_no_code_publishes_nothing_and_keeps_version_zero() -> None:
    product = draft()
    assert (product.status, product.product_code, product.code_key) == (
        ProductStatus.DRAFT,
        None,
        "draft:prd-1",
    )
    assert (product.version, product.pending_events) == (0, ())
    assert (product.sector_code, product.group_code, product.entity_name) == (
        "I",
        "I.6",
        "HTX Cà phê Ia Grai",
    )


def test_registering_gives_the_code_and_records_product_registered_version_one() -> None:
    product = draft()
    code = f"{PROVINCE}-{product.commune_code}-3-2026"

    product.register(code, NOW)

    (event,) = product.pending_events
    assert isinstance(event, ProductRegistered)
    assert (event.aggregate_version, event.product_code, event.entity_id) == (1, code, "ent-1")
    assert (product.status, product.code_key, product.registered_at) == (
        ProductStatus.REGISTERED,
        code,
        NOW,
    )
    with pytest.raises(Conflict, match="already registered"):
        product.register(code, NOW)


def test_a_draft_edited_before_registering_still_registers_as_version_one() -> None:
    product = draft()
    product.update(UpdateProduct(trademark="Ia Grai"), NOW)
    assert (product.version, product.pending_events) == (0, ())

    product.register(f"{PROVINCE}-{product.commune_code}-4-2026", NOW)
    assert [e.aggregate_version for e in product.pending_events] == [1]


def test_an_update_publishes_the_new_classification_with_the_next_version() -> None:
    product = registered()

    product.update(UpdateProduct(scoring_set_code="I.1.a", trademark="Ia Grai"), NOW)

    (event,) = product.pending_events
    assert isinstance(event, ProductUpdated)
    assert (event.aggregate_version, event.scoring_set_code) == (2, "I.1.a")
    assert (product.group_code, product.sector_code) == ("I.1", "I")
    assert product.details.trademark == "Ia Grai"


def test_an_update_removes_details_given_as_null_but_never_the_name_or_channels() -> None:
    product = registered(trademark="Ia Grai", channels=[Channel.E_COMMERCE])

    product.update(UpdateProduct(trademark=None, channels=None), NOW)
    assert (product.details.trademark, product.details.channels) == (None, [Channel.E_COMMERCE])

    with pytest.raises(DomainError) as refused:
        product.update(UpdateProduct(name=None), NOW)
    assert refused.value.field == "name"


def test_a_scoring_set_unfit_for_the_producer_s_legal_form_is_refused() -> None:
    product = registered(producer(legal_form=LegalForm.ASSOCIATION), scoring_set_code="VI.1")
    with pytest.raises(DomainError) as refused:
        product.update(UpdateProduct(scoring_set_code="I.6"), NOW)
    assert refused.value.field == "scoring_set_code" and product.pending_events == ()


def test_withdrawal_is_final_and_published() -> None:
    product = registered()

    product.withdraw(TODAY, "ngừng sản xuất", "office-1")

    (event,) = product.pending_events
    assert isinstance(event, ProductWithdrawn)
    assert (event.aggregate_version, event.withdrawn_on, event.reason) == (
        2,
        TODAY,
        "ngừng sản xuất",
    )
    assert product.withdrawn == Withdrawal(on=TODAY, reason="ngừng sản xuất", by="office-1")
    with pytest.raises(Conflict, match="already withdrawn"):
        product.withdraw(TODAY, "again", "office-1")
    with pytest.raises(Conflict, match="cannot change"):
        product.update(UpdateProduct(trademark="x"), NOW)


def test_a_draft_cannot_be_withdrawn() -> None:
    with pytest.raises(Conflict, match="nothing to withdraw"):
        draft().withdraw(TODAY, "no", "office-1")


def test_a_product_follows_its_producer_publishing_only_what_its_events_carry() -> None:
    maker = producer()
    product = registered(maker)

    maker.update(UpdateEntity(name="HTX Ia Grai mới"), NOW)
    assert product.follow(maker) is True
    assert (product.entity_name, product.pending_events, product.version) == (
        "HTX Ia Grai mới",
        (),
        1,
    )

    maker.update(UpdateEntity(legal_form=LegalForm.ENTERPRISE), NOW)
    assert product.follow(maker) is True
    assert [type(e) for e in product.pending_events] == [ProductUpdated]
    assert product.follow(maker) is False


def test_evaluation_s_events_apply_once_in_order_without_an_event_of_the_registry() -> None:
    product = registered()

    assert product.apply_evaluation(rated("prd-1", 2, stars=4)) is True
    assert product.apply_evaluation(rated("prd-1", 1, stars=2)) is False  # late: already past it
    assert product.apply_evaluation(rated("prd-1", 2, stars=4)) is False  # a repeat

    assert (product.status, product.stars, product.evaluation_version) == (
        ProductStatus.CERTIFIED,
        4,
        2,
    )
    assert (product.version, product.pending_events, product.has_changes) == (1, (), True)


def test_a_withdrawn_product_records_evaluation_s_facts_but_stays_withdrawn() -> None:
    product = registered()
    product.withdraw(TODAY, "ngừng", "office-1")
    product.apply_evaluation(rated("prd-1", 1, stars=4))
    assert (product.status, product.stars) == (ProductStatus.WITHDRAWN, 4)


def test_an_imported_certificate_is_declared_to_evaluation_not_taken_here() -> None:
    product = registered()
    product.take_imported_rating(
        ImportedRating(
            stars=4,
            score=78.5,
            certified_on=date(2025, 3, 1),
            certificate_id="52/2025/OCOP-7",
            decision_ref="412/QĐ-UBND",
            level=RatingLevel.PROVINCE,
        )
    )
    (declared,) = product.pending_events
    assert isinstance(declared, PriorCertificateDeclared)
    assert (declared.aggregate_version, declared.certificate_id, declared.valid_until) == (
        2,
        "52/2025/OCOP-7",
        date(2028, 2, 29),  # 36 months from the decision
    )
    # The stars are evaluation's to give: nothing changes here until its CertificateIssued.
    assert (product.status, product.stars, product.certificate) == (
        ProductStatus.REGISTERED,
        0,
        None,
    )


def test_an_imported_rating_below_three_stars_is_kept_without_a_certificate() -> None:
    low = registered(product_id="prd-3")
    low.take_imported_rating(ImportedRating(stars=2))
    assert (low.status, low.stars, low.certificate) == (ProductStatus.RATED_BELOW_THREE, 2, None)
    assert low.pending_events == ()


async def test_a_product_reads_back_from_its_store_as_it_was_saved() -> None:
    store = InMemoryAggregateStore(Product)
    product = registered(channels=[Channel.EXPORT])
    product.apply_evaluation(
        CertificateExpired(
            producer="evaluation",
            aggregate_id="prd-1",
            aggregate_version=3,
            province_code=PROVINCE,
            certificate_id="C-1",
            product_id="prd-1",
            stars=4,
            expired_on=TODAY,
        )
    )
    fresh = Product.model_validate(product.to_document())
    await store.add(fresh)

    loaded = await store.get("prd-1")
    assert loaded == fresh
    assert loaded is not None and loaded.certificate is not None
    assert (loaded.certificate.expired_on, loaded.status) == (TODAY, ProductStatus.EXPIRED)
    assert loaded.to_document()["product_id"] == "prd-1"  # stored for readers, as before
