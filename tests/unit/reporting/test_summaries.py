"""The per-province, per-year summaries: what a fact adds, and that reading them gives the same
figures as the rules on the facts, however often a fact is applied."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

import pytest

from ocop_contracts import TargetMetric
from ocop_reporting.domain.figures import ProducerMix
from ocop_reporting.domain.summaries import (
    SummaryView,
    Window,
    kind_ids,
    marks_by_document,
    producer_key,
    producer_places,
    producer_writes,
    producers_id,
    rated_counts,
    rated_id,
    rating_marks,
    summary_of,
)

Doc = dict[str, Any]


def _rating(event: str, product: str, day: str, stars: int, before: int, **more: Any) -> Doc:
    return {
        "_id": event,
        "edition": "2025",
        "unit_code": "82",
        "current_code": "82",
        "product_id": product,
        "day": day,
        "stars": stars,
        "previous_stars": before,
        "upgraded": more.get("upgraded", False),
        "score": more.get("score", 60.0),
        "level": more.get("level", "province"),
        "round_id": more.get("round_id"),
    }


def _apply(summaries: dict[str, Doc], fact: Doc) -> None:
    """`$addToSet` of the rating's marks into its summary, as the store does it."""
    doc = summaries.setdefault(summary_of(fact), {"_id": summary_of(fact)})
    for field, value in rating_marks(fact).items():
        group, _, sub = field.partition(".")
        holder = doc.setdefault(group, {}) if sub else doc
        entries = holder.setdefault(sub or group, [])
        if value not in entries:
            entries.append(value)


YEAR_2026 = Window.of(date(2026, 1, 1), date(2026, 12, 31))


def test_a_rating_marks_every_star_threshold_it_crossed() -> None:
    marks = rating_marks(_rating("e1", "p1", "2026-03-01", 4, 2, upgraded=True, score=91.0))
    assert marks == {
        "crossed.3": "2026-03-01 p1",
        "crossed.4": "2026-03-01 p1",
        "upgraded.4": "2026-03-01 p1",
        "proposed": "2026-03-01 p1",
        "rated.4": "e1",
    }


def test_a_round_counts_only_for_a_province_council() -> None:
    district = rating_marks(_rating("e1", "p1", "2026-03-01", 3, 0, level="district", round_id="r"))
    province = rating_marks(_rating("e2", "p1", "2026-03-01", 3, 0, round_id="r"))
    assert "rounds" not in district
    assert province["rounds"] == "2026-03-01 r"


def test_a_redelivered_rating_changes_no_figure() -> None:
    summaries: dict[str, Doc] = {}
    fact = _rating("e1", "p1", "2026-03-01", 3, 0)
    _apply(summaries, fact)
    once = {k: dict(v) for k, v in summaries.items()}
    _apply(summaries, fact)
    assert summaries == once
    view = SummaryView(summaries.values())
    assert view.certified(3, YEAR_2026) == 1


def test_a_product_certified_twice_is_one_product_and_days_outside_the_window_do_not_count() -> (
    None
):
    summaries: dict[str, Doc] = {}
    _apply(summaries, _rating("e1", "p1", "2026-02-01", 3, 0))
    _apply(summaries, _rating("e2", "p1", "2026-09-01", 3, 2))  # lost its star, certified again
    _apply(summaries, _rating("e3", "p2", "2026-11-30", 3, 0))
    view = SummaryView(summaries.values())
    assert view.certified(3, YEAR_2026) == 2
    assert view.certified(3, Window.of(date(2026, 1, 1), date(2026, 10, 1))) == 1  # an as-of day


def _rule(metric: TargetMetric, min_stars: int, ratings: list[Doc], window: Window) -> int:
    """The rules of the queries on the rating facts (repository.derived_actual), by brute force."""
    keys: set[str] = set()
    for r in ratings:
        if r["day"] not in window:
            continue
        stars, before, product = r["stars"], r["previous_stars"], r["product_id"]
        match metric:
            case TargetMetric.CERTIFIED_PRODUCTS:
                hit = stars >= min_stars and before < min_stars
            case TargetMetric.UPGRADED_PRODUCTS:
                hit = r["upgraded"] and stars >= max(min_stars, 4)
            case TargetMetric.NATIONAL_PROPOSALS:
                hit = r["score"] >= 90
            case TargetMetric.FIVE_STAR_PRODUCTS:
                hit = stars == 5 and before < 5
            case _:
                if r["level"] == "province" and r["round_id"]:
                    keys.add(r["round_id"])
                continue
        if hit:
            keys.add(product)
    return len(keys)


@pytest.mark.parametrize(
    "metric",
    [
        TargetMetric.CERTIFIED_PRODUCTS,
        TargetMetric.UPGRADED_PRODUCTS,
        TargetMetric.NATIONAL_PROPOSALS,
        TargetMetric.FIVE_STAR_PRODUCTS,
        TargetMetric.EVALUATION_ROUNDS,
    ],
)
@pytest.mark.parametrize("min_stars", [3, 4, 5])
def test_summaries_give_the_figures_of_the_rules_on_the_facts(
    metric: TargetMetric, min_stars: int
) -> None:
    rng = random.Random(f"{metric}{min_stars}")
    ratings = []
    for i in range(400):
        before = rng.choice([0, 0, 2, 3, 4])
        stars = rng.randint(1, 5)
        day = date(rng.choice([2025, 2026]), rng.randint(1, 12), rng.randint(1, 28))
        ratings.append(
            _rating(
                f"e{i}",
                f"p{rng.randint(0, 150)}",
                day.isoformat(),
                stars,
                before,
                upgraded=stars > before > 0,
                score=rng.choice([60.0, 89.9, 90.0, 95.0]),
                level=rng.choice(["province", "district"]),
                round_id=rng.choice([None, "r1", "r2", "r3"]),
            )
        )
    summaries: dict[str, Doc] = {}
    for fact in ratings + rng.sample(ratings, 100):  # a hundred of them delivered twice
        _apply(summaries, fact)
    view = SummaryView(summaries.values())
    for window in (YEAR_2026, Window.of(date(2025, 3, 1), date(2026, 6, 30))):
        assert view.actual(metric, min_stars, window) == _rule(metric, min_stars, ratings, window)


def test_producers_are_counted_once_by_their_latest_state() -> None:
    summary = {
        "producers": {
            "a": {"id": "a", "v": 2, "day": "2026-01-05", "legal_form": "cooperative",
                  "women_led": True, "ethnic_minority_led": False},
            "b": {"id": "b", "v": 1, "day": "2026-08-05", "legal_form": "household",
                  "women_led": False, "ethnic_minority_led": True},
        }
    }  # fmt: skip
    view = SummaryView([summary])
    assert view.new_producers(YEAR_2026) == 2
    assert view.producer_mix(Window.of(None, date(2026, 6, 30))) == ProducerMix(
        total=1, by_legal_form={"cooperative": 1}, women_led=1, ethnic_minority_led=0
    )


def test_any_id_becomes_a_field_name_without_dots_or_dollars() -> None:
    keys = {producer_key(i) for i in ("a.b", "a%2Eb", "$x", "plain")}
    assert len(keys) == 4
    assert not any("." in k or k.startswith("$") for k in keys)


def _producer(key: str, version: int, form: str) -> Doc:
    return {"id": key, "v": version, "day": "2026-01-05", "legal_form": form,
            "women_led": False, "ethnic_minority_led": False}  # fmt: skip


def test_a_ratings_id_goes_beside_its_marks_and_the_rest_in_them() -> None:
    marks = rating_marks(_rating("e1", "p1", "2026-03-01", 3, 0, round_id="r"))
    by_doc = marks_by_document("2025:82:2026", marks)
    assert by_doc == {
        "2025:82:2026": {"crossed.3": "2026-03-01 p1", "rounds": "2026-03-01 r"},
        "rated:2025:82:2026": {"rated.3": "e1"},
    }
    assert rated_id("2025:82:2026") == "rated:2025:82:2026"
    assert producers_id("2025:82:2026") == "producers:2025:82:2026"


def test_the_marks_document_is_read_with_every_kind() -> None:
    assert kind_ids("2025:82:2026") == ["2025:82:2026"]  # the national view: marks only
    both = kind_ids("2025:82:2026", rated=True, producers=True)
    assert both == ["2025:82:2026", "rated:2025:82:2026", "producers:2025:82:2026"]


def test_a_rating_in_the_old_combined_document_and_the_rated_one_counts_once() -> None:
    combined = {"_id": "2025:82:2026", "rated": {"3": ["e1", "e2"]}, "crossed": {"3": []}}
    split = {"_id": "rated:2025:82:2026", "rated": {"3": ["e2", "e3"], "4": ["e4"]}}
    assert rated_counts([combined, split]) == {3: 3, 4: 1}


@pytest.mark.parametrize("newest_first", [True, False])
def test_a_producer_in_two_documents_counts_once_by_its_newest_version(newest_first: bool) -> None:
    combined = {"_id": "2025:82:2026", "producers": {"a": _producer("a", 1, "household")}}
    split = {"_id": "producers:2025:82:2026", "producers": {"a": _producer("a", 2, "cooperative")}}
    docs = [split, combined] if newest_first else [combined, split]
    view = SummaryView(docs)
    assert view.new_producers(YEAR_2026) == 1
    assert view.producer_mix(YEAR_2026).by_legal_form == {"cooperative": 1}


def _producer_fact(key: str, version: int, day: str = "2026-02-01") -> Doc:
    return {"_id": key, "version": version, "day": day, "legal_form": "cooperative",
            "edition": "2025", "unit_code": "82", "current_code": "82"}  # fmt: skip


def test_a_producer_goes_whole_to_its_producers_document_and_by_day_to_its_marks() -> None:
    state, joined = producer_writes(_producer_fact("e.1", 3))
    assert (state.doc, state.field, state.guard) == (
        "producers:2025:82:2026",
        "producers.e%2E1",
        "producers.e%2E1.v",
    )
    assert state.value["v"] == state.version == 3
    assert (joined.doc, joined.field, joined.guard) == (
        "2025:82:2026",
        "joined.2026-02-01.e%2E1",
        "joined.2026-02-01.e%2E1",
    )
    assert joined.value == joined.version == 3
    # Leaving a unit: out of both, and of the marks document that held it before the split.
    assert ("2025:82:2026", "producers.e%2E1", "producers.e%2E1.v") in producer_places(
        _producer_fact("e.1", 3)
    )


def test_new_producers_count_the_joined_marks_and_the_states_of_before_once_each() -> None:
    combined = {"producers": {"a": _producer("a", 1, "household"), "b": _producer("b", 1, "x")}}
    marks = {"joined": {"2026-01-05": {"a": 2, "c": 1}, "2025-12-30": {"d": 1}}}
    view = SummaryView([combined, marks])
    assert view.new_producers(YEAR_2026) == 3  # a, b, c
    assert view.new_producers(Window.of(date(2025, 1, 1), date(2025, 12, 31))) == 1  # d
