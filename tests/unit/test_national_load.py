"""The national benchmark's plan (ocop_devstack.national_load): what it sends is what the
services accept, in the order they need it, and its figures are computed right."""

from __future__ import annotations

import csv
import io
import math
import re
from datetime import UTC, date, datetime, timedelta
from functools import cache

import pytest

from ocop_contracts import RatingLevel
from ocop_devstack import national_load as plan
from ocop_devstack.national import NationalDataSet, Product, Rating, generate
from ocop_evaluation.domain.rules import rule_set_in_force
from ocop_evaluation.service_layer.commands import ImportCertificate, RecordRating
from ocop_registry.domain.commands import RegisterEntity
from ocop_registry.domain.idempotency import HEADER, KEY_PATTERN, MAX_KEY_LENGTH
from ocop_registry.service_layer.imports import Checked, check_row


@cache
def small() -> NationalDataSet:
    return generate(scale=0.05)


def test_every_import_row_passes_the_registry_s_row_checks() -> None:
    for province, products in plan.by_province(small().products).items():
        rows = list(csv.DictReader(io.StringIO(plan.import_csv(products).decode())))
        assert len(rows) == len(products)
        for number, (row, product) in enumerate(zip(rows, products, strict=True), start=2):
            checked = check_row(row, number, province)
            assert isinstance(checked, Checked), row
            # The producer's old address, from which the registry derives the legacy unit.
            address = checked.row.legacy_address()
            assert address is not None
            assert address.province_code == product.producer.legacy_province_code


def test_producers_without_products_are_registered_one_by_one() -> None:
    data = small()
    orphans = plan.producers_without_products(data)
    owners = {p.producer.entity_id for p in data.products}
    assert orphans and all(o.entity_id not in owners for o in orphans)
    assert len(orphans) + len(owners) == len(data.producers)
    for orphan in orphans:
        entity = RegisterEntity.model_validate(plan.entity_body(orphan))
        assert entity.legacy_address is not None
        assert entity.legacy_address.province_code == orphan.legacy_province_code


def test_each_producer_s_registration_has_its_own_idempotency_key_on_every_attempt() -> None:
    orphans = plan.producers_without_products(small())
    keys = [plan.entity_headers(orphan)[HEADER] for orphan in orphans]
    again = [plan.entity_headers(orphan)[HEADER] for orphan in generate(scale=0.05).producers]
    assert len(set(keys)) == len(orphans)  # never another producer's
    assert set(keys) <= set(again)  # the same data set, the same keys: a retry repeats them
    assert all(re.fullmatch(KEY_PATTERN, key) and len(key) <= MAX_KEY_LENGTH for key in keys)


def test_what_the_ingest_refuses_goes_through_the_api() -> None:
    assert plan.route(Rating(date(2024, 3, 1), 5, 95.0)) is plan.Route.CENTRAL
    assert plan.route(Rating(date(2024, 3, 1), 4, 92.5)) is plan.Route.PROVINCE
    assert plan.route(Rating(date(2024, 3, 1), 4, 89.5)) is plan.Route.INGEST
    assert plan.route(Rating(date(2024, 3, 1), 2, 40.0)) is plan.Route.INGEST


def test_ingested_ratings_pass_evaluation_s_checks_and_the_rest_are_valid_requests() -> None:
    for steps in plan.rounds(small()):
        for step in steps:
            if step.route is plan.Route.INGEST:  # what evaluation's ingest checks
                rating = plan.ingest_rating(step, "prd-1")
                rules = rule_set_in_force(rating.rated_on)
                assert rating.level is RatingLevel.PROVINCE and rating.stars < 5
                assert rating.stars <= rules.stars_at_level(rating.score, rating.level)
                assert rating.rule_set_id == rules.rule_set_id
            else:
                RecordRating.model_validate(plan.rating_body(step, "prd-1"))
            if step.certified:
                ImportCertificate.model_validate(plan.certificate_body(step, "prd-1"))


def test_renewals_come_in_a_round_after_every_first_rating() -> None:
    data = small()
    first, renewals = plan.rounds(data)
    assert [s.product for s in first] == list(data.products)
    assert {s.round for s in renewals} == {1}
    assert all(s.rating is s.product.ratings[1] for s in renewals)
    numbers = {plan.certificate_body(s, "x")["certificate_id"] for s in first + renewals}
    assert len(numbers) == len(first) + len(renewals)  # one certificate number per rating


def _product(*ratings: Rating) -> Product:
    producer = small().producers[0]
    return Product("nat-prd-00001", producer, "I.1.a", "Sản phẩm", ratings, None, date(2024, 5, 1))


def test_only_products_whose_certificate_is_still_valid_are_listed() -> None:
    day = plan.BENCH_DAY
    assert not plan.certificate_valid_on(_product(Rating(date(2021, 3, 1), 3, 60.0)), day)
    assert plan.certificate_valid_on(_product(Rating(date(2023, 3, 1), 4, 75.0)), day)
    assert not plan.certificate_valid_on(_product(Rating(date(2024, 3, 1), 2, 40.0)), day)
    renewed = _product(Rating(date(2021, 3, 1), 3, 60.0), Rating(date(2024, 1, 30), 3, 61.0))
    assert plan.certificate_valid_on(renewed, day)
    listed = plan.listings(small())
    assert listed and all(p.placed_on and plan.certificate_valid_on(p, day) for p in listed)


def test_percentiles_are_nearest_rank() -> None:
    samples = [float(n) for n in range(200, 0, -1)]
    assert plan.percentile(samples, 99) == 198.0
    assert plan.percentile(samples, 50) == 100.0
    assert plan.percentile([7.0], 99) == 7.0
    assert math.isnan(plan.percentile([], 50))


def test_the_kth_event_sent_is_counted_at_the_first_poll_that_reached_k() -> None:
    sent = [0.0, 1.0, 2.0, 3.0]
    polls = [(0.5, 0), (1.5, 2), (2.2, 2), (3.0, 3)]
    assert plan.count_latencies(sent, polls) == [1.5, 0.5, 1.0]  # the fourth never counted


def test_a_pinned_clock_s_whole_days_are_taken_off_a_delay() -> None:
    sent = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    assert plan.delay_seconds(sent, sent + timedelta(milliseconds=250)) == 0.25
    pinned = sent - timedelta(days=335) + timedelta(seconds=1.5)
    assert plan.delay_seconds(sent, pinned) == pytest.approx(1.5)


def test_targets_say_whether_they_are_met() -> None:
    assert plan.Target("p99", 99.0, 100, "ms", "<").met
    assert not plan.Target("p99", 100.0, 100, "ms", "<").met
    assert plan.Target("rebuild", 2.0, 2, "×", "≤").met
    assert not plan.Target("pipeline", 0.49, 0.5, "×", "≥").met
    assert not plan.Target("p99", math.nan, 100, "ms", "<").met
    assert plan.Target("rss", 512.0, 400, "MB", "<").line().endswith("NOT met")


def test_peak_rss_is_read_from_proc_status() -> None:
    status = "Name:\tpython\nVmPeak:\t 900000 kB\nVmHWM:\t  123456 kB\nVmRSS:\t 100000 kB\n"
    assert plan.status_kib(status, "VmHWM") == 123456
    with pytest.raises(KeyError):
        plan.status_kib(status, "VmSwap")
