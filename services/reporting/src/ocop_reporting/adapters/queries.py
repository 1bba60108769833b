"""The figures of the reports, read from the read models: whole provinces' targets, ratings
counted and the national view from the summaries (one `_id: {$in: [...]}` read each), the rest by
query on the province's facts. Typed results (`domain.figures`)."""

from __future__ import annotations

from datetime import date, timedelta

from pymongo.asynchronous.collection import AsyncCollection

from ocop_contracts import TargetMetric
from ocop_contracts.reference import current_provinces
from ocop_contracts.vocabulary import ActivityKind, VenueKind
from ocop_platform.mongo import Database, Document
from ocop_reporting.adapters.facts import (
    ACTIVITIES,
    CERTIFICATES,
    ENTITIES,
    FAIRS,
    PRODUCTS,
    PROPOSALS,
    RATINGS,
    READ_MODELS,
    SHOWCASES,
    commune_filter,
    day_range,
    fact_collection,
    fact_collections,
    known_filter,
    target_unit_filter,
    unit_filter,
)
from ocop_reporting.adapters.summaries import (
    FIRST_PRODUCER_YEAR,
    SUMMARIES,
    SummaryStore,
    summary_ids,
)
from ocop_reporting.domain.certificates import certified_products
from ocop_reporting.domain.certified_counts import count, province_steps
from ocop_reporting.domain.figures import (
    CertifiedProduct,
    ExpiringCertificate,
    NationalFigures,
    ProducerMix,
)
from ocop_reporting.domain.knowledge import known_by
from ocop_reporting.domain.metrics import (
    fair_participation,
    in_communes,
    new_producers,
    rating_counts,
)
from ocop_reporting.domain.progress import Target
from ocop_reporting.domain.summaries import (
    RATED_PREFIX,
    SUMMARY_METRICS,
    SummaryView,
    Window,
    rated_counts,
    rated_id,
)
from ocop_reporting.domain.units import Edition, Unit, unit

EXPIRY_WINDOW = timedelta(days=183)  # "the next 6 months"


class MongoReportQueries:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._summaries = SummaryStore(db)

    # --- actuals of targets derived from events ------------------------------------------------

    async def derived_actual(
        self, target: Target, as_of: date | None = None, cut: date | None = None
    ) -> int:
        """A derived target's actual by query on its province's facts, as known on `cut`
        (domain.knowledge; None: everything known now)."""
        last = target.last_day if as_of is None else min(as_of, target.last_day)
        where: Document = {**target_unit_filter(target), **day_range(target.first_day, last)}
        where |= known_filter(cut)
        base = where | commune_filter(target)
        stars = target.min_stars or 3
        flt: Document
        match target.metric:
            case TargetMetric.CERTIFIED_PRODUCTS:
                flt = {"stars": {"$gte": stars}, "previous_stars": {"$lt": stars}}
                return await self._distinct(target, RATINGS, "product_id", base | flt)
            case TargetMetric.UPGRADED_PRODUCTS:
                flt = {"upgraded": True, "stars": {"$gte": max(stars, 4)}}
                if target.from_stars is not None:
                    flt["previous_stars"] = target.from_stars
                return await self._distinct(target, RATINGS, "product_id", base | flt)
            case TargetMetric.NATIONAL_PROPOSALS:
                flt = {"score": {"$gte": 90}}
                rated = await self._keys(target, RATINGS, "product_id", base | flt)
                proposed = await self._keys(target, PROPOSALS, "product_id", base)
                return len(rated | proposed)
            case TargetMetric.FIVE_STAR_PRODUCTS:
                flt = {"stars": 5, "previous_stars": {"$lt": 5}}
                return await self._distinct(target, RATINGS, "product_id", base | flt)
            case TargetMetric.EVALUATION_ROUNDS:
                flt = {"level": "province", "round_id": {"$ne": None}}
                rounds = await self._facts(target, RATINGS).distinct("round_id", base | flt)
                return len([r for r in rounds if r])
            case TargetMetric.NEW_PRODUCERS | TargetMetric.NEW_PARTICIPATING_PRODUCERS:
                return await self._new_producers(target, base, last, cut)
            case TargetMetric.FAIR_PRODUCTS | TargetMetric.FAIR_PRODUCERS:
                # Placements carry no commune: the products' facts give it (and the producer).
                return await self._fair_participation(target, where)
            case _:
                return await self._promotion_actual(target, base)

    async def _promotion_actual(self, target: Target, base: Document) -> int:
        """Fairs held, sales points used, news items and TV reports."""
        match target.metric:
            case TargetMetric.FAIRS:
                return await self._count(target, FAIRS, base)
            case TargetMetric.SALES_POINTS:
                flt = {"venue_kind": VenueKind.SHOWROOM.value}
                return await self._distinct(target, SHOWCASES, "venue_id", base | flt)
            case TargetMetric.MEDIA_ITEMS:
                flt = {"kind": ActivityKind.NEWS_ITEM.value}
                return await self._count(target, ACTIVITIES, base | flt)
            case TargetMetric.TV_REPORTS:
                flt = {"kind": ActivityKind.TV_REPORT.value}
                return await self._count(target, ACTIVITIES, base | flt)
            case _:
                raise ValueError(f"{target.metric} is not derived from events")

    async def _new_producers(
        self, target: Target, base: Document, last: date, cut: date | None
    ) -> int:
        entities = [d async for d in self._facts(target, ENTITIES).find(base, _PRODUCER_FIELDS)]
        products: list[Document] = []
        if target.metric is TargetMetric.NEW_PARTICIPATING_PRODUCERS and entities:
            flt = {"entity_id": {"$in": [e["_id"] for e in entities]}}
            flt |= day_range(None, last) | known_filter(cut)
            products = [d async for d in self._facts(target, PRODUCTS).find(flt, _PRODUCT_FIELDS)]
        return new_producers(target, entities, products)

    async def _fair_participation(self, target: Target, where: Document) -> int:
        flt = where | {"venue_kind": VenueKind.FAIR.value}
        placements = [d async for d in self._facts(target, SHOWCASES).find(flt, {"product_id": 1})]
        ids = sorted({str(p["product_id"]) for p in placements})
        cursor = self._facts(target, PRODUCTS).find({"_id": {"$in": ids}}, _PRODUCT_FIELDS)
        products = {str(d["_id"]): d async for d in cursor}
        return fair_participation(target, placements, products)

    async def derived_actuals(
        self, targets: list[Target], as_of: date | None, cut: date | None = None
    ) -> dict[str, int]:
        """Actuals of many derived targets: a whole province's from its summaries (one read of
        a handful of documents per province); the rating-based ones of a commune or district
        from one read of the province's ratings; the others one query each. As known on `cut`
        (an as-known report of a past day), only the facts can say: the summaries' marks keep
        the day of a fact, not the day it became known."""
        docs = await self._read_summaries(_target_summary_ids(targets, cut))
        return await self._derived_actuals(targets, as_of, cut, docs)

    async def national_figures(
        self, year: int, targets: list[Target], as_of: date | None, cut: date | None = None
    ) -> NationalFigures:
        """New ≥3★ products of `year` per current province and the targets' actuals, from one
        read of the summaries both need (the year's of every province are most of the targets')."""
        provinces = [unit(cc, "2025") for cc in current_provinces()]
        ids = [i for where in provinces for i in summary_ids(where, [year])]
        docs = await self._read_summaries(ids + _target_summary_ids(targets, cut))
        whole_year = Window.of(date(year, 1, 1), date(year, 12, 31))
        certified: dict[str, int] = {}
        for where in provinces:
            mine = [docs[i] for i in summary_ids(where, [year]) if i in docs]
            if mine:
                certified[where.code] = SummaryView(mine).certified(3, whole_year)
        actuals = await self._derived_actuals(targets, as_of, cut, docs)
        return NationalFigures(new_certified=certified, actuals=actuals)

    async def _read_summaries(self, ids: list[str]) -> dict[str, Document]:
        """The marks of these unit-years, by `_id`: from their packed copies (one short value
        each, where the marks documents hold thousands: SummaryStore.read_marks)."""
        if not ids:
            return {}
        return await self._summaries.read_marks(ids)

    async def _derived_actuals(
        self,
        targets: list[Target],
        as_of: date | None,
        cut: date | None,
        docs: dict[str, Document],
    ) -> dict[str, int]:
        """`derived_actuals` with the summaries already read (`docs`, by `_id`)."""
        summarised = [t for t in targets if _summarised(t)] if cut is None else []
        found = _summary_actuals(summarised, as_of, docs)
        by_province: dict[str, list[Target]] = {}
        for target in targets:
            if target.target_id in found:
                continue
            if target.metric in _RATING_METRICS:
                by_province.setdefault(target.current_code, []).append(target)
            else:
                found[target.target_id] = await self.derived_actual(target, as_of, cut)
        for cc, group in by_province.items():
            cursor = self._db[fact_collection(RATINGS, cc)].find({}, _RATING_FIELDS)
            ratings = [doc async for doc in cursor]
            for target in group:
                found[target.target_id] = await self._rating_actual(target, ratings, as_of, cut)
        return found

    async def _rating_actual(
        self, target: Target, ratings: list[Document], as_of: date | None, cut: date | None
    ) -> int:
        """Same rules as `derived_actual`'s queries, applied to ratings already read."""
        last = target.last_day if as_of is None else min(as_of, target.last_day)
        window = Window.of(target.first_day, last)
        keys: set[str] = set()
        for r in ratings:
            if not _counts_towards(target, r, window) or not known_by(r, cut):
                continue
            if target.metric is TargetMetric.EVALUATION_ROUNDS:
                if r.get("level") == "province" and r.get("round_id"):
                    keys.add(str(r["round_id"]))
            elif rating_counts(target, r):
                keys.add(str(r["product_id"]))
        if target.metric is TargetMetric.NATIONAL_PROPOSALS:
            base: Document = {**target_unit_filter(target), **day_range(target.first_day, last)}
            base |= commune_filter(target) | known_filter(cut)
            keys |= await self._keys(target, PROPOSALS, "product_id", base)
        return len(keys)

    def _facts(self, target: Target, base: str) -> AsyncCollection[Document]:
        """The facts of the province a target rolls up to."""
        return self._db[fact_collection(base, target.current_code)]

    async def _keys(self, target: Target, base: str, key: str, flt: Document) -> set[str]:
        return {str(value) for value in await self._facts(target, base).distinct(key, flt)}

    async def _distinct(self, target: Target, base: str, key: str, flt: Document) -> int:
        return len(await self._facts(target, base).distinct(key, flt))

    async def _count(self, target: Target, base: str, flt: Document) -> int:
        return await self._facts(target, base).count_documents(flt)

    # --- the overview --------------------------------------------------------------------------

    async def rating_count(self, where: Unit, year: int) -> int:
        """Rating events of the unit (with the old units merged into it) and year: the ids kept
        in their summaries, one read."""
        docs = await self._summaries.read_units(where, [year], rated=True)
        return sum(rated_counts(docs).values())

    async def certified_products(
        self, where: Unit, day: date, cut: date | None = None
    ) -> dict[str, CertifiedProduct]:
        """Products of the unit holding a certificate valid on `day` as known on `cut`
        (domain.certificates)."""
        flt = unit_filter(where) | _issued_and_not_lapsed(day)
        return await self._certified(where.current_code, flt, day, cut)

    async def _certified(
        self, current_code: str, flt: Document, day: date, cut: date | None
    ) -> dict[str, CertifiedProduct]:
        cursor = self._db[fact_collection(CERTIFICATES, current_code)].find(flt)
        certificates = [doc async for doc in cursor]
        ids = sorted({str(c["product_id"]) for c in certificates})
        found = self._db[fact_collection(PRODUCTS, current_code)].find(
            {"_id": {"$in": ids}},
            {"sector": 1, "commune_code": 1, "withdrawn_on": 1, "withdrawn_known": 1},
        )
        products = {str(doc["_id"]): doc async for doc in found}
        return certified_products(certificates, products, day.isoformat(), cut)

    async def new_certified_by_year(self, where: Unit, years: list[int]) -> dict[int, int]:
        """New ≥3★ products per year, from the unit's summaries of those years."""
        docs = await self._summaries.read_units(where, years)
        by_year: dict[int, list[Document]] = {y: [] for y in years}
        for doc in docs:
            by_year[int(doc["year"])].append(doc)
        return {
            y: SummaryView(found).certified(3, Window.of(date(y, 1, 1), date(y, 12, 31)))
            for y, found in by_year.items()
        }

    async def producer_mix(self, where: Unit, as_of: date | None) -> ProducerMix:
        """Producers recorded up to `as_of` (all years), from the unit's summaries."""
        last_year = as_of.year if as_of is not None else None
        view = SummaryView(await self._summaries.read_all_years(where, last_year))
        return view.producer_mix(Window.of(None, as_of or date.max))

    async def expiring_certificates(
        self, where: Unit, as_of: date, cut: date | None = None
    ) -> list[ExpiringCertificate]:
        """Certificates whose validity ends within six months of `as_of`, not ended before (as
        known on `cut`)."""
        flt = (
            unit_filter(where)
            | known_filter(cut)
            | {
                "valid_until": {
                    "$gte": as_of.isoformat(),
                    "$lte": (as_of + EXPIRY_WINDOW).isoformat(),
                }
            }
        )
        found = []
        certificates = self._db[fact_collection(CERTIFICATES, where.current_code)]
        async for doc in certificates.find(flt).sort("valid_until", 1):
            ended = doc.get("ended_on") if known_by(doc, cut, "ended_known") else None
            if ended and ended <= as_of.isoformat():
                continue
            found.append(
                ExpiringCertificate(
                    certificate_id=doc["_id"],
                    product_id=doc["product_id"],
                    stars=doc.get("stars"),
                    valid_until=doc["valid_until"],
                )
            )
        return found

    async def product_names(self, where: Unit, product_ids: list[str]) -> dict[str, str]:
        if not product_ids:
            return {}
        cursor = self._db[fact_collection(PRODUCTS, where.current_code)].find(
            {"_id": {"$in": product_ids}}, {"name": 1}
        )
        return {doc["_id"]: doc.get("name", "") async for doc in cursor}

    # --- the national view and monitoring ------------------------------------------------------

    async def national_certified(self, year: int) -> dict[str, int]:
        """New ≥3★ products of `year` per current province: every province's summaries of the
        year in one read."""
        return (await self.national_figures(year, [], None)).new_certified

    async def national_valid_certified(self, day: date, cut: date | None = None) -> dict[str, int]:
        """Products holding a certificate valid on `day` as known on `cut`, per province: every
        province's certified counts in one read (the same rules as on the facts, any day)."""
        by_province = await self._summaries.read_certified_counts(current_provinces())
        return {cc: count(province_steps(doc), day, cut) for cc, doc in by_province.items()}

    async def ratings_by_province(self, last_year: int) -> dict[tuple[str, int], int]:
        """Ratings at 3–5★ received up to `last_year`, by (current province, stars): the ids in
        every unit-year's rating ids document, by `_id` (not a scan of the summaries), and in
        the packed copy of its marks, where a database written before the split keeps them."""
        years = range(FIRST_PRODUCER_YEAR, last_year + 1)
        province_of = {
            i: cc for cc in current_provinces() for i in summary_ids(unit(cc, "2025"), years)
        }
        by_province: dict[str, list[Document]] = {}
        for doc in await self._summaries.read(rated_id(i) for i in province_of):
            marks = str(doc["_id"]).removeprefix(RATED_PREFIX)
            by_province.setdefault(province_of[marks], []).append(doc)
        for marks, doc in (await self._summaries.read_marks(province_of)).items():
            if "rated" in doc:
                by_province.setdefault(province_of[marks], []).append(doc)
        found: dict[tuple[str, int], int] = {}
        for code, docs in by_province.items():  # an event in two documents counts once
            for stars, n in rated_counts(docs).items():
                if stars >= 3:
                    found[(code, stars)] = n
        return found

    async def fact_counts(self) -> dict[str, int]:
        """Documents per read model, over every province."""
        counts = dict.fromkeys(READ_MODELS, 0)
        for name in await fact_collections(self._db):
            base = name.rsplit("_", 1)[0]
            counts[base] += await self._db[name].estimated_document_count()
        counts[SUMMARIES] = await self._summaries.count()  # one collection for the country
        return counts

    async def old_unit_unknown_counts(self) -> dict[str, int]:
        """Facts before the merger recorded without their old unit, by current province: only
        today's province counts them, no old province's plan (domain/units.attributed). Noted
        as they are written (SummaryStore.note_old_unit_unknown): 34 ids, not a scan."""
        return await self._summaries.read_old_unit_unknown()


_RATING_METRICS = frozenset(
    {
        TargetMetric.CERTIFIED_PRODUCTS,
        TargetMetric.UPGRADED_PRODUCTS,
        TargetMetric.NATIONAL_PROPOSALS,
        TargetMetric.FIVE_STAR_PRODUCTS,
        TargetMetric.EVALUATION_ROUNDS,
    }
)
_RATING_FIELDS = dict.fromkeys(
    (
        "product_id",
        "unit_code",
        "edition",
        "commune_code",
        "old_commune_code",
        "old_commune_unknown",
        "day",
        "stars",
        "previous_stars",
        "upgraded",
        "score",
        "level",
        "round_id",
        "known",
    ),
    1,
)


def _issued_and_not_lapsed(day: date) -> Document:
    """Certificates issued by `day` and valid until it at least (their end is checked after)."""
    return {"day": {"$lte": day.isoformat()}, "valid_until": {"$gte": day.isoformat()}}


_PRODUCER_FIELDS = {"legal_form": 1}
_PRODUCT_FIELDS = dict.fromkeys(
    ("entity_id", "commune_code", "old_commune_code", "old_commune_unknown", "legal_form"), 1
)


def _counts_towards(target: Target, rating: Document, window: Window) -> bool:
    """A rating of the target's unit, communes and period (the filters of its queries)."""
    if target.province_edition == "2008" and (
        rating.get("edition") != "2008" or rating.get("unit_code") != target.province_code
    ):
        return False
    return rating["day"] in window and in_communes(target, rating)


def _summary_actuals(
    targets: list[Target], as_of: date | None, docs: dict[str, Document]
) -> dict[str, int]:
    """Whole provinces' actuals from their summaries (`docs`, by `_id`)."""
    found: dict[str, int] = {}
    for t in targets:
        mine = summary_ids(_target_unit(t), _years(t))
        view = SummaryView(docs[i] for i in mine if i in docs)
        last = t.last_day if as_of is None else min(as_of, t.last_day)
        found[t.target_id] = view.actual(t.metric, t.min_stars, Window.of(t.first_day, last))
    return found


def _target_summary_ids(targets: list[Target], cut: date | None) -> list[str]:
    """The summaries the targets' actuals are read from: none as known on a past day (only the
    facts say when a fact became known)."""
    if cut is not None:
        return []
    summarised = [t for t in targets if _summarised(t)]
    return [i for t in summarised for i in summary_ids(_target_unit(t), _years(t))]


def _summarised(target: Target) -> bool:
    """A whole province's target of a metric the summaries keep (not a commune's or district's)."""
    narrowed = target.from_stars is not None or target.legal_forms  # kept by the facts only
    return target.metric in SUMMARY_METRICS and not commune_filter(target) and not narrowed


def _target_unit(target: Target) -> Unit:
    edition: Edition = "2008" if target.province_edition == "2008" else "2025"
    return unit(target.province_code, edition)


def _years(target: Target) -> range:
    return range(target.first_day.year, target.last_day.year + 1)
