"""The certificates kept in each province's summary documents: applied in any order and any number
of times, they give the products certified on any day, as known on any day, that the facts give —
in one document or spread over the province's buckets by product; and the certified counts
recomputed from the buckets, each of its bucket's revision, give the same figures."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from ocop_reporting.domain.certificates import certified_products
from ocop_reporting.domain.certified_counts import (
    bucket_steps,
    compress_steps,
    count,
    counts_entry,
    decode_steps,
    decompress_steps,
    encode_steps,
    is_counted,
    product_steps,
    province_steps,
)
from ocop_reporting.domain.summaries import (
    CERTIFIED_BUCKETS,
    CertifiedView,
    SummaryView,
    Window,
    certificate_end,
    certificate_issue,
    certified_id,
    certified_ids,
    is_marks_id,
    is_packed,
    pack,
    rated_counts,
    rating_marks,
    unpack,
    withdrawal_entry,
    withdrawal_field,
)

Doc = dict[str, Any]


def _set(doc: Doc, fields: Doc) -> None:
    """`$set` of dotted fields, as the store applies it (ids are escaped: no dot inside)."""
    for path, value in fields.items():
        *parents, leaf = path.split(".")
        holder = doc
        for name in parents:
            holder = holder.setdefault(name, {})
        holder[leaf] = value


def _withdraw(doc: Doc, product: str, fact: Doc, version: int) -> None:
    """The version-guarded `$set` of a withdrawal."""
    _, key = withdrawal_field(product).split(".", 1)
    held = doc.get("w", {}).get(key)
    if held is None or held["v"] <= version:
        _set(doc, {withdrawal_field(product): withdrawal_entry(product, fact, version)})


def _day(rng: random.Random) -> str:
    return (date(2021, 1, 1) + timedelta(days=rng.randint(0, 5 * 365))).isoformat()


def _history(rng: random.Random) -> tuple[list[Doc], dict[str, Doc], list[tuple[str, Any]]]:
    """Certificate facts, product facts and the events (as summary writes) that made them."""
    facts: dict[str, Doc] = {}
    products: dict[str, Doc] = {}
    writes: list[tuple[str, Any]] = []
    for i in range(300):
        cid, product = f"c.{i}", f"p${rng.randint(0, 120)}"  # ids with '.' and '$'
        issued = _day(rng)
        issue = {"product_id": product, "stars": rng.randint(3, 5), "day": issued}
        issue |= {"valid_until": f"{int(issued[:4]) + 3}{issued[4:]}", "known": _day(rng)}
        facts[cid] = {"_id": cid, **issue}
        writes.append(("issue", (cid, issue)))
        if rng.random() < 0.4:
            end = {"product_id": product, "ended_on": _day(rng), "ended_known": _day(rng)}
            end["ended_reason"] = rng.choice(["expired", "revoked"])
            facts[cid] |= end
            writes.append(("end", (cid, end)))
    for product in rng.sample(sorted({f["product_id"] for f in facts.values()}), 20):
        withdrawal = {"withdrawn_on": _day(rng), "withdrawn_known": _day(rng)}
        products[product] = withdrawal
        writes.append(("withdraw", (product, withdrawal)))
    return list(facts.values()), products, writes


def _apply(doc: Doc, write: tuple[str, Any], version: int = 2) -> None:
    kind, (key, fact) = write
    if kind == "issue":
        _set(doc, certificate_issue(key, fact))
    elif kind == "end":
        _set(doc, certificate_end(key, fact))
    else:
        _withdraw(doc, key, fact, version)


def _product(write: tuple[str, Any]) -> str:
    """The product a summary write is about (what picks its document)."""
    kind, (key, fact) = write
    return str(key) if kind == "withdraw" else str(fact["product_id"])


def _deliveries(rng: random.Random, writes: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """Delivered out of order (an end before its issue), a hundred of them twice."""
    deliveries = writes + rng.sample(writes, 100)
    rng.shuffle(deliveries)
    return deliveries


def _check(rng: random.Random, view: CertifiedView, certificates: list[Doc], products: Doc) -> None:
    for _ in range(60):
        day = date.fromisoformat(_day(rng))
        cut = rng.choice([None, date.fromisoformat(_day(rng))])
        expected = certified_products(certificates, products, day.isoformat(), cut)
        assert view.certified(day, cut) == len(expected)


def test_the_summary_gives_the_certified_products_of_the_facts_on_any_day_as_known_on_any() -> None:
    rng = random.Random(9)
    certificates, products, writes = _history(rng)
    doc: Doc = {}
    for write in _deliveries(rng, writes):
        _apply(doc, write)
    _check(rng, CertifiedView([doc]), certificates, products)


def test_the_province_s_buckets_give_the_same_as_one_document_each_write_touching_one() -> None:
    rng = random.Random(9)
    certificates, products, writes = _history(rng)
    docs: dict[str, Doc] = {}
    for write in _deliveries(rng, writes):
        _apply(docs.setdefault(certified_id("19", _product(write)), {}), write)
    assert set(docs) <= set(certified_ids("19"))
    # Spread: 120 products fill every bucket, none holds more than a fraction of them.
    assert len(docs) == CERTIFIED_BUCKETS
    assert max(len(d.get("c", {})) for d in docs.values()) < len(certificates) / 4
    _check(rng, CertifiedView(docs.values()), certificates, products)


def test_a_database_written_before_the_split_reads_right_with_the_buckets_beside_it() -> None:
    rng = random.Random(11)
    certificates, products, writes = _history(rng)
    deliveries = _deliveries(rng, writes)
    half = len(deliveries) // 2
    # The first half went into the one document of old, the rest into the buckets: an end may
    # sit in a bucket with its issue in the old document, and a withdrawal moved by a later
    # version of the product (another day) in a bucket beside its older one.
    single: Doc = {}
    for write in deliveries[:half]:
        _apply(single, write, version=2)
    docs: dict[str, Doc] = {certified_ids("19")[0]: single}
    latest = dict(products)
    for kind, (key, fact) in deliveries[half:]:
        if kind == "withdraw":
            fact = {"withdrawn_on": _day(rng), "withdrawn_known": _day(rng)}
            latest[key] = fact
        _apply(
            docs.setdefault(certified_id("19", _product((kind, (key, fact)))), {}),
            (kind, (key, fact)),
            version=3,
        )
    _check(rng, CertifiedView(docs.values()), certificates, latest)


def test_an_expired_or_revoked_certificate_leaves_the_count_and_a_redelivery_adds_nothing() -> None:
    doc: Doc = {}
    issue = {"product_id": "p1", "stars": 4, "day": "2026-01-10", "valid_until": "2029-01-10"}
    for _ in range(2):  # CertificateIssued delivered twice
        _set(doc, certificate_issue("c1", issue | {"known": "2026-01-10"}))
    assert CertifiedView([doc]).certified(date(2026, 3, 1)) == 1

    end = {"product_id": "p1", "ended_on": "2026-04-01", "ended_known": "2026-04-02"}
    _set(doc, certificate_end("c1", end | {"ended_reason": "revoked"}))

    view = CertifiedView([doc])
    assert view.certified(date(2026, 3, 31)) == 1
    assert view.certified(date(2026, 4, 1)) == 0
    assert view.certified(date(2026, 4, 1), cut=date(2026, 4, 1)) == 1  # not known yet


def test_an_older_withdrawal_never_overwrites_a_newer_one() -> None:
    doc: Doc = {}
    _withdraw(doc, "p1", {"withdrawn_on": "2026-05-01", "withdrawn_known": "2026-05-01"}, 4)
    _withdraw(doc, "p1", {"withdrawn_on": "2026-02-01", "withdrawn_known": "2026-02-01"}, 3)
    assert doc["w"]["p1"]["on"] == "2026-05-01"


def test_a_redelivered_rating_is_counted_once() -> None:
    summary: Doc = {}
    rating = {
        "_id": "e1", "product_id": "p1", "day": "2026-03-01", "stars": 4, "previous_stars": 0,
        "score": 70.0, "level": "province", "round_id": None,
    }  # fmt: skip
    for _ in range(2):
        for field, value in rating_marks(rating).items():
            group, _, sub = field.partition(".")
            entries = summary.setdefault(group, {}).setdefault(sub, []) if sub else []
            if sub and value not in entries:
                entries.append(value)
    assert rated_counts([summary]) == {4: 1}


def test_the_certified_counts_give_the_certificate_documents_figures_on_any_day() -> None:
    for seed in (9, 10, 11):
        rng = random.Random(seed)
        certificates, products, writes = _history(rng)
        docs: dict[str, Doc] = {}
        counts: dict[str, dict[str, int]] = {}
        for write in _deliveries(rng, writes):
            summary = certified_id("19", _product(write))
            _apply(docs.setdefault(summary, {}), write)
            # Recomputed after every write, kept as one string.
            counts[summary] = decompress_steps(counts_entry(docs[summary])["z"])
        view = CertifiedView(docs.values())
        # A few hundred integers per province, not every certificate's fields.
        assert sum(len(steps) for steps in counts.values()) < 3 * len(certificates)
        for _ in range(200):
            day = date.fromisoformat(_day(rng))
            cut = rng.choice([None, date.fromisoformat(_day(rng))])
            assert count(counts.values(), day, cut) == view.certified(day, cut)
        _check(rng, view, certificates, products)


def test_a_product_s_steps_follow_its_issue_end_and_withdrawal() -> None:
    issue = {"day": "2026-01-10", "valid_until": "2029-01-09", "known": "2026-01-12", "stars": 4}
    end = {"ended_on": "2026-04-01", "ended_known": "2026-04-02"}
    withdrawal = {"withdrawn_on": "2026-03-01", "withdrawn_known": "2026-03-05"}
    steps = [product_steps([{"_id": "c1", **issue, **end}], withdrawal)]
    assert count(steps, date(2026, 1, 10)) == 1
    assert count(steps, date(2026, 1, 10), cut=date(2026, 1, 11)) == 0  # not known yet
    assert count(steps, date(2026, 3, 1)) == 0  # withdrawn
    assert count(steps, date(2026, 3, 1), cut=date(2026, 3, 4)) == 1  # withdrawal not known
    assert count(steps, date(2026, 4, 1), cut=date(2026, 3, 4)) == 1  # nor the revocation
    assert count(steps, date(2026, 4, 1), cut=date(2026, 4, 2)) == 0
    assert count(steps, date(2029, 1, 10), cut=date(2026, 1, 20)) == 0  # lapsed


def test_a_bucket_s_counts_are_of_its_revision_and_older_shapes_are_recounted() -> None:
    issue = {"product_id": "p1", "stars": 4, "day": "2026-01-10", "valid_until": "2029-01-09"}
    doc: dict[str, Any] = {"_id": "certified:19:03", "rev": 3}
    _apply(doc, ("issue", ("c1", issue)))
    steps = bucket_steps(doc)
    entry = counts_entry(doc)
    assert entry == {"r": 3, "z": compress_steps(steps)}
    counts = {"b": {"03": entry}}
    assert is_counted(counts, "03", doc)
    assert not is_counted(counts, "03", doc | {"rev": 4})  # written since
    assert not is_counted(counts, "04", doc)  # never counted
    assert not is_counted({"b": {"03": steps}}, "03", doc)  # kept before revisions
    assert not is_counted({"b": {"03": {"r": 3, "s": steps}}}, "03", doc)  # steps as fields
    as_text = {"r": 3, "s": encode_steps(steps)}
    assert not is_counted({"b": {"03": as_text}}, "03", doc)  # one string, not compressed
    assert not is_counted(counts, "03", {k: v for k, v in doc.items() if k != "rev"})
    older = {"04": steps, "05": {"r": 1, "s": steps}, "06": as_text}
    assert province_steps({"b": {"03": entry, **older}}) == [steps]
    assert count(province_steps(counts), date(2026, 2, 1)) == 1


def test_steps_kept_as_one_string_read_back_the_same() -> None:
    steps = {"2026-01-10|0001-01-01": 1, "2029-01-09+|2026-01-12": -2, "2026-03-01|9999-12-31": 3}
    assert decode_steps(encode_steps(steps)) == steps
    assert decode_steps(encode_steps({})) == {}
    assert decompress_steps(compress_steps(steps)) == steps
    assert decompress_steps(compress_steps({})) == {}


def test_a_marks_document_packs_to_the_same_value_whatever_order_its_marks_came_in() -> None:
    marks = ["2026-03-01 p1", "2026-04-01 p2", "2026-05-01 p3"]
    doc: dict[str, Any] = {
        "_id": "2025:82:2026",
        "rev": 4,
        "crossed": {"3": marks, "4": marks[1:]},
        "rounds": ["2026-03-01 r1"],
        "joined": {"2026-02-01": {"e1": 2}},
        "edition": "2025",
        # A database written before the split: rating ids and producers' states here too.
        "rated": {"3": ["ev1"]},
        "producers": {"e0": {"id": "e0", "v": 1, "day": "2026-01-05", "legal_form": "coop"}},
    }
    packed = pack(doc)
    assert packed["r"] == 4
    shuffled = doc | {"crossed": {"4": marks[:0:-1], "3": marks[::-1]}}
    assert pack(shuffled) == packed
    assert unpack(packed) == {
        "crossed": {"3": marks, "4": marks[1:]},
        "rounds": ["2026-03-01 r1"],
        "joined": {"2026-02-01": {"e1": 2}},
        "rated": {"3": ["ev1"]},
        "producers": {"e0": {"id": "e0", "v": 1, "day": "2026-01-05"}},
    }
    assert pack(doc | {"proposed": ["2026-03-01 p1"]}) != packed
    assert is_packed(packed, doc)
    assert not is_packed(packed, doc | {"rev": 5})  # written since
    assert not is_packed(None, doc)
    # What a report reads is the same from the packed copy as from the document.
    year = Window.of(date(2026, 1, 1), date(2026, 12, 31))
    for view in (SummaryView([doc]), SummaryView([unpack(packed)])):
        assert view.certified(3, year) == 3
        assert view.certified(4, year) == 2
        assert view.rounds(year) == 1
        assert view.new_producers(year) == 2


def test_only_unit_years_marks_documents_are_packed() -> None:
    assert is_marks_id("2025:82:2026")
    assert is_marks_id("2008:87:2022")
    for other in ("rated:2025:82:2026", "producers:2025:82:2026", "certified:82:03"):
        assert not is_marks_id(other)
    assert not is_marks_id("certified_counts:82")
    assert not is_marks_id("old_unit_unknown:82")
