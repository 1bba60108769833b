"""Reading events off the wire: every type round-trips; anything else fails with a reason."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from ocop_contracts import (
    EVENT_TYPES,
    EntityRegistered,
    Event,
    LegalForm,
    ProductRated,
    ProductRegistered,
    RatingLevel,
    TargetMetric,
    TargetUpdated,
    UnknownEventType,
    UnreadableEvent,
    parse_event,
    topic_of,
    topics,
    type_name,
)
from ocop_contracts.events.evaluation import (
    CertificateExpired,
    CertificateIssued,
    CertificateRenewalDue,
    CertificateRevoked,
    ProductProposedForNational,
)
from ocop_contracts.events.promotion import (
    FairScheduled,
    ProductDelisted,
    ProductNewlyStarred,
    ProductShowcased,
    PromotionActivityRecorded,
)
from ocop_contracts.events.registry import (
    EntityUpdated,
    PriorCertificateDeclared,
    ProductUpdated,
    ProductWithdrawn,
)
from ocop_contracts.events.reporting import ActivityReported
from ocop_contracts.vocabulary import (
    ActivityKind,
    CertificateOrigin,
    DelistReason,
    RevocationGround,
    VenueKind,
)

ENVELOPE: dict[str, Any] = {"aggregate_version": 1, "province_code": "82"}

SAMPLES: dict[str, Event] = {
    "EntityRegistered": EntityRegistered(
        **ENVELOPE,
        producer="registry",
        aggregate_id="ent-1",
        entity_id="ent-1",
        name="Hợp tác xã Tôm khô Cà Mau",
        legal_form=LegalForm.COOPERATIVE,
        commune_code="32050",
        women_led=True,
    ),
    "ProductRegistered": ProductRegistered(
        **ENVELOPE,
        producer="registry",
        aggregate_id="prd-1",
        product_id="prd-1",
        product_code="82-32050-1-2026",
        name="Tôm khô",
        entity_id="ent-1",
        legal_form=LegalForm.COOPERATIVE,
        scoring_set_code="1.1.1",
        commune_code="32050",
    ),
    "ProductRated": ProductRated(
        **ENVELOPE,
        producer="evaluation",
        aggregate_id="prd-1",
        product_id="prd-1",
        score=72.5,
        stars=4,
        previous_stars=3,
        level=RatingLevel.PROVINCE,
        rule_set_id="qd26-2026",
        rated_on=date(2026, 8, 1),
        scoring_set_code="1.1.1",
    ),
    "TargetUpdated": TargetUpdated(
        **ENVELOPE,
        producer="reporting",
        aggregate_id="tgt-1",
        target_id="tgt-1",
        plan_ref="122/KH-UBND",
        label="Sản phẩm OCOP mới đạt 3 sao",
        metric=TargetMetric.CERTIFIED_PRODUCTS,
        year_from=2026,
        year_to=2030,
        minimum=30,
        maximum=35,
    ),
    "ActivityReported": ActivityReported(
        **ENVELOPE,
        producer="reporting",
        aggregate_id="act-1",
        report_id="act-1",
        metric=TargetMetric.PEOPLE_TRAINED,
        quantity=280,
        occurred_on=date(2026, 10, 15),
        evidence="Danh sách học viên lớp tập huấn OCOP",
    ),
    "EntityUpdated": EntityUpdated(
        **ENVELOPE,
        producer="registry",
        aggregate_id="ent-1",
        entity_id="ent-1",
        name="HTX Tôm khô Cà Mau",
        legal_form=LegalForm.COOPERATIVE,
    ),
    "ProductUpdated": ProductUpdated(
        **ENVELOPE,
        producer="registry",
        aggregate_id="prd-1",
        product_id="prd-1",
        product_code="82-32050-1-2026",
        name="Tôm khô loại 1",
        entity_id="ent-1",
        legal_form=LegalForm.COOPERATIVE,
        scoring_set_code="I.1.b",
        commune_code="32050",
    ),
    "ProductWithdrawn": ProductWithdrawn(
        **ENVELOPE,
        producer="registry",
        aggregate_id="prd-1",
        product_id="prd-1",
        withdrawn_on=date(2026, 9, 1),
        reason="ngừng sản xuất",
    ),
    "PriorCertificateDeclared": PriorCertificateDeclared(
        **{**ENVELOPE, "aggregate_version": 2},
        producer="registry",
        aggregate_id="prd-1",
        product_id="prd-1",
        certificate_id="82/2023/OCOP-015",
        stars=4,
        score=78.5,
        level=RatingLevel.PROVINCE,
        decision_ref="1234/QĐ-UBND",
        issued_on=date(2023, 10, 1),
        valid_until=date(2026, 9, 30),
    ),
    "ProductProposedForNational": ProductProposedForNational(
        **ENVELOPE,
        producer="evaluation",
        aggregate_id="prd-1",
        product_id="prd-1",
        score=91.0,
        rule_set_id="qd26-2026",
        proposed_on=date(2026, 6, 30),
    ),
    "CertificateIssued": CertificateIssued(
        **ENVELOPE,
        producer="evaluation",
        aggregate_id="prd-1",
        certificate_id="82-2026-001",
        product_id="prd-1",
        stars=4,
        level=RatingLevel.PROVINCE,
        decision_ref="1/QĐ-UBND",
        issued_on=date(2026, 7, 1),
        valid_until=date(2029, 6, 30),
        rule_set_id="qd26-2026",
    ),
    "CertificateRenewalDue": CertificateRenewalDue(
        **ENVELOPE,
        producer="evaluation",
        aggregate_id="prd-1",
        certificate_id="82-2026-001",
        product_id="prd-1",
        stars=4,
        valid_until=date(2029, 6, 30),
        window_opens_on=date(2029, 1, 1),
        window_closes_on=date(2029, 3, 2),
    ),
    "CertificateExpired": CertificateExpired(
        **ENVELOPE,
        producer="evaluation",
        aggregate_id="prd-1",
        certificate_id="82-2026-001",
        product_id="prd-1",
        stars=4,
        expired_on=date(2029, 7, 1),
    ),
    "CertificateRevoked": CertificateRevoked(
        **ENVELOPE,
        producer="evaluation",
        aggregate_id="prd-1",
        certificate_id="82-2026-001",
        product_id="prd-1",
        stars=4,
        ground=RevocationGround.MARK_MISUSE,
        decision_ref="9/QĐ-UBND",
        revoked_on=date(2027, 1, 5),
    ),
    "FairScheduled": FairScheduled(
        **ENVELOPE,
        producer="promotion",
        aggregate_id="fair-1",
        fair_id="fair-1",
        name="Hội chợ OCOP Đồng Tháp",
        place="Sa Đéc",
        starts_on=date(2026, 12, 1),
        ends_on=date(2026, 12, 5),
    ),
    "ProductShowcased": ProductShowcased(
        **ENVELOPE,
        producer="promotion",
        aggregate_id="prd-1",
        product_id="prd-1",
        venue_kind=VenueKind.SHOWROOM,
        venue_id="sadec",
        since=date(2026, 8, 1),
    ),
    "ProductDelisted": ProductDelisted(
        **ENVELOPE,
        producer="promotion",
        aggregate_id="prd-1",
        product_id="prd-1",
        venue_kind=VenueKind.SHOWROOM,
        venue_id="sadec",
        reason=DelistReason.CERTIFICATE_EXPIRED,
        delisted_on=date(2029, 7, 1),
    ),
    "PromotionActivityRecorded": PromotionActivityRecorded(
        **ENVELOPE,
        producer="promotion",
        aggregate_id="act-1",
        activity_id="act-1",
        kind=ActivityKind.TV_REPORT,
        title="Phóng sự OCOP",
        occurred_on=date(2026, 5, 2),
    ),
    "ProductNewlyStarred": ProductNewlyStarred(
        **ENVELOPE,
        producer="promotion",
        aggregate_id="prd-1",
        feed_entry_id="prd-1:1",
        product_id="prd-1",
        change="first_certification",
        from_stars=0,
        to_stars=4,
        score=75.0,
        rated_on=date(2026, 6, 20),
        scoring_set_code="I.1.a",
    ),
}

EXPECTED_TOPIC = {
    "EntityRegistered": topics.REGISTRY,
    "ProductRegistered": topics.REGISTRY,
    "ProductRated": topics.EVALUATION,
    "TargetUpdated": topics.REPORTING,
    "ActivityReported": topics.REPORTING,
    **dict.fromkeys(
        ("EntityUpdated", "ProductUpdated", "ProductWithdrawn", "PriorCertificateDeclared"),
        topics.REGISTRY,
    ),
    **dict.fromkeys(
        (
            "ProductProposedForNational",
            "CertificateIssued",
            "CertificateRenewalDue",
            "CertificateExpired",
            "CertificateRevoked",
        ),
        topics.EVALUATION,
    ),
    **dict.fromkeys(
        (
            "FairScheduled",
            "ProductShowcased",
            "ProductDelisted",
            "PromotionActivityRecorded",
            "ProductNewlyStarred",
        ),
        topics.PROMOTION,
    ),
}


def wire(event_name: str, /, **changes: Any) -> bytes:
    """The JSON of a sample event with some fields changed (None removes the field)."""
    document = SAMPLES[event_name].model_dump(mode="json")
    for key, value in changes.items():
        if value is None:
            document.pop(key)
        else:
            document[key] = value
    return json.dumps(document).encode()


def reason_of(raw: bytes) -> str:
    with pytest.raises(UnreadableEvent) as caught:
        parse_event(raw)
    assert str(caught.value) == caught.value.reason
    return caught.value.reason


def test_there_is_a_sample_of_every_event_type() -> None:
    assert set(SAMPLES) == set(EVENT_TYPES)


def test_type_name_is_the_wire_name_of_each_class() -> None:
    assert {type_name(cls) for cls in EVENT_TYPES.values()} == set(EVENT_TYPES)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_each_event_type_round_trips_through_its_json_bytes(name: str) -> None:
    event = SAMPLES[name]
    parsed = parse_event(event.to_json_bytes())
    assert type(parsed) is EVENT_TYPES[name]
    assert parsed == event


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_topic_of_names_the_owning_services_topic(name: str) -> None:
    assert topic_of(SAMPLES[name]) == EXPECTED_TOPIC[name]


def test_bad_json_is_unreadable() -> None:
    reason = reason_of(b'{"type": "ProductRated", ')
    assert reason.startswith("not an event envelope:")
    assert "json" in reason.lower()


def test_bytes_that_are_not_utf8_are_unreadable() -> None:
    assert reason_of(b"\xff\xfe\x00garbage").startswith("not an event envelope:")


def test_a_json_array_is_unreadable() -> None:
    assert reason_of(b"[1, 2, 3]").startswith("not an event envelope:")


def test_a_message_without_a_type_is_unreadable_and_the_reason_names_type() -> None:
    reason = reason_of(wire("ProductRated", type=None))
    assert reason.startswith("not an event envelope:")
    assert "type: Field required" in reason


def test_an_unknown_type_raises_unknown_event_type_naming_it() -> None:
    with pytest.raises(UnknownEventType) as caught:
        parse_event(wire("ProductRated", type="ProductTeleported"))
    assert caught.value.type_name == "ProductTeleported"
    assert "ProductTeleported" in caught.value.reason


def test_unknown_event_type_is_a_kind_of_unreadable_event() -> None:
    assert issubclass(UnknownEventType, UnreadableEvent)


def test_a_known_type_outside_the_accepted_set_is_unknown_there() -> None:
    with pytest.raises(UnknownEventType):
        parse_event(SAMPLES["ProductRated"].to_json_bytes(), {"TargetUpdated": TargetUpdated})


def test_a_schema_violation_is_unreadable_and_the_reason_names_the_field() -> None:
    reason = reason_of(wire("ProductRated", score=150))
    assert reason.startswith("invalid ProductRated:")
    assert "score" in reason


def test_a_missing_payload_field_is_unreadable_and_the_reason_names_the_field() -> None:
    reason = reason_of(wire("ProductRegistered", product_code=None))
    assert "product_code: Field required" in reason


def test_a_malformed_envelope_field_is_unreadable_and_the_reason_names_the_field() -> None:
    reason = reason_of(wire("TargetUpdated", province_code="8"))
    assert "province_code" in reason


def test_a_province_level_five_star_rating_on_the_wire_is_unreadable() -> None:
    reason = reason_of(wire("ProductRated", stars=5, score=95))
    assert "5★ can only be awarded by the central council" in reason


def test_the_reason_lists_at_most_three_errors_and_counts_the_rest() -> None:
    raw = wire(
        "ProductRegistered",
        product_id=None,
        product_code=None,
        name=None,
        entity_id=None,
        commune_code=None,
    )
    reason = reason_of(raw)
    assert reason.count("Field required") == 3
    assert reason.endswith("(+2 more)")


def test_a_schema_version_newer_than_the_code_knows_is_unreadable() -> None:
    reason = reason_of(wire("ProductRated", schema_version=3))
    assert "schema_version" in reason


def test_a_version_1_fact_is_still_read_with_its_version() -> None:
    # Province systems and older events send version 1 (province_code in the edition in force
    # on the fact's date); the version 2 model reads them and keeps the version they declared.
    event = parse_event(wire("ProductRated", schema_version=1))
    assert event.schema_version == 1
    assert parse_event(wire("ProductRated")).schema_version == 2


def test_all_topics_has_a_dead_letter_topic_beside_each_consumed_topic() -> None:
    every = set(topics.all_topics())
    for topic in (*topics.CANONICAL, *topics.INGEST):
        assert topic in every
        assert f"{topic}.dlq" in every


def test_a_certificate_issued_without_origin_reads_as_a_councils() -> None:
    issued = parse_event(wire("CertificateIssued", origin=None))
    assert isinstance(issued, CertificateIssued)
    assert issued.origin is CertificateOrigin.COUNCIL


def test_a_declared_prior_certificate_of_five_stars_must_be_central() -> None:
    reason = reason_of(wire("PriorCertificateDeclared", stars=5, score=92))
    assert "central" in reason
