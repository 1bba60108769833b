"""Products' use cases over in-memory stores: ratings, certificates, the scheduler, the ingest of
province ratings (load → call → save, and what the relay would publish)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Mapping, Sequence
from datetime import date
from typing import Any

import pytest

from ocop_contracts import ProductRated, RatingLevel, topics
from ocop_contracts.vocabulary import RevocationGround
from ocop_evaluation.adapters.memory import MemoryParkedRatings, MemorySourceRatings
from ocop_evaluation.domain.certificates import CertificateStatus
from ocop_evaluation.domain.products import Product
from ocop_evaluation.domain.resends import SourceRating
from ocop_evaluation.entrypoints.consumers import subscriptions
from ocop_evaluation.service_layer.commands import ImportCertificate, RecordRating, Revoke
from ocop_platform.aggregates import ConcurrencyConflict, InMemoryAggregateStore
from ocop_platform.consumer import Outcome
from ocop_platform.errors import Conflict, DomainError, NotFound
from ocop_platform.identity import Forbidden, Role
from tests.unit.evaluation.evaluation_builders import (
    OFFICE,
    evaluation,
    kinds,
    principal,
    published,
    registration,
)

PROVINCE_82 = principal("office-82", Role.PROVINCE_OFFICE, provinces=["82"])
PROVINCE_92 = principal("office-92", Role.PROVINCE_OFFICE, provinces=["92"])


def rating(score: float = 72.0, **fields: Any) -> RecordRating:
    return RecordRating(product_id="p1", score=score, rated_on=date(2026, 12, 1), **fields)


def paper(
    number: str = "PAPER-1", stars: int = 4, issued_on: date = date(2024, 3, 1)
) -> ImportCertificate:
    return ImportCertificate(
        product_id="p1",
        certificate_id=number,
        stars=stars,
        decision_ref="3/QĐ",
        issued_on=issued_on,
    )


async def test_a_rating_of_a_product_not_known_yet_is_refused() -> None:
    ev, stores = evaluation()
    with pytest.raises(DomainError, match="not registered") as refused:
        await ev.products.record_rating(rating(), OFFICE)
    assert refused.value.field == "product_id" and published(stores) == []


async def test_a_rating_is_saved_with_its_event_and_the_product_s_next_version() -> None:
    ev, stores = evaluation()
    await ev.ingest.on_product_registered(registration())

    first = await ev.products.record_rating(rating(72.0), OFFICE)
    second = await ev.products.record_rating(rating(95.0), OFFICE)

    assert (first.stars, second.stars, second.previous_stars) == (4, 4, 4)
    assert kinds(stores) == [
        ("p1", "ProductRated", 1),
        ("p1", "ProductRated", 2),
        ("p1", "ProductProposedForNational", 3),
    ]
    shown = await ev.products.evaluation("p1")
    assert (shown.product.stars, shown.product.score, shown.registered.name) == (
        4,
        95.0,
        "Bánh pía",
    )


async def test_ratings_are_the_province_s_own_and_central_ones_the_ministry_s() -> None:
    ev, stores = evaluation()
    await ev.ingest.on_product_registered(registration())
    with pytest.raises(Forbidden):
        await ev.products.record_rating(rating(), PROVINCE_82)
    with pytest.raises(DomainError, match="only the Ministry records central results"):
        await ev.products.record_rating(rating(level=RatingLevel.CENTRAL), PROVINCE_92)
    assert published(stores) == []


async def test_a_newer_registry_version_wins_and_an_older_one_is_ignored() -> None:
    ev, stores = evaluation()
    await ev.ingest.on_product_registered(registration(version=2, province="82"))
    await ev.ingest.on_product_registered(registration(version=1, province="92"))

    facts = await stores.registered.get("p1")
    assert facts is not None and facts.province_code == "82"
    product = await stores.products.get("p1")  # the product's aggregate, created on first sight
    assert product is not None and product.model_dump() == Product(id="p1").model_dump()


async def test_an_imported_certificate_is_indexed_and_its_number_taken_once() -> None:
    ev, stores = evaluation()
    await ev.ingest.on_product_registered(registration())
    await ev.ingest.on_product_registered(registration("p2"))

    imported = await ev.certificates.import_certificate(paper(), OFFICE)
    with pytest.raises(Conflict, match="certificate PAPER-1 exists"):
        await ev.certificates.import_certificate(
            paper().model_copy(update={"product_id": "p2"}), OFFICE
        )

    found = await ev.certificates.certificate("PAPER-1")
    assert (found.product_id, found.certificate) == ("p1", imported)
    assert kinds(stores) == [("p1", "CertificateIssued", 1)]


async def test_a_refused_import_leaves_the_number_free() -> None:
    ev, stores = evaluation()
    await ev.ingest.on_product_registered(registration())
    with pytest.raises(DomainError, match="no OCOP rule set was in force"):
        await ev.certificates.import_certificate(paper(issued_on=date(2010, 1, 1)), OFFICE)
    with pytest.raises(DomainError, match="5★ certificates are the Ministry's"):
        await ev.certificates.import_certificate(paper(stars=5), PROVINCE_92)
    assert await stores.certificates.product_of("PAPER-1") is None


async def test_revocation_is_the_province_s_for_four_stars_and_happens_once() -> None:
    ev, stores = evaluation()
    await ev.ingest.on_product_registered(registration())
    await ev.certificates.import_certificate(paper(), OFFICE)
    revoke = Revoke(ground=RevocationGround.LAW_BREACH, decision_ref="45/QĐ")

    revoked = await ev.certificates.revoke("PAPER-1", revoke, PROVINCE_92)

    assert (revoked.status, revoked.revocation and revoked.revocation.revoked_on) == (
        CertificateStatus.REVOKED,
        date(2027, 1, 5),  # today
    )
    with pytest.raises(Conflict, match="is revoked, not valid"):
        await ev.certificates.revoke("PAPER-1", revoke, PROVINCE_92)
    with pytest.raises(NotFound):
        await ev.certificates.revoke("PAPER-9", revoke, PROVINCE_92)
    assert [k for _, k, _ in kinds(stores)] == ["CertificateIssued", "CertificateRevoked"]


async def test_the_scheduler_announces_each_due_certificate_once() -> None:
    ev, stores = evaluation()
    for product_id in ("p1", "p2"):
        await ev.ingest.on_product_registered(registration(product_id))
    await ev.certificates.import_certificate(paper(), OFFICE)  # expires 2027-03-01
    await ev.certificates.import_certificate(
        paper("PAPER-2", issued_on=date(2026, 1, 2)).model_copy(update={"product_id": "p2"}),
        OFFICE,
    )

    in_window = await ev.certificates.run_scheduler(date(2027, 2, 1))
    again = await ev.certificates.run_scheduler(date(2027, 2, 1))
    expired = await ev.certificates.run_scheduler(date(2027, 3, 1))

    assert (in_window, again, expired) == (
        {"renewal_due": 1, "expired": 0},
        {"renewal_due": 0, "expired": 0},
        {"renewal_due": 0, "expired": 1},
    )
    assert kinds(stores)[-2:] == [
        ("p1", "CertificateRenewalDue", 2),
        ("p1", "CertificateExpired", 3),
    ]


def province_rating(product_id: str = "p1", **fields: Any) -> ProductRated:
    values: dict[str, Any] = {
        "producer": "can-tho-ocop",
        "aggregate_id": product_id,
        "aggregate_version": 1,
        "province_code": "92",
        "product_id": product_id,
        "score": 72.5,
        "stars": 4,
        "level": RatingLevel.PROVINCE,
        "rule_set_id": "qd26-2026",
        "rated_on": date(2026, 12, 1),
        "scoring_set_code": "I.3.d",
        "source_rating_id": "CT-1",
    }
    return ProductRated(**{**values, **fields})


async def test_a_province_rating_is_re_emitted_once_and_a_re_send_is_a_duplicate() -> None:
    ev, stores = evaluation()
    await ev.ingest.on_product_registered(registration())
    first = province_rating()
    resent = first.model_copy(update={"event_id": uuid.uuid4()})

    assert await ev.ingest.on_ingested_rating(first) is None
    assert await ev.ingest.on_ingested_rating(first) is None  # redelivered: applied once
    assert await ev.ingest.on_ingested_rating(resent) is Outcome.DUPLICATE
    with pytest.raises(DomainError) as conflict:
        await ev.ingest.on_ingested_rating(resent.model_copy(update={"score": 74.0}))

    assert conflict.value.field == "source_rating_id"
    [canonical] = published(stores)
    assert (canonical.producer, canonical.aggregate_version) == ("evaluation", 1)


async def test_a_held_rating_is_applied_when_its_product_arrives_or_rejected_with_why() -> None:
    ev, stores = evaluation()
    await ev.ingest.on_ingested_rating(province_rating("p1"))
    await ev.ingest.on_ingested_rating(province_rating("p2", source_rating_id="CT-2"))

    await ev.ingest.on_product_registered(registration("p1"))
    await ev.ingest.on_product_registered(registration("p2", province="82"))

    assert kinds(stores) == [("p1", "ProductRated", 1)]
    parked = stores.parked
    assert isinstance(parked, MemoryParkedRatings) and not parked.held
    assert "belongs to province 82" in next(iter(parked.rejected.values()))
    assert await stores.sources.get("92:can-tho-ocop:CT-2") is None  # not kept by a rejected one


class _AlwaysBusy(InMemoryAggregateStore[Product]):
    async def save(self, aggregate: Product) -> None:
        raise ConcurrencyConflict("product", aggregate.id, aggregate.version)


async def test_a_busy_product_is_retried_by_the_consumer_not_dead_lettered() -> None:
    ev, stores = evaluation()
    busy = _AlwaysBusy(Product)
    await busy.add(Product(id="p1"))
    object.__setattr__(stores, "products", busy)
    await stores.registered.remember(registration())

    with pytest.raises(RuntimeError, match="busy"):
        await ev.ingest.on_ingested_rating(province_rating())


class _CountingProducts(InMemoryAggregateStore[Product]):
    """Counts the product reads that reach the store, one by one and in bulk."""

    def __init__(self) -> None:
        super().__init__(Product)
        self.gets = 0
        self.finds = 0

    async def get(self, aggregate_id: str) -> Product | None:
        self.gets += 1
        return await super().get(aggregate_id)

    async def find(self, where: Mapping[str, Any], **options: Any) -> list[Product]:
        self.finds += 1
        return await super().find(where, **options)


async def test_a_batch_reads_its_products_once_and_a_second_rating_sees_the_first_s_save() -> None:
    ev, stores = evaluation()
    counting = _CountingProducts()
    object.__setattr__(stores, "products", counting)
    await ev.ingest.on_product_registered(registration())
    first = province_rating()
    second = province_rating(source_rating_id="CT-2", score=80.0)
    unknown = province_rating("p9", source_rating_id="CT-9")
    (ingest,) = [s for s in subscriptions(ev.ingest) if s.topic == topics.INGEST_EVALUATION]
    assert ingest.prefetch is not None

    async with ingest.prefetch([first, second, unknown]):
        for event in (first, second, unknown):
            assert await ev.ingest.on_ingested_rating(event) is None

    # One read of the batch's products; the second rating loaded p1 as the first saved it (a
    # stale copy would have conflicted on save and been read again).
    assert (counting.finds, counting.gets) == (1, 0)
    assert kinds(stores) == [("p1", "ProductRated", 1), ("p1", "ProductRated", 2)]
    parked = stores.parked
    assert isinstance(parked, MemoryParkedRatings) and len(parked.held) == 1  # p9: held
    product = await ev.ingest.product("p1")
    assert (product.version, product.score) == (2, 80.0)
    assert counting.gets == 1  # the read just above: the batch's reads ended with it


class _CountingSources(MemorySourceRatings):
    """Counts the source-rating writes, one by one and in bulk."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[str] = []
        self.bulk: list[list[str]] = []

    async def record(self, source: SourceRating) -> bool:
        self.records.append(source.key)
        return await super().record(source)

    async def record_many(self, sources: Sequence[SourceRating]) -> set[str]:
        self.bulk.append([source.key for source in sources])
        return {s.key for s in sources if await MemorySourceRatings.record(self, s)}


async def test_a_batch_records_its_source_ratings_at_once_before_handling_them() -> None:
    ev, stores = evaluation()
    sources = _CountingSources()
    object.__setattr__(stores, "sources", sources)
    await ev.ingest.on_product_registered(registration())
    first = province_rating()
    resent = first.model_copy(update={"event_id": uuid.uuid4()})
    other = province_rating(source_rating_id="CT-2", score=80.0)
    not_theirs = province_rating(source_rating_id="CT-3", province_code="82")
    batch = [first, resent, other, not_theirs]

    async with ev.ingest.prefetch(batch):
        outcomes = [await _outcome(ev.ingest.on_ingested_rating(e)) for e in batch]

    assert sources.bulk == [["92:can-tho-ocop:CT-1", "92:can-tho-ocop:CT-2"]]  # checked ones
    assert sources.records == ["92:can-tho-ocop:CT-1"]  # the re-send's, found recorded
    assert outcomes == [None, Outcome.DUPLICATE, None, "rejected"]
    assert kinds(stores) == [("p1", "ProductRated", 1), ("p1", "ProductRated", 2)]


async def test_a_redelivered_batch_finds_its_records_and_applies_each_rating_once() -> None:
    ev, stores = evaluation()
    await ev.ingest.on_product_registered(registration())
    batch = [province_rating(), province_rating(source_rating_id="CT-2", score=80.0)]
    for _ in range(2):  # the second time: Kafka's redelivery after a crash before the commit
        async with ev.ingest.prefetch(batch):
            outcomes = [await ev.ingest.on_ingested_rating(e) for e in batch]
        assert outcomes == [None, None]

    assert kinds(stores) == [("p1", "ProductRated", 1), ("p1", "ProductRated", 2)]


async def test_a_held_rating_the_batch_recorded_and_rejected_later_forgets_its_record() -> None:
    ev, stores = evaluation()
    held = province_rating("p4")  # not known yet: recorded by the batch, then held
    async with ev.ingest.prefetch([held]):
        assert await ev.ingest.on_ingested_rating(held) is None
    assert await stores.sources.get("92:can-tho-ocop:CT-1") is not None

    await ev.ingest.on_product_registered(registration("p4", province="82"))  # not Cần Thơ's

    assert await stores.sources.get("92:can-tho-ocop:CT-1") is None
    assert published(stores) == []


async def _outcome(handling: Awaitable[Outcome | None]) -> Outcome | str | None:
    try:
        return await handling
    except DomainError:
        return "rejected"
