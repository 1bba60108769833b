"""The five published plans of shared/reference/seed-plans.md as demo fixtures: their targets (for
POST /targets), the activities only a province can report (POST /activities), and their history:
`history()` for ocop_devstack.demo_driver, which enters all of it through the services' APIs
(registry: each producer back-filled with the day it joined and its old address, each product
under its 2025 province with a legacy code naming its 2008 unit; evaluation: its ratings,
certificates and revocations with their historic dates; registry: its withdrawal; promotion:
media items, showroom placements and past fairs with their old unit). Nothing is hand-made.

Used by `ocop-dev up` (ocop_devstack.demo) and by the end-to-end tests, which state the expected
figures by hand. Province codes are the units that issued each plan (2008 edition); commune codes
are illustrative five-digit codes (the pre-2025 commune list is not in the reference data).

Every producer is back-filled at the registry (`Joining`): POST /entities with the day it joined
(registered_on) and its old address (2008 province and commune), under today's province. The
plans' new producers (Bắc Kạn's, Tứ Kỳ's, Hòa Bình's) and Tứ Kỳ's producers of earlier years
carry the day the plan gives; the producer of every other rated product joined before its plan's
period (`EARLIER_PRODUCER`), so no plan counts it as new. The products whose registration day
counts are registered with it (`Registration.registered_on`: Hòa Bình's, and all of Tứ Kỳ's,
whose fair placements a district target counts by the product's commune then); the others the
day they are entered. Bắc Kạn's media items go through promotion's POST /activities with their
old unit (legacy_unit), Đồng Tháp's 2021 showroom placements through POST
/showrooms/{id}/products/history (`Display`), Tứ Kỳ's 2022 fairs and the products that took part
through POST /fairs/history (`PastFair`, its old commune in legacy_unit).

Tứ Kỳ's district targets name the district's communes before the merger; reporting matches a
pre-merger target by the commune of the fact's time (the old commune the services' version 2
events carry, services/reporting/README.md), so the services' facts count there.

What the history contains, per plan (the figures the tests expect):
- Tây Ninh (72) 2022: 12 products newly certified 3–4★ in 2 province rounds (7 on 20 June, 5 on
  25 November); 1 product at 2★; 1 more product rated 3★ on 10 June outside the rounds: 13 in
  all, 8 as corrected on 30 June; none as known on 30 June (the services record the history the
  day it is entered).
- Đồng Tháp (87) 2021: 30 new ≥3★; 8 upgraded 3★→4★ and 1 upgraded 4★→5★ (central, 92 points);
  3 of the 30 rated 91 points at the province (4★, the province's most) and so proposed for 5★,
  4 products above 90 with the 5★ one; the Sa Đéc showroom and a Cao Lãnh sales point; 90
  producers trained reported (officials: nothing). Certified at the end of 2021 (a valid
  certificate): 39 (20 at 3★, 18 at 4★, 1 at 5★); three products certified in 2019–2020 no longer
  are (two revoked, one withdrawn; under QĐ 1048, in force from 21 August 2019, a certificate is
  valid 36 months, so none could have expired by 2021).
  Tiền Giang (82, merged with it) 2021: 5 new.
- Bắc Kạn (06) 2022: 22 new ≥3★ (12 on 15 June, 10 on 20 November); 8 new producers (3 women-led,
  5 ethnic-minority-led; 4 cooperatives, 4 households), beside the 22 rated products' producers
  (cooperatives of 2021: 30 on record at the end of 2022); 20 news items and 11 TV reports;
  traceability 10 and value chains 4 reported. Old Thái Nguyên (19, merged with it) 2022: 15 new
  ≥3★.
- Tứ Kỳ district (Hải Dương, 30) 2022: 11 new ≥3★ in its communes (10 of a producer of
  earlier years, and the product of a new cooperative), 5 elsewhere in Hải Dương; 2 OCOP fairs
  in the district, where 3 district products of 2 producers were placed (and one product from
  outside the district); new producers: 2 cooperatives and a household in the district, a
  cooperative outside it.
- Hòa Bình (17) 2018–2020: 12 new producers, 11 of them with a product registered; standardised
  products 20 + 35, tourism villages 12 and 280 officials trained reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ocop_contracts.reference import successor_of
from ocop_contracts.vocabulary import ActivityKind, LegalForm, RatingLevel, RevocationGround

CENTRAL = RatingLevel.CENTRAL
# Where each plan is reported (target id prefix → province, edition, a year of the plan).
PLAN_UNITS: dict[str, tuple[str, str, int]] = {
    "tn22": ("72", "2008", 2022),
    "dt21": ("87", "2008", 2021),
    "bk22": ("06", "2008", 2022),
    "tk22": ("30", "2008", 2022),
    "hb20": ("17", "2008", 2019),
}
TU_KY_COMMUNES = ("10951", "10954", "10957", "10960", "10963")
BAC_KAN_MEDIA = ("2022-02-11", "2022-12-31")  # plan issued 11/02/2022: counted from then on


def _target(
    tid: str, province: str, plan: str, year_from: int, year_to: int, **rest: Any
) -> dict[str, Any]:
    return {
        "target_id": tid,
        "province_code": province,
        "province_edition": "2008",
        "plan_ref": plan,
        "year_from": year_from,
        "year_to": year_to,
        **rest,
    }


def plan_targets(suffix: str = "") -> list[dict[str, Any]]:
    """The targets as published, one dict per POST /targets body (ids end with `suffix`)."""
    s = suffix
    tn = ("72", "1155/KH-UBND", 2022, 2022)
    dt = ("87", "122/KH-UBND", 2021, 2021)
    bk = ("06", "75/KH-UBND", 2022, 2022)
    tk = ("30", "Đề án OCOP huyện Tứ Kỳ 2022", 2022, 2022)
    hb = ("17", "125/KH-UBND", 2018, 2020)
    tu_ky: dict[str, Any] = {"district_name": "Tứ Kỳ", "commune_codes": list(TU_KY_COMMUNES)}
    return [
        _target(f"tn22-certified{s}", *tn, metric="certified_products", minimum=10, maximum=15,
                label="10–15 sản phẩm được công nhận OCOP cấp tỉnh năm 2022"),
        _target(f"tn22-rounds{s}", *tn, metric="evaluation_rounds", minimum=2,
                label="Tổ chức 2 đợt đánh giá, phân hạng sản phẩm cấp tỉnh"),
        _target(f"dt21-certified{s}", *dt, metric="certified_products", minimum=49,
                label="Ít nhất 49 sản phẩm mới đạt từ 3 sao trở lên"),
        _target(f"dt21-upgraded{s}", *dt, metric="upgraded_products", minimum=20, min_stars=4,
                from_stars=3, label="Ít nhất 20 sản phẩm nâng hạng từ 3 sao lên 4 sao"),
        _target(f"dt21-proposals{s}", *dt, metric="national_proposals", minimum=4,
                label="4 sản phẩm trên 90 điểm đề xuất Hội đồng Trung ương đánh giá 5 sao"),
        _target(f"dt21-sales{s}", *dt, metric="sales_points", minimum=2,
                label="Điểm trưng bày, bán sản phẩm OCOP Sa Đéc và thêm điểm bán trong tỉnh"),
        _target(f"dt21-trained{s}", *dt, metric="officials_trained", unit="percent", base=60,
                minimum=100, label="100% cán bộ quản lý OCOP cấp huyện được tập huấn"),
        _target(f"dt21-producers-trained{s}", *dt, metric="producers_trained", unit="percent",
                base=120, minimum=100, label="100% chủ thể tham gia chương trình được tập huấn"),
        _target(f"dt21-design-centre{s}", *dt, metric="other_activity", minimum=1,
                label="Trung tâm thiết kế sản phẩm OCOP tại thành phố Cao Lãnh"),
        _target(f"bk22-certified{s}", *bk, metric="certified_products", minimum=20,
                label="Ít nhất 20 sản phẩm mới đạt từ 3 sao"),
        _target(f"bk22-traceable{s}", *bk, metric="traceable_products", minimum=10,
                label="10 sản phẩm được củng cố, truy xuất nguồn gốc quá trình sản xuất"),
        _target(f"bk22-value-chain{s}", *bk, metric="value_chain_products", minimum=6,
                label="6 sản phẩm được sản xuất theo chuỗi giá trị"),
        _target(f"bk22-producers{s}", *bk, metric="new_producers", minimum=8,
                label="Hỗ trợ 8 chủ thể mới"),
        _target(f"bk22-consolidated{s}", *bk, metric="consolidated_producers", minimum=4,
                maximum=5, label="Củng cố 4–5 chủ thể của Đề án giai đoạn 2018–2020"),
        _target(f"bk22-media{s}", *bk, metric="media_items", unit="per_month", minimum=2,
                period_start=BAC_KAN_MEDIA[0], period_end=BAC_KAN_MEDIA[1],
                label="Ít nhất 2 tin, bài/tháng trên Báo Bắc Kạn"),
        _target(f"bk22-tv{s}", *bk, metric="tv_reports", minimum=10,
                label="Ít nhất 10 phóng sự truyền hình về OCOP"),
        _target(f"tk22-certified{s}", *tk, metric="certified_products", minimum=10, **tu_ky,
                label="Ít nhất 10 sản phẩm được công nhận từ 3 sao (huyện Tứ Kỳ)"),
        _target(f"tk22-fairs{s}", *tk, metric="fairs", minimum=1, **tu_ky,
                label="Tham gia hội chợ OCOP"),
        _target(f"tk22-fair-products{s}", *tk, metric="fair_products", minimum=1, **tu_ky,
                label="Sản phẩm của huyện tham gia hội chợ OCOP"),
        _target(f"tk22-fair-producers{s}", *tk, metric="fair_producers", minimum=1, **tu_ky,
                label="Chủ thể của huyện tham gia hội chợ OCOP"),
        _target(f"tk22-cooperatives{s}", *tk, metric="new_producers", minimum=1, **tu_ky,
                legal_forms=["cooperative"], label="Thành lập mới hợp tác xã"),
        _target(f"hb20-standardised{s}", *hb, metric="standardised_products", minimum=50,
                label="Chuẩn hóa ≥25% sản phẩm hiện có (khoảng 50 sản phẩm)"),
        _target(f"hb20-villages{s}", *hb, metric="tourism_villages", minimum=10, maximum=15,
                label="10–15 làng văn hóa du lịch"),
        _target(f"hb20-producers{s}", *hb, metric="new_participating_producers", minimum=10,
                label="Ít nhất 10 tổ chức kinh tế mới tham gia chương trình"),
        _target(f"hb20-officials{s}", *hb, metric="officials_trained", minimum=300,
                label="Tập huấn khoảng 300 lượt cán bộ quản lý nhà nước"),
    ]  # fmt: skip


def activity_reports(suffix: str = "") -> list[dict[str, Any]]:
    """Activities the provinces report with evidence (POST /activities bodies)."""
    s = suffix

    def report(
        rid: str, province: str, metric: str, qty: float, day: str, evidence: str
    ) -> dict[str, Any]:
        return {
            "report_id": f"{rid}{s}",
            "province_code": province,
            "province_edition": "2008",
            "metric": metric,
            "quantity": qty,
            "occurred_on": day,
            "evidence": evidence,
        }

    return [
        report("bk22-trace", "06", "traceable_products", 10, "2022-10-05", "Báo cáo 210/BC-SNN"),
        report("bk22-chain", "06", "value_chain_products", 4, "2022-11-30", "Báo cáo 245/BC-SNN"),
        report("hb19-std", "17", "standardised_products", 20, "2019-12-20", "Báo cáo 98/BC-UBND"),
        report("hb20-std", "17", "standardised_products", 35, "2020-12-18", "Báo cáo 301/BC-UBND"),
        report("hb20-vil", "17", "tourism_villages", 12, "2020-11-02", "Quyết định 2411/QĐ-UBND"),
        report("hb20-off", "17", "officials_trained", 280, "2020-10-15", "Danh sách học viên"),
        report("dt21-ptr", "87", "producers_trained", 90, "2021-11-20", "Báo cáo 150/BC-SNN"),
    ]


# --- the plans' history -------------------------------------------------------------------------

SETS = ("I.1.a", "I.3.d", "I.2.b", "II.1.a", "III.1", "IV.1")


@dataclass(frozen=True)
class Rating:
    """POST /ratings at evaluation (historical: evaluation derives the stars, the previous stars
    and, for ≥90 points at the province, the proposal for 5★), then, for ≥3★, the certificate
    the council's decision issued (POST /certificates, issued the day of the rating)."""

    rated_on: date
    score: float
    level: RatingLevel = RatingLevel.PROVINCE
    round_id: str | None = None
    certificate_id: str | None = None
    stars: int = 0  # the certificate's stars (the band of the score at the level)
    decision_ref: str = ""


@dataclass(frozen=True)
class Revocation:
    """POST /certificates/{certificate_id}/revocation at evaluation, dated `revoked_on`."""

    certificate_id: str
    revoked_on: date
    ground: RevocationGround
    decision_ref: str


@dataclass(frozen=True)
class Withdrawal:
    """POST /products/{id}/withdraw at the registry, dated `withdrawn_on`."""

    withdrawn_on: date
    reason: str


Action = Rating | Revocation | Withdrawal


@dataclass
class Registration:
    """A product registered through the registry's API (POST /products) with a legacy
    (district) code naming its unit before the merger, then what happened to it, in order.
    `ref` stands for the registry's product id in the placements that name it."""

    ref: str
    old_province: str
    old_district: str
    old_commune: str
    year: int
    scoring_set_code: str
    entity_ref: str  # its producer: a Joining's ref, back-filled before the products
    actions: list[Action] = field(default_factory=list)
    # The day it joined, back-filled at the registry (registered_on), when that day counts: a
    # product of a producer the plan names (Hòa Bình's participating producers), or a product
    # whose commune then a district's target reads (its fair placements). Else it is
    # registered the day it is entered.
    registered_on: date | None = None

    def legacy_code(self, sequence: int) -> str:
        return f"{self.old_province}-{self.old_district}-{self.old_commune}-{sequence}-{self.year}"


@dataclass(frozen=True)
class Joining:
    """A producer back-filled at the registry by the province office: POST /entities with the
    day it joined (registered_on) and its old address (2008 province and commune) under today's
    province. The day the plan gives (its new producers, Tứ Kỳ's of earlier years), else one
    before its plan's period (`earlier_producer_day`)."""

    ref: str
    old_province: str
    old_commune: str
    registered_on: date
    legal_form: LegalForm
    women_led: bool = False
    ethnic_minority_led: bool = False


@dataclass(frozen=True)
class Display:
    """A rated product shown at a showroom or sales point since a past day, entered as history
    at promotion (POST /showrooms, then POST /showrooms/{id}/products/history with its old
    unit). `product_ref` is a Registration's ref, `venue_ref` names the showroom in the plan."""

    product_ref: str
    since: date
    venue_ref: str
    venue_name: str
    old_province: str


@dataclass
class PastFair:
    """A fair of a plan's year entered as history at promotion (POST /fairs/history: its real
    day, its old unit in legacy_unit, the products that took part from its first day), once
    promotion knows each product's certificate. `product_refs` are Registrations' refs."""

    ref: str
    name: str
    old_province: str
    old_district: str
    old_commune: str
    day: date
    product_refs: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class History:
    """The five plans' seasons, all through the services: products (`registrations`), producers
    back-filled first, then media items, showroom placements and past fairs."""

    registrations: list[Registration]
    activities: list[dict[str, Any]] = field(default_factory=list)  # POST /activities bodies
    producers: list[Joining] = field(default_factory=list)  # registered before the products
    displays: list[Display] = field(default_factory=list)  # once the products are certified
    fairs: list[PastFair] = field(default_factory=list)  # once the products are certified


# Illustrative 2008 district codes of the legacy product codes (the pre-2025 list is not shipped):
# one per province, Tứ Kỳ's communes in their own district.
OLD_DISTRICTS = {
    "72": "709",
    "87": "866",
    "82": "815",
    "06": "058",
    "19": "164",
    "17": "148",
    "30": "288",
}
TU_KY_DISTRICT = "298"


def old_district(province: str, commune: str) -> str:
    return TU_KY_DISTRICT if commune in TU_KY_COMMUNES else OLD_DISTRICTS[province]


class _Season:
    """One province's history as the driver enters it; references end with the run suffix."""

    def __init__(self, province: str, key: str, suffix: str, *, dated: bool = False) -> None:
        """`dated`: every product is registered with its day (registered_on), not only a new
        producer's (a district's fair placements count by the product's commune then)."""
        self.province, self.key, self.suffix, self.dated = province, key, suffix, dated
        self.registrations: dict[str, Registration] = {}
        self.producers: list[Joining] = []
        self.displays: list[Display] = []
        self.fairs: dict[str, PastFair] = {}
        self.activities: list[dict[str, Any]] = []
        self.n = 0

    def _id(self, kind: str) -> str:
        self.n += 1
        return f"{kind}-{self.key}-{self.n:03d}{self.suffix}"

    def entity(self, day: date, commune: str, form: LegalForm, **flags: bool) -> str:
        """A producer the plan names, back-filled at the registry with the day it joined."""
        entity_id = self._id("ent")
        self.producers.append(Joining(entity_id, self.province, commune, day, form, **flags))
        return entity_id

    def product(self, day: date, commune: str, entity_id: str = "") -> str:
        """A product registered on `day` in `commune`, of `entity_id`'s when the plan names its
        producer, else of a producer of its own that joined in an earlier year."""
        product_id = self._id("prd")
        # A product of a producer the plan names joined on its day (Hòa Bình's make their
        # producers participants), as does every product of a `dated` season; another rated
        # product's registration day counts for no target: registered the day it is entered.
        registered_on = day if entity_id or self.dated else None
        if not entity_id:
            entity_id = f"ent-{product_id}"  # not from _id: the products' numbering stays
            joined = earlier_producer_day(day)
            self.producers.append(
                Joining(entity_id, self.province, commune, joined, LegalForm.COOPERATIVE)
            )
        self.registrations[product_id] = Registration(
            ref=product_id,
            old_province=self.province,
            old_district=old_district(self.province, commune),
            old_commune=commune,
            year=day.year,
            scoring_set_code=SETS[self.n % len(SETS)],
            entity_ref=entity_id,
            registered_on=registered_on,
        )
        return product_id

    def rate(
        self,
        product_id: str,
        day: date,
        stars: int,
        score: float,
        *,
        round_id: str | None = None,
        version: int = 1,
        level: RatingLevel = RatingLevel.PROVINCE,
    ) -> None:
        """A rating on `day` (evaluation derives the stars, the previous stars and the proposal
        for 5★ itself) and, for ≥3★, the certificate it issued (GCN-<product>-<version>)."""
        self.registrations[product_id].actions.append(
            Rating(
                rated_on=day,
                score=score,
                level=level,
                round_id=round_id,
                certificate_id=f"GCN-{product_id}-{version}" if stars >= 3 else None,
                stars=stars,
                decision_ref=f"{self.n}/QĐ-UBND",
            )
        )

    def certified(
        self, count: int, day: date, communes: tuple[str, ...], entity_id: str = "", **kw: Any
    ) -> list[str]:
        """`count` products registered and certified 3–4★ on `day` (of `entity_id`'s, when
        given)."""
        ids = []
        for i in range(count):
            commune = communes[i % len(communes)]
            product_id = self.product(day, commune, entity_id)
            stars, score = (4, 72.0) if i % 3 == 0 else (3, 60.0 + i % 9)
            self.rate(product_id, day, stars, score, **kw)
            ids.append(product_id)
        return ids

    def revoke(self, product_id: str, day: date, ground: RevocationGround) -> None:
        """The certificate of the product's first rating is revoked on `day`."""
        action = Revocation(f"GCN-{product_id}-1", day, ground, "15/QĐ-UBND")
        self.registrations[product_id].actions.append(action)

    def withdraw(self, product_id: str, day: date) -> None:
        action = Withdrawal(day, "Chủ thể ngừng sản xuất")
        self.registrations[product_id].actions.append(action)

    def show(self, product_id: str, day: date, venue_ref: str, name: str) -> None:
        """A placement at a showroom or sales point since `day` (promotion's history of it)."""
        self.displays.append(Display(product_id, day, venue_ref, name, self.province))

    def place_in_fair(self, product_id: str, fair_ref: str) -> None:
        """A product that took part in a past fair, from its first day (recorded with it)."""
        self.fairs[fair_ref].product_refs.append(product_id)

    def media(self, kind: ActivityKind, day: date) -> None:
        """A media item, at promotion's POST /activities with its old unit."""
        activity_id = self._id("act")
        self.activities.append(
            {
                "kind": kind.value,
                "title": f"Tin OCOP {activity_id}",
                "occurred_on": day.isoformat(),
                "province_code": successor_of(self.province),
                "legacy_unit": {"province_code": self.province},
            }
        )

    def fair(self, day: date, commune: str, name: str) -> str:
        """A one-day fair in `commune` (the plan's unit); returns its reference."""
        fair_id = self._id("fair")
        # Named uniquely per run: promotion knows a past fair by province, day and name.
        self.fairs[fair_id] = PastFair(
            fair_id,
            f"{name}{self.suffix}",
            self.province,
            old_district(self.province, commune),
            commune,
            day,
        )
        return fair_id


def earlier_producer_day(product_day: date) -> date:
    """The day the producer of a rated product the plan does not name joined the programme:
    1 January of the year before its product's. So it is on record before the product is
    registered and rated, and before its plan's period (no such product is of a year after its
    plan's first): no plan counts it among the new producers, as the plans do not (dated the day
    its product was rated, it would be one; registered the day the demo runs, the registry would
    say it joined years after its product was rated)."""
    return date(product_day.year - 1, 1, 1)


def history(suffix: str = "") -> History:
    """The five plans' seasons as ocop_devstack.demo_driver enters them, all through the
    services' APIs: every producer, back-filled with the day it joined and its old address
    (registry); every product (registry, with its legacy code; the day it joined where that
    counts) and its ratings, certificates, revocations and withdrawal (evaluation, registry);
    Bắc Kạn's media items, Đồng Tháp's showroom placements and Tứ Kỳ's fairs with the products
    that took part, as history with their old unit (promotion)."""
    seasons = _seasons(suffix)
    return History(
        registrations=[r for season in seasons for r in season.registrations.values()],
        activities=[body for season in seasons for body in season.activities],
        producers=[joining for season in seasons for joining in season.producers],
        displays=[display for season in seasons for display in season.displays],
        fairs=[fair for season in seasons for fair in season.fairs.values()],
    )


def _seasons(suffix: str) -> tuple[_Season, ...]:
    tien_giang = ("82", "tg", suffix, 5, date(2021, 8, 10), ("28360", "28700"))
    old_thai_nguyen = ("19", "ty", suffix, 15, date(2022, 9, 9), ("05440", "05443"))
    return (
        _tay_ninh_2022(suffix),
        _dong_thap_2021(suffix),
        _season(*tien_giang),
        _bac_kan_2022(suffix),
        _season(*old_thai_nguyen),
        _tu_ky_2022(suffix),
        _hoa_binh_2018_2020(suffix),
    )


def _season(
    province: str, prefix: str, suffix: str, certified: int, day: date, communes: tuple[str, ...]
) -> _Season:
    """A merged province's season: only products newly certified on one day."""
    season = _Season(province, prefix, suffix)
    season.certified(certified, day, communes)
    return season


def _tay_ninh_2022(suffix: str) -> _Season:
    tn = _Season("72", "tn", suffix)
    tn.certified(7, date(2022, 6, 20), ("25480", "25483"), round_id=f"tn-2022-1{suffix}")
    tn.certified(5, date(2022, 11, 25), ("25486",), round_id=f"tn-2022-2{suffix}")
    late = tn.product(date(2022, 6, 1), "25483")  # rated outside the rounds
    tn.rate(late, date(2022, 6, 10), 3, 55.0)
    low = tn.product(date(2022, 6, 1), "25480")
    tn.rate(low, date(2022, 6, 20), 2, 45.0, round_id=f"tn-2022-1{suffix}")
    return tn


# QĐ 1048/2019 (the first rule set evaluation knows) took effect on 21 August 2019: the earlier
# ratings of Đồng Tháp's products are dated after it.
DT_EARLIER = date(2019, 9, 10)


def _dong_thap_2021(suffix: str) -> _Season:
    dt = _Season("87", "dt", suffix)
    day, communes = date(2021, 9, 15), ("29869", "29950", "30001")
    new = []
    # Every third at 4★; three of those rated 91 points, which evaluation proposes for 5★ itself
    # (a province's rating of 90 points or more).
    for i in range(30):
        commune = communes[i % 3]
        product_id = dt.product(day, commune)
        stars, score = (4, 91.0 if i in (0, 3, 6) else 72.0) if i % 3 == 0 else (3, 60.0 + i % 9)
        dt.rate(product_id, day, stars, score)
        new.append(product_id)
    for _ in range(8):  # certified 3★ in 2019, upgraded to 4★ in 2021
        product_id = dt.product(date(2019, 3, 1), "30120")
        dt.rate(product_id, DT_EARLIER, 3, 62.0)
        dt.rate(product_id, date(2021, 10, 5), 4, 74.0, version=2)
    # One 4★ product of 2019 raised to 5★ by the central council (92 points): an upgrade, but
    # not from 3★, and a product above 90 points.
    five = dt.product(date(2019, 3, 1), "30120")
    dt.rate(five, DT_EARLIER, 4, 78.0)
    dt.rate(five, date(2021, 12, 1), 5, 92.0, version=2, level=CENTRAL)
    _dong_thap_lapsed(dt)
    # Shown once certified (15 September): a placement needs a ≥3★ certificate.
    dt.show(new[0], date(2021, 9, 20), "sadec-showroom", "Điểm trưng bày OCOP Sa Đéc")
    dt.show(new[1], date(2021, 10, 1), "sadec-showroom", "Điểm trưng bày OCOP Sa Đéc")
    dt.show(new[2], date(2021, 11, 1), "caolanh-point", "Điểm bán OCOP Cao Lãnh")
    return dt


def _dong_thap_lapsed(dt: _Season) -> None:
    """Three products certified before 2021 that hold no valid certificate at the end of 2021
    (their latest rating still says 3★ or 4★): two revoked, one withdrawn. (Under QĐ 1048 a
    certificate is valid 36 months from August 2019 on, so none could expire by 2021.)"""
    stopped = dt.product(date(2019, 3, 1), "30120")
    dt.rate(stopped, DT_EARLIER, 3, 58.0)
    dt.revoke(stopped, date(2021, 5, 3), RevocationGround.PRODUCTION_STOPPED)
    revoked = dt.product(date(2020, 6, 1), "30120")
    dt.rate(revoked, date(2020, 7, 1), 3, 61.0)
    dt.revoke(revoked, date(2021, 6, 1), RevocationGround.CRITERIA_NO_LONGER_MET)
    withdrawn = dt.product(date(2020, 6, 1), "30120")
    dt.rate(withdrawn, date(2020, 7, 1), 4, 71.0)
    dt.withdraw(withdrawn, date(2021, 7, 1))


def _bac_kan_2022(suffix: str) -> _Season:
    bk = _Season("06", "bk", suffix)
    communes = ("01840", "01843", "01846")
    bk.certified(12, date(2022, 6, 15), communes, round_id=f"bk-2022-1{suffix}")
    bk.certified(10, date(2022, 11, 20), communes, round_id=f"bk-2022-2{suffix}")
    for i in range(8):
        bk.entity(
            date(2022, 3 + i, 5),
            communes[i % 3],
            LegalForm.COOPERATIVE if i % 2 else LegalForm.HOUSEHOLD,
            women_led=i < 3,
            ethnic_minority_led=i >= 3,
        )
    for i in range(20):
        bk.media(ActivityKind.NEWS_ITEM, date(2022, 2 + i % 11, 12 + i // 11))
    for i in range(11):
        bk.media(ActivityKind.TV_REPORT, date(2022, 1 + i, 20))
    return bk


def _tu_ky_2022(suffix: str) -> _Season:
    # Every product registered with its day, in its old commune: the district's fair placements
    # count by the commune of the product then.
    tk = _Season("30", "tk", suffix, dated=True)
    # Producers of earlier years (not new in 2022), one in the district and one outside it.
    district_producer = tk.entity(date(2019, 5, 2), TU_KY_COMMUNES[0], LegalForm.COOPERATIVE)
    outside_producer = tk.entity(date(2019, 5, 2), "10600", LegalForm.ENTERPRISE)
    # New producers of 2022: two cooperatives and a household in the district, a cooperative
    # elsewhere in Hải Dương.
    coop = tk.entity(date(2022, 3, 1), TU_KY_COMMUNES[1], LegalForm.COOPERATIVE)
    tk.entity(date(2022, 4, 1), TU_KY_COMMUNES[3], LegalForm.COOPERATIVE)
    tk.entity(date(2022, 5, 1), TU_KY_COMMUNES[4], LegalForm.HOUSEHOLD)
    tk.entity(date(2022, 6, 1), "10600", LegalForm.COOPERATIVE)
    # 11 newly certified in the district: 10 of the earlier producer's products in June, and
    # the new cooperative's product (registered 1 July) in October; 5 elsewhere in Hải Dương.
    ours = tk.certified(10, date(2022, 6, 15), TU_KY_COMMUNES, district_producer)
    coop_product = tk.product(date(2022, 7, 1), TU_KY_COMMUNES[1], coop)
    tk.rate(coop_product, date(2022, 10, 12), 3, 62.0)
    others = tk.certified(5, date(2022, 6, 15), ("10600", "10603"), outside_producer)
    fairs = (
        tk.fair(date(2022, 8, 26), TU_KY_COMMUNES[0], "Hội chợ OCOP huyện Tứ Kỳ 2022"),
        tk.fair(date(2022, 12, 15), TU_KY_COMMUNES[2], "Phiên chợ sản phẩm OCOP Tứ Kỳ"),
    )
    # In the fairs (each product certified by then: promotion records only certified products
    # in a fair): two of the earlier producer's products (one at both), the new cooperative's
    # product, and a product from outside the district.
    placed = ((ours[0], 0), (ours[1], 0), (others[0], 0), (ours[0], 1), (coop_product, 1))
    for product_id, i in placed:
        tk.place_in_fair(product_id, fairs[i])
    return tk


def _hoa_binh_2018_2020(suffix: str) -> _Season:
    hb = _Season("17", "hb", suffix)
    for i in range(12):
        day = date(2018 + i % 3, 4 + i % 6, 10)
        entity_id = hb.entity(day, "04420", LegalForm.COOPERATIVE)
        if i < 11:  # the last one has no product in the programme yet
            hb.product(day, "04420", entity_id)
    return hb
