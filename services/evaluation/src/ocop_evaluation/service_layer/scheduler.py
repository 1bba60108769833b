"""The certificate scheduler: CertificateRenewalDue when a renewal window opens and
CertificateExpired when a certificate runs out, each exactly once (the certificate's flag and the
event are one guarded write of the product).

It reads the products due from the due index (``adapters/due.py``), so a pass costs the products
due, not the products stored, and works in bounded batches: an administrator's run answers within
the request deadline and says whether more is due; the background task runs batches until none
is left.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from ocop_evaluation.adapters.stores import Stores
from ocop_evaluation.domain.products import Product
from ocop_platform.aggregates import ConcurrencyConflict

# Products looked at per batch: each costs a read and three writes (about 30 ms on FerretDB on a
# busy two-core machine), so a batch stays well within the 5 s request deadline.
BATCH = 50
# Batches of one background pass at most, so a pass ends even if products keep being kept back.
MOST_BATCHES = 1_000
DAYS_PER_READ = 366
IN_READ = 500  # ids per `_id` $in read (deploy/native/ferretdb/patches/0003)
Outcome = Literal["renewal_due", "expired", "not_due", "kept"]


@dataclass(frozen=True)
class SchedulerBatch:
    renewal_due: int = 0
    expired: int = 0
    looked_at: int = 0
    more: bool = False  # products due today were left for the next batch

    def counts(self) -> dict[str, int]:
        return {"renewal_due": self.renewal_due, "expired": self.expired}


async def scheduler_batch(stores: Stores, today: date, limit: int = BATCH) -> SchedulerBatch:
    """Up to ``limit`` due products, oldest day first. ``more`` only when the batch was cut
    short and got somewhere: a batch of nothing but products kept back (their registry facts not
    here yet, or saved meanwhile) would find them again, so a pass ends there and the next one
    (or the next call) tries them again."""
    counts = {"renewal_due": 0, "expired": 0}
    looked, progressed = 0, False
    for day in await stores.due.days_through(today, DAYS_PER_READ):
        due = await stores.due.products_on(day)
        cut = looked + len(due) > limit
        due = due[: limit - looked]
        outcomes = await _announce_all(stores, due, today)
        await _done(stores, day, outcomes)
        _count(counts, outcomes)
        looked += len(due)
        progressed = progressed or any(outcome != "kept" for outcome in outcomes.values())
        if cut:
            return SchedulerBatch(**counts, looked_at=looked, more=progressed)
    return SchedulerBatch(**counts, looked_at=looked, more=False)


async def run_scheduler(stores: Stores, today: date, limit: int = BATCH) -> dict[str, int]:
    """A whole pass: batches until nothing due today is left."""
    counts = {"renewal_due": 0, "expired": 0}
    for _ in range(MOST_BATCHES):
        batch = await scheduler_batch(stores, today, limit)
        counts["renewal_due"] += batch.renewal_due
        counts["expired"] += batch.expired
        if not batch.more:
            break
    return counts


async def _announce_all(stores: Stores, product_ids: list[str], today: date) -> dict[str, Outcome]:
    # Reads by `_id` $in (FerretDB answers up to IN_READ ids from its `_id` index too).
    found: dict[str, Product] = {}
    for start in range(0, len(product_ids), IN_READ):
        ids = product_ids[start : start + IN_READ]
        found.update(
            (p.id, p) for p in await stores.products.find({"_id": {"$in": ids}}, limit=len(ids))
        )
    return {p: await _announce(stores, found.get(p), today) for p in product_ids}


async def _announce(stores: Stores, product: Product | None, today: date) -> Outcome:
    if product is None:
        return "not_due"
    facts = await stores.registered.get(product.id)
    if facts is None:
        return "kept"  # announced once the registry's facts arrive
    announced = product.announce_due(facts, today)
    if announced is None:
        return "not_due"  # renewed, revoked or moved on: its own day's bucket holds it
    try:
        await stores.products.save(product)
    except ConcurrencyConflict:
        return "kept"  # changed meanwhile: the next pass looks at it again
    return announced


async def _done(stores: Stores, day: date, outcomes: dict[str, Outcome]) -> None:
    """Off the day's bucket: those announced (their next day was written with them) and those
    not due on it. Those kept back stay (taken off and put back, a crash between could lose
    them)."""
    await stores.due.done(day, [p for p, outcome in outcomes.items() if outcome != "kept"])


def _count(counts: dict[str, int], outcomes: dict[str, Outcome]) -> None:
    for outcome in outcomes.values():
        if outcome in counts:
            counts[outcome] += 1
