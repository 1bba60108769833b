"""Per-province, per-year summaries of the facts: what the dashboards ask, kept as documents
addressed by `_id`. Pure: what a fact adds to its summary, and how a report reads summaries.

Each unit a fact was recorded in and year of its day has up to three summary documents, one per
kind, so that a report reads only the kinds its figures need (FerretDB decodes a whole document
on every read, whatever the projection):
- its marks, `_id = "<edition>:<unit>:<year>"` (`2008:87:2022`, `2025:82:2026`): the national
  view and every whole-province target (new producers' too, by their `joined` marks) read these
  alone;
- its rating ids, `rated:<edition>:<unit>:<year>` (the overview's and monitoring's counts);
- its producers, `producers:<edition>:<unit>:<year>` (the producer mix).
A database written before the split holds all three kinds in the marks document: readers of
rating ids or producers read the marks document too and take the union (`SummaryView`,
`rated_counts`; new producers are counted from its producers' states, which it holds instead of
`joined` marks), so such a database needs no migration (a rebuild writes the split layout).
A current province's figures are the union of its own summaries and those of the old provinces
merged into it, exactly as its facts are.

Every figure is a set, never a counter, so applying a fact twice changes nothing:
- product and round marks are strings `"<day> <id>"` added with `$addToSet` (`crossed.<k>`: a
  rating that took the product from below k stars to k or more; `upgraded.<s>`: an upgrade to s
  stars; `proposed`: ≥90 points or proposed for 5★; `rounds`: a province council's round);
- `producers.<key>` is the producer's latest state, written only by a version not older (of a
  producer in two documents, the newer version counts), in the producers document; beside it,
  `joined.<day>.<key>` in the marks document holds the producer's version alone under the day
  it was recorded (which its later versions keep): what a count of new producers needs, one
  value per producer instead of its whole state, so new producers' targets read the marks only;
- `rated.<stars>` holds the ids of the rating events (how many ratings a unit received).
The day inside each mark keeps periods and as-of days exact; a report de-duplicates by id.

Beside them, CERTIFIED_BUCKETS documents per current province hold what its certificates are
(`certified:<cc>:<bucket>`, `CertifiedView`), a product's certificates and withdrawal in the
bucket of its id: each certificate's fields as its facts hold them, keyed by certificate id and
`$set` (issue `c.<id>` and end `e.<id>` apart, in whichever order they come), and each withdrawn
product's withdrawal guarded by its version. Every event of a certificate names its product, so
issue and end land in one document whatever their order; and a write rewrites a sixteenth of
the province, not all of it (FerretDB decodes and re-encodes the whole document on each write).
Applying an event again sets the same values, and the products certified on any day, as known on
any day, follow from the same rules as from the facts. Every write to a certificate document also
increments its revision (`rev`): the national view's counts (domain.certified_counts) are kept
per document with the revision they were recounted from.
"""

from __future__ import annotations

import base64
import json
import zlib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from ocop_contracts import TargetMetric
from ocop_reporting.domain.certificates import certified_products
from ocop_reporting.domain.figures import ProducerMix

Doc = Mapping[str, Any]

# Metrics a summary answers, for a target of a whole province (no commune or district).
SUMMARY_METRICS = frozenset(
    {
        TargetMetric.CERTIFIED_PRODUCTS,
        TargetMetric.UPGRADED_PRODUCTS,
        TargetMetric.NATIONAL_PROPOSALS,
        TargetMetric.FIVE_STAR_PRODUCTS,
        TargetMetric.EVALUATION_ROUNDS,
        TargetMetric.NEW_PRODUCERS,
    }
)
PROPOSAL_SCORE = 90.0
MIN_STARS = 3  # OCOP certifies from 3 stars; a target's min_stars is 3 to 5
_DAY = len("2026-01-31")


def summary_id(edition: str, unit_code: str, year: int) -> str:
    return f"{edition}:{unit_code}:{year}"


def summary_of(fact: Doc) -> str:
    """The marks summary a fact (as stored, with its unit fields and ISO `day`) belongs to."""
    return summary_id(fact["edition"], fact["unit_code"], int(fact["day"][:4]))


RATED_PREFIX = "rated:"
PRODUCERS_PREFIX = "producers:"


def rated_id(summary: str) -> str:
    """The document of the rating ids beside a unit-year's marks document `summary`."""
    return f"{RATED_PREFIX}{summary}"


def producers_id(summary: str) -> str:
    """The document of the producers beside a unit-year's marks document `summary`."""
    return f"{PRODUCERS_PREFIX}{summary}"


def kind_ids(summary: str, *, rated: bool = False, producers: bool = False) -> list[str]:
    """The documents to read for a unit-year: its marks (which a database written before the
    split holds every kind in), and its rating ids or producers when asked."""
    ids = [summary]
    if rated:
        ids.append(rated_id(summary))
    if producers:
        ids.append(producers_id(summary))
    return ids


def marks_by_document(summary: str, marks: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """A fact's marks (`rating_marks`, `proposal_marks`) by the document each goes to: the rating
    ids beside the marks summary, the rest in it."""
    found: dict[str, dict[str, str]] = {}
    for name, value in marks.items():
        doc = rated_id(summary) if name.startswith("rated.") else summary
        found.setdefault(doc, {})[name] = value
    return found


def unit_fields(fact: Doc) -> dict[str, Any]:
    """The fields a summary is found by (besides its `_id`)."""
    return {
        "edition": fact["edition"],
        "unit_code": fact["unit_code"],
        "current_code": fact["current_code"],
        "year": int(fact["day"][:4]),
    }


def mark(day: str, key: str) -> str:
    return f"{day} {key}"


def _split(entry: str) -> tuple[str, str]:
    return entry[:_DAY], entry[_DAY + 1 :]


def rating_marks(fact: Doc) -> dict[str, str]:
    """What one rating fact adds to its summary (`$addToSet`, one value per field)."""
    day, product = fact["day"], str(fact["product_id"])
    stars, before = int(fact["stars"]), int(fact["previous_stars"])
    marks: dict[str, str] = {}
    # Targets count from 3 stars up (the contract's min_stars): lower thresholds are not kept.
    for threshold in range(max(before + 1, MIN_STARS), stars + 1):
        marks[f"crossed.{threshold}"] = mark(day, product)
    if fact.get("upgraded"):
        marks[f"upgraded.{stars}"] = mark(day, product)
    if float(fact["score"]) >= PROPOSAL_SCORE:
        marks["proposed"] = mark(day, product)
    if fact.get("level") == "province" and fact.get("round_id"):
        marks["rounds"] = mark(day, str(fact["round_id"]))
    marks[f"rated.{stars}"] = str(fact["_id"])  # the rating event: counted once however resent
    return marks


def proposal_marks(fact: Doc) -> dict[str, str]:
    return {"proposed": mark(fact["day"], str(fact["product_id"]))}


def producer_key(entity_id: str) -> str:
    """A field name for any id: ids come from other systems and may hold '.' or '$'."""
    return entity_id.replace("%", "%25").replace(".", "%2E").replace("$", "%24")


def producer_entry(fact: Doc) -> dict[str, Any]:
    return {
        "id": fact["_id"],
        "v": int(fact["version"]),
        "day": fact["day"],
        "legal_form": fact["legal_form"],
        "women_led": bool(fact.get("women_led")),
        "ethnic_minority_led": bool(fact.get("ethnic_minority_led")),
    }


@dataclass(frozen=True)
class GuardedSet:
    """A `$set` of `field` in document `doc`, only over a version not newer (`guard` ≤ version)."""

    doc: str
    field: str
    guard: str
    value: Any
    version: int


def producer_writes(fact: Doc) -> list[GuardedSet]:
    """Where a producer's fact goes: its whole state in its producers document, and its version
    under its day in its marks document (`joined`, what new producers' counts read)."""
    summary, key, entry = summary_of(fact), producer_key(fact["_id"]), producer_entry(fact)
    whole, joined = f"producers.{key}", f"joined.{fact['day']}.{key}"
    return [
        GuardedSet(producers_id(summary), whole, f"{whole}.v", entry, entry["v"]),
        GuardedSet(summary, joined, joined, entry["v"], entry["v"]),
    ]


def producer_places(fact: Doc) -> list[tuple[str, str, str]]:
    """Every (document, field, version field) a producer's fact may be in: `producer_writes`'
    and the marks document's `producers.<key>`, where a database written before the split has it."""
    places = [(w.doc, w.field, w.guard) for w in producer_writes(fact)]
    whole = f"producers.{producer_key(fact['_id'])}"
    return [*places, (summary_of(fact), whole, f"{whole}.v")]


# Each unit-year's marks packed into one string beside them (`packed:<edition>:<unit>:<year>`):
# the national view and whole-province targets read these instead of the marks documents, whose
# thousands of strings FerretDB decodes one value at a time (~134 ms for a year's 34 documents
# on the full national set). A marks document's every write increments its revision (`rev`, in
# the same update), and its packed copy is rewritten from a read of it made after that write,
# never over a newer revision: of two packings in flight at once the newer stays, and a
# redelivery or a write in any order packs the same document to the same value.
PACKED_PREFIX = "packed:"
# What a report reads from the marks (SummaryView.actual, new ≥3★ products): the marks, the
# `joined` versions, and of a database written before the split its rating ids (monitoring's
# counts) and its producers' id, version and day (what new producers' counts read of them).
PACKED_FIELDS = ("crossed", "upgraded", "proposed", "rounds", "joined", "rated")
_PACKED_PRODUCER = ("id", "v", "day")


def packed_id(summary: str) -> str:
    """The packed copy of a unit-year's marks document `summary`."""
    return f"{PACKED_PREFIX}{summary}"


def is_marks_id(summary: str) -> bool:
    """Whether an `_id` is a unit-year's marks document (`<edition>:<unit>:<year>`)."""
    parts = summary.split(":")
    return len(parts) == 3 and parts[0] in ("2008", "2025") and parts[2].isdigit()


def pack(doc: Doc) -> dict[str, Any]:
    """A marks document as `{"r": <its revision>, "z": <its marks as compressed JSON>}`: one
    short value to read instead of one per mark."""
    kept: dict[str, Any] = {name: doc[name] for name in PACKED_FIELDS if name in doc}
    producers = {
        key: {name: entry[name] for name in _PACKED_PRODUCER}
        for key, entry in doc.get("producers", {}).items()
    }
    if producers:
        kept["producers"] = producers
    # Sets sorted: the same marks pack to the same value whatever order they were added in.
    text = json.dumps(_sorted_sets(kept), sort_keys=True, separators=(",", ":"))
    return {"r": revision(doc), "z": base64.b64encode(zlib.compress(text.encode())).decode()}


def _sorted_sets(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _sorted_sets(v) for key, v in value.items()}
    if isinstance(value, list):
        return sorted(value)
    return value


def unpack(packed: Doc) -> dict[str, Any]:
    """The marks a packed copy holds, shaped as in its marks document (for SummaryView)."""
    found: dict[str, Any] = json.loads(zlib.decompress(base64.b64decode(packed["z"])))
    return found


def is_packed(packed: Doc | None, doc: Doc) -> bool:
    """Whether a packed copy is of the marks document's revision (not when missing)."""
    return (
        packed is not None and isinstance(packed.get("z"), str) and packed.get("r") == revision(doc)
    )


# A province's certificates are spread over this many documents, by product: Hà Nội's 5,000
# certificates make documents of about 300, and the national view reads 34 × 16 ids.
CERTIFIED_BUCKETS = 16


CERTIFIED_PREFIX = "certified:"
# Every write to a certificate document increments this field of it in the same update: the
# state it holds is known by its revision, so a recount can tell which of two is the newer.
REVISION = "rev"


def certified_id(current_code: str, product_id: str) -> str:
    """The document of a current province's certificates and withdrawals holding this
    product's: its bucket is a checksum of the id (the same in every process, unlike `hash`)."""
    bucket = zlib.crc32(product_id.encode()) % CERTIFIED_BUCKETS
    return f"{CERTIFIED_PREFIX}{current_code}:{bucket:02d}"


def bucket_of(summary: str) -> str:
    """The bucket of a certificate document's `_id` (`certified:82:03` → `03`)."""
    return summary.rsplit(":", 1)[-1]


def revision(doc: Doc) -> int:
    """How many writes a certificate document has had (0: written before revisions were kept)."""
    return int(doc.get(REVISION, 0))


def certified_ids(current_code: str) -> list[str]:
    """Every certificate document of a current province, and the single one a database
    written before the split holds (`certified:<cc>`, read until a rebuild drops it)."""
    buckets = (f"certified:{current_code}:{b:02d}" for b in range(CERTIFIED_BUCKETS))
    return [f"certified:{current_code}", *buckets]


# A certificate is kept as two strings, its issue in `c.<id>` and its end in `e.<id>`: on
# FerretDB a read costs by the value decoded, and a province holds hundreds of certificates.
_WITHDRAWAL_FIELDS = {"withdrawn_on": "on", "withdrawn_known": "k"}


def certificate_issue(certificate_id: str, fact: Doc) -> dict[str, Any]:
    """What a certificate's issue sets in its province's document (`$set`):
    `"<stars> <day> <valid_until> <known> <product>"` (the product id last: it may hold spaces)."""
    known = fact.get("known") or ""
    kept = f"{int(fact['stars'])} {fact['day']} {fact['valid_until']} {known} {fact['product_id']}"
    return {f"c.{producer_key(certificate_id)}": kept}


def certificate_end(certificate_id: str, fact: Doc) -> dict[str, Any]:
    """What its expiry or revocation sets (`$set`, beside the issue whichever comes first):
    `"<ended_on> <ended_known> <reason>"`."""
    known = fact.get("ended_known") or ""
    kept = f"{fact['ended_on']} {known} {fact.get('ended_reason', '')}"
    return {f"e.{producer_key(certificate_id)}": kept}


def _certificate(key: str, issue: str, end: str | None) -> dict[str, Any]:
    """A certificate fact's fields back from its kept strings."""
    stars, day, until, known, product = issue.split(" ", 4)
    fact: dict[str, Any] = {"_id": key, "product_id": product, "stars": int(stars), "day": day}
    fact |= {"valid_until": until, "known": known or None}
    if end is not None:
        ended_on, ended_known, _ = end.split(" ", 2)
        fact |= {"ended_on": ended_on, "ended_known": ended_known or None}
    return fact


def withdrawal_field(product_id: str) -> str:
    return f"w.{producer_key(product_id)}"


def withdrawal_entry(product_id: str, fact: Doc, version: int) -> dict[str, Any]:
    """A product's withdrawal (`$set` whole, only over an entry of a version not newer)."""
    entry = {short: fact[name] for name, short in _WITHDRAWAL_FIELDS.items()}
    return {"id": product_id, **entry, "v": version}


class CertifiedView:
    """The certificates and withdrawals of one current province (its certificate documents,
    in any number), as the facts would give them. An end whose issue has not arrived yet is
    no certificate (as `valid_on` says of its fact)."""

    def __init__(self, docs: Iterable[Doc]) -> None:
        issues: dict[str, str] = {}
        ends: dict[str, str] = {}
        withdrawals: dict[str, Doc] = {}
        for doc in docs:
            issues |= doc.get("c", {})
            ends |= doc.get("e", {})
            for key, entry in doc.get("w", {}).items():
                # A product's withdrawal in two documents (before and after the split): the
                # newer version, as the guarded `$set` would have kept in one.
                if key not in withdrawals or withdrawals[key]["v"] < entry["v"]:
                    withdrawals[key] = entry
        self._certificates = [
            _certificate(key, issue, ends.get(key)) for key, issue in issues.items()
        ]
        self._products = {
            str(entry["id"]): {name: entry[s] for name, s in _WITHDRAWAL_FIELDS.items()}
            for entry in withdrawals.values()
        }

    def certified(self, day: date, cut: date | None = None) -> int:
        """Products holding a certificate valid on `day`, as known on `cut` (the facts' rules)."""
        return len(certified_products(self._certificates, self._products, day.isoformat(), cut))

    def by_product(self) -> dict[str, tuple[list[Doc], Doc]]:
        """Each product's certificate facts and withdrawal (empty when none)."""
        found: dict[str, tuple[list[Doc], Doc]] = {
            pid: ([], withdrawal) for pid, withdrawal in self._products.items()
        }
        for certificate in self._certificates:
            pid = str(certificate["product_id"])
            found.setdefault(pid, ([], {}))[0].append(certificate)
        return found


@dataclass(frozen=True)
class Window:
    """The days a figure counts (ISO strings compare as dates)."""

    first: str
    last: str

    @classmethod
    def of(cls, first: date | None, last: date) -> Window:
        return cls((first or date.min).isoformat(), last.isoformat())

    def __contains__(self, day: str) -> bool:
        return self.first <= day <= self.last


def rated_counts(summaries: Iterable[Doc]) -> dict[int, int]:
    """Rating events by stars in these summaries. An event is in one unit-year only, but may be
    in both its documents (written before the split, and again by a redelivery after): by id."""
    found: dict[int, set[str]] = {}
    for doc in summaries:
        for stars, ids in doc.get("rated", {}).items():
            found.setdefault(int(stars), set()).update(ids)
    return {stars: len(ids) for stars, ids in found.items()}


class SummaryView:
    """The summaries of one unit (and of the old units merged into it) over some years."""

    def __init__(self, summaries: Iterable[Doc]) -> None:
        self._docs = list(summaries)

    def _ids(self, fields: Iterable[str], window: Window) -> set[str]:
        found: set[str] = set()
        for doc in self._docs:
            for field in fields:
                group, _, sub = field.partition(".")
                entries = doc.get(group, {}).get(sub, []) if sub else doc.get(group, [])
                for entry in entries:
                    day, key = _split(entry)
                    if day in window:
                        found.add(key)
        return found

    def certified(self, min_stars: int, window: Window) -> int:
        return len(self._ids([f"crossed.{min_stars}"], window))

    def upgraded(self, min_stars: int, window: Window) -> int:
        return len(self._ids([f"upgraded.{s}" for s in range(max(min_stars, 4), 6)], window))

    def proposed(self, window: Window) -> int:
        return len(self._ids(["proposed"], window))

    def rounds(self, window: Window) -> int:
        return len(self._ids(["rounds"], window))

    def producers(self, window: Window) -> list[Doc]:
        """Each producer's newest version: a producer may be in two documents (the marks one
        written before the split and its producers one after), as the guarded `$set` would have
        kept in one."""
        latest: dict[str, Doc] = {}
        for doc in self._docs:
            for entry in doc.get("producers", {}).values():
                held = latest.get(entry["id"])
                if held is None or int(held["v"]) < int(entry["v"]):
                    latest[entry["id"]] = entry
        return [entry for entry in latest.values() if entry["day"] in window]

    def new_producers(self, window: Window) -> int:
        """Producers recorded in the window: their `joined` marks, and the whole states of a
        database written before those marks (a producer in both counts once)."""
        keys = {producer_key(str(p["id"])) for p in self.producers(window)}
        for doc in self._docs:
            for day, joined in doc.get("joined", {}).items():
                if day in window:
                    keys.update(joined)
        return len(keys)

    def producer_mix(self, window: Window) -> ProducerMix:
        producers = self.producers(window)
        forms = Counter(str(p["legal_form"]) for p in producers)
        return ProducerMix(
            total=len(producers),
            by_legal_form=dict(sorted(forms.items())),
            women_led=sum(bool(p["women_led"]) for p in producers),
            ethnic_minority_led=sum(bool(p["ethnic_minority_led"]) for p in producers),
        )

    def actual(self, metric: TargetMetric, min_stars: int | None, window: Window) -> int:
        """A province-wide target's actual; the same rules as the queries on the facts."""
        stars = min_stars or 3
        match metric:
            case TargetMetric.CERTIFIED_PRODUCTS:
                return self.certified(stars, window)
            case TargetMetric.UPGRADED_PRODUCTS:
                return self.upgraded(stars, window)
            case TargetMetric.NATIONAL_PROPOSALS:
                return self.proposed(window)
            case TargetMetric.FIVE_STAR_PRODUCTS:
                return self.certified(5, window)
            case TargetMetric.EVALUATION_ROUNDS:
                return self.rounds(window)
            case TargetMetric.NEW_PRODUCERS:
                return self.new_producers(window)
            case _:
                raise ValueError(f"{metric} is not kept in the summaries")
