"""How many products of a province hold a valid certificate on a day as known on a day, kept as
a small step function (the national view's `certified` column). Pure.

A product's count f(D, K) — 1 when it holds a certificate valid on day D as known on day K, by
`domain.certificates`' rules — changes only at its own days: in D at an issue, after a
`valid_until`, at an end or a withdrawal; in K at a `known`, `ended_known` or
`withdrawn_known`. So f is a sum of corner steps w(d, k) = f(d, k) − f(d⁻, k) − f(d, k⁻) +
f(d⁻, k⁻) on that grid, and a province's count on D as known on K is the sum of its products'
steps with d ≤ D and k ≤ K. The steps are the rules evaluated on the grid, so they give the
same answers as the certificates themselves, whatever the order the events came in.

Kept per certificate document (bucket) in one document per province (`counts_id`): `b.<bucket>`
is `{"r": <revision>, "z": <steps as one string, compressed>}` (FerretDB's reads cost by the bytes
they decode: the full national set's 34 documents held 0.66 MB of steps as text, a quarter of it
compressed), the steps recomputed from the bucket as it
stands after every write to it, with the revision of the bucket they were computed from. A
recount is never written over a newer revision, so of two recounts of one bucket in flight at
once the newer one stays, whichever finishes last; a redelivery or a write in any order sets the
same value. A count reads 16 short strings per province instead of every certificate.
"""

from __future__ import annotations

import base64
import zlib
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from ocop_reporting.domain.certificates import certified_products
from ocop_reporting.domain.summaries import CertifiedView, Doc, revision

EARLIEST = date.min.isoformat()  # knowledge before any day recorded (a fact without `known`)
NOW = "9999-12-31"  # no cut: everything known
# "<day>+" sorts after <day> and before the next day: the first day after a `valid_until`,
# without date arithmetic (the rules compare days as strings).
AFTER = "+"


def counts_id(current_code: str) -> str:
    return f"certified_counts:{current_code}"


def counts_entry(doc: Doc) -> dict[str, Any]:
    """What a certificate document's counts are: its revision and its products' steps, the
    steps as one compressed string (`compress_steps`)."""
    return {"r": revision(doc), "z": compress_steps(bucket_steps(doc))}


def is_counted(counts: Doc, bucket: str, doc: Doc) -> bool:
    """Whether a province's counts hold this bucket's steps of the document's revision (not
    when missing, or kept in an earlier shape: a database to recount at startup)."""
    entry = counts.get("b", {}).get(bucket)
    return (
        isinstance(entry, Mapping)
        and isinstance(entry.get("z"), str)
        and entry.get("r") == revision(doc)
    )


def province_steps(counts: Doc) -> list[dict[str, int]]:
    """Every bucket's steps in a province's counts document (an entry of an earlier shape is
    skipped: recounted at startup)."""
    entries = counts.get("b", {}).values()
    return [
        decompress_steps(e["z"])
        for e in entries
        if isinstance(e, Mapping) and isinstance(e.get("z"), str)
    ]


def compress_steps(steps: Mapping[str, int]) -> str:
    """`encode_steps` compressed, as text (base64: a string, as every value these documents
    hold)."""
    return base64.b64encode(zlib.compress(encode_steps(steps).encode())).decode()


def decompress_steps(kept: str) -> dict[str, int]:
    return decode_steps(zlib.decompress(base64.b64decode(kept)).decode())


def encode_steps(steps: Mapping[str, int]) -> str:
    """`{"<day>|<known>": n, …}` as `"<day>|<known>:n;…"`: one value to store instead of one
    per step (a store's read costs by the values it decodes; the days hold no `:` or `;`)."""
    return ";".join(f"{key}:{n}" for key, n in steps.items())


def decode_steps(kept: str) -> dict[str, int]:
    found: dict[str, int] = {}
    for item in kept.split(";") if kept else ():
        key, _, n = item.rpartition(":")
        found[key] = int(n)
    return found


def bucket_steps(doc: Doc) -> dict[str, int]:
    """The steps of every product in one certificate document, `"<day>|<known>" → n`."""
    total: Counter[str] = Counter()
    for certificates, withdrawal in CertifiedView([doc]).by_product().values():
        total.update(product_steps(certificates, withdrawal))
    return {key: n for key, n in sorted(total.items()) if n}


def product_steps(certificates: list[Doc], withdrawal: Doc) -> Counter[str]:
    """One product's steps, from its certificate facts and its withdrawal."""
    days = sorted(_day_breaks(certificates, withdrawal))
    knowns = [EARLIEST, *sorted(_known_breaks(certificates, withdrawal)), NOW]
    grid = [[_counted(certificates, withdrawal, d, k) for k in knowns] for d in days]
    steps: Counter[str] = Counter()
    for i, d in enumerate(days):
        for j, k in enumerate(knowns):
            w = grid[i][j] - (grid[i - 1][j] if i else 0) - (grid[i][j - 1] if j else 0)
            w += grid[i - 1][j - 1] if i and j else 0
            if w:
                steps[f"{d}|{k}"] += w
    return steps


def count(steps: Iterable[Mapping[str, int]], day: date, cut: date | None = None) -> int:
    """Products certified on `day` as known on `cut`: the steps at or before both."""
    d, k = day.isoformat(), NOW if cut is None else cut.isoformat()
    found = 0
    for held in steps:
        for key, n in held.items():
            on, known = key.split("|")
            if on <= d and known <= k:
                found += n
    return found


def _counted(certificates: list[Doc], withdrawal: Doc, day: str, known: str) -> int:
    cut = None if known == NOW else date.fromisoformat(known)
    mine = [{**c, "product_id": "p"} for c in certificates]
    return len(certified_products(mine, {"p": withdrawal}, day, cut))


def _day_breaks(certificates: Iterable[Doc], withdrawal: Doc) -> set[str]:
    found: set[str] = set()
    for c in certificates:
        found |= {str(c[name]) for name in ("day", "ended_on") if c.get(name)}
        if c.get("valid_until"):
            found.add(f"{c['valid_until']}{AFTER}")
    if withdrawal.get("withdrawn_on"):
        found.add(str(withdrawal["withdrawn_on"]))
    return found


def _known_breaks(certificates: Iterable[Doc], withdrawal: Doc) -> set[str]:
    found = {str(c[name]) for c in certificates for name in ("known", "ended_known") if c.get(name)}
    if withdrawal.get("withdrawn_known"):
        found.add(str(withdrawal["withdrawn_known"]))
    return found
