"""The five published plans end to end: targets and activity reports through reporting's API,
and all of their history through the services' APIs (ocop_devstack.demo_driver, nothing
hand-made): the seasons' products, ratings, certificates, revocations and withdrawals through
the registry's and evaluation's APIs, every producer back-filled at the registry with the day it
joined and its old address (the new producers of Bắc Kạn, Tứ Kỳ and Hòa Bình and Tứ Kỳ's
producers of earlier years on the plan's day, the producers of the other rated products before
their plan's period) and Hòa Bình's and Tứ Kỳ's products with the day they joined
(registered_on, legacy code), Bắc Kạn's media items, Đồng Tháp's 2021 showroom placements and
Tứ Kỳ's 2022 fairs with the products that took part through promotion's; and the figures of the API,
the exports, the metrics and the dashboard checked against expectations worked out by hand from
ocop_devstack.demo_fixtures' description. Tứ Kỳ's district targets count the facts of the
district's communes as they were in 2022: the old commune the services' events carry.

History entered through the services today is known from today: a report as_of a day of 2022
counts it only as corrected (view=as_corrected), never as known then."""

from __future__ import annotations

import contextlib
import io
import uuid
import zipfile
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio

from ocop_devstack import demo_driver, demo_fixtures
from ocop_devstack.infra import Infra
from ocop_devstack.services import SERVICES, ServiceStack
from tests.e2e.support import eventually, expect

pytestmark = pytest.mark.e2e

# Expected (actual, percent, standing) per target, by hand from the fixture description. Every
# plan's period is over, so a goal not reached is not_met (not behind).
EXPECTED: dict[str, tuple[float | None, float | None, str]] = {
    # 7 + 5 new 3–4★ in the rounds + 1 rated on 10 June and recorded on 15 July; not the 2★ one
    "tn22-certified": (13, 130.0, "attained"),
    "tn22-rounds": (2, 100.0, "attained"),
    "dt21-certified": (30, 61.2, "not_met"),  # 30 / 49, the year is over
    # 8 upgraded 3★→4★ / 20; the 4★→5★ upgrade is not from 3★ (without from_stars: 9)
    "dt21-upgraded": (8, 40.0, "not_met"),
    "dt21-proposals": (4, 100.0, "attained"),  # 3 proposed + the 5★ product rated 92 points
    "dt21-sales": (2, 100.0, "attained"),  # Sa Đéc showroom (twice) + Cao Lãnh point
    "dt21-trained": (None, None, "not_derived"),  # officials: nothing reported
    "dt21-producers-trained": (75, 75.0, "not_met"),  # 90 producers reported, of a base of 120
    "dt21-design-centre": (None, None, "not_derived"),  # evidence only, none reported
    "bk22-certified": (22, 110.0, "attained"),  # 12 + 10; old Thái Nguyên's 15 not here
    "bk22-traceable": (10, 100.0, "attained"),  # reported
    "bk22-value-chain": (4, 66.7, "not_met"),  # reported 4 / 6
    "bk22-producers": (8, 100.0, "attained"),
    "bk22-consolidated": (None, None, "not_derived"),  # evidence only, none reported
    "bk22-media": (1.82, 90.9, "not_met"),  # 20 items over the 11 months Feb–Dec: 1.82/month
    "bk22-tv": (11, 110.0, "attained"),
    "tk22-certified": (11, 110.0, "attained"),  # the district's communes only, not the other 5
    "tk22-fairs": (2, 200.0, "attained"),
    # Placements in fairs: 2 district products (one at both fairs) and the new cooperative's
    # product; the product from outside the district does not count.
    "tk22-fair-products": (3, 300.0, "attained"),
    "tk22-fair-producers": (2, 200.0, "attained"),  # the existing producer, the new cooperative
    "tk22-cooperatives": (2, 200.0, "attained"),  # not the household, nor the one outside
    "hb20-standardised": (55, 110.0, "attained"),  # 20 + 35 reported
    "hb20-villages": (12, 120.0, "attained"),  # range 10–15: percent of the minimum
    "hb20-producers": (11, 110.0, "attained"),  # 12 new, 11 with a product registered
    "hb20-officials": (280, 93.3, "not_met"),
}
# Where each plan is reported: (province_code, edition, year).
UNITS = demo_fixtures.PLAN_UNITS


class Plans:
    def __init__(self, url: str, suffix: str, client: httpx.AsyncClient) -> None:
        self.url, self.suffix, self.client = url, suffix, client

    async def progress(self, plan: str, **params: Any) -> dict[str, Any]:
        code, edition, year = UNITS[plan]
        query = {"province_code": code, "edition": edition, "year": year, **params}
        report: dict[str, Any] = expect(
            await self.client.get(f"{self.url}/reports/progress", params=query), 200
        )
        return report

    async def rows(self, plan: str, **params: Any) -> dict[str, dict[str, Any]]:
        report = await self.progress(plan, **params)
        return {
            t["target_id"].removesuffix(self.suffix): t
            for t in report["targets"]
            if t["target_id"].endswith(self.suffix)
        }


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def plans(infra: Infra, services: ServiceStack, token: str) -> AsyncIterator[Plans]:
    suffix = f"-{uuid.uuid4().hex[:6]}"
    url = services.url("reporting")
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(headers=headers, timeout=20.0) as client:
        for body in demo_fixtures.plan_targets(suffix):
            expect(await client.post(f"{url}/targets", json=body), 201)
        for body in demo_fixtures.activity_reports(suffix):
            expect(await client.post(f"{url}/activities", json=body), 201)
        urls = {name: services.url(name) for name in SERVICES}
        history = demo_fixtures.history(suffix)
        await demo_driver.drive(history, urls, token)
        plans = Plans(url, suffix, client)

        async def all_in() -> bool | None:
            # Every plan's figures as expected: all the history is in.
            for plan in ("hb20", "tk22", "bk22", "dt21", "tn22"):
                rows = await plans.rows(plan)
                for target_id, row in rows.items():
                    if row["actual"] != EXPECTED[target_id][0]:
                        return None
            return True

        # On a timeout the per-target tests below report which figure differs.
        with contextlib.suppress(AssertionError):
            await eventually(all_in, timeout=180, what="the plans' events to be counted")
        yield plans


@pytest.mark.parametrize("plan", list(UNITS))
async def test_each_plan_shows_the_figures_worked_out_by_hand(plans: Plans, plan: str) -> None:
    rows = await plans.rows(plan)
    expected = {k: v for k, v in EXPECTED.items() if k.startswith(plan)}
    assert {k: (r["actual"], r["percent"], r["standing"]) for k, r in rows.items()} == expected


async def test_bac_kan_plan_shows_within_todays_thai_nguyen_with_the_same_figures(
    plans: Plans,
) -> None:
    report = await plans.progress("bk22", province_code="19", edition="2025")
    assert report["unit"]["merged_from"] == ["06", "19"]
    rows = {
        t["target_id"].removesuffix(plans.suffix): t
        for t in report["targets"]
        if t["target_id"].endswith(plans.suffix)
    }
    assert rows["bk22-certified"]["province_name"] == "Bắc Kạn"
    assert rows["bk22-certified"]["actual"] == 22


async def test_merged_provinces_roll_up_without_double_counting(plans: Plans) -> None:
    async def certified(code: str, edition: str) -> int:
        overview = expect(
            await plans.client.get(
                f"{plans.url}/reports/overview",
                params={"province_code": code, "edition": edition, "year": 2022},
            ),
            200,
        )
        return int(overview["certified_products"])

    bac_kan, old_thai_nguyen = await certified("06", "2008"), await certified("19", "2008")
    assert (bac_kan, old_thai_nguyen) == (22, 15)
    assert await certified("19", "2025") == bac_kan + old_thai_nguyen


async def test_the_star_mix_counts_only_certificates_valid_on_the_day(plans: Plans) -> None:
    overview = expect(
        await plans.client.get(
            f"{plans.url}/reports/overview",
            params={"province_code": "87", "edition": "2008", "year": 2021},
        ),
        200,
    )
    # End of 2021: the 30 new products (every third at 4★: 10), the 8 upgraded to 4★ (their 3★
    # certificates replaced by the later ones) and the 5★ one. The expired, the revoked and the
    # withdrawn product keep a 3–4★ latest rating but no valid certificate: not counted.
    assert overview["star_mix"] == {"3": 20, "4": 18, "5": 1}
    assert overview["certified_products"] == 39


async def test_a_report_as_of_a_past_date_counts_only_what_had_happened(plans: Plans) -> None:
    rows = await plans.rows("bk22", as_of="2022-06-30", view="as_corrected")
    # Only the first round (15 June, 12 products) had happened; nothing reported yet.
    assert rows["bk22-certified"]["actual"] == 12
    assert rows["bk22-traceable"]["standing"] == "not_derived"
    # As known on that day: nothing — the platform learnt this history when it was entered.
    # (Was 12 while hand-made events claimed to be recorded in 2022; the services record a
    # rating the day it is entered.)
    known = await plans.rows("bk22", as_of="2022-06-30")
    assert known["bk22-certified"]["actual"] == 0


async def test_as_of_a_day_the_report_shows_what_was_known_then_or_as_corrected(
    plans: Plans,
) -> None:
    # 30 June 2022: the first round (20 June, 7 products) and the rating of 10 June had
    # happened. As corrected counts all 8. As known (the default) counts none: the services
    # recorded Tây Ninh's 2022 history when the driver entered it, not in 2022. (Was (7, 8)
    # while hand-made events claimed the round was recorded on its day and the 10 June rating
    # on 15 July; recording ratings in the past is something evaluation never does. Reporting's
    # own tests keep a late arrival within the day's knowledge.)
    known = await plans.progress("tn22", as_of="2022-06-30")
    corrected = await plans.progress("tn22", as_of="2022-06-30", view="as_corrected")
    assert (known["view"], corrected["view"]) == ("as_known", "as_corrected")

    def certified(report: dict[str, Any]) -> Any:
        (row,) = [t for t in report["targets"] if t["target_id"] == f"tn22-certified{plans.suffix}"]
        return row["actual"]

    assert (certified(known), certified(corrected)) == (0, 8)

    async def overview(**params: str) -> dict[str, Any]:
        query = {"province_code": "72", "edition": "2008", "year": "2022", "as_of": "2022-06-30"}
        response = await plans.client.get(f"{plans.url}/reports/overview", params=query | params)
        found: dict[str, Any] = expect(response, 200)
        return found

    as_known, as_corrected = await overview(), await overview(view="as_corrected")
    assert (as_known["certified_products"], as_corrected["certified_products"]) == (0, 8)


async def test_a_view_that_is_not_one_of_the_two_is_a_422_naming_it(plans: Plans) -> None:
    response = await plans.client.get(
        f"{plans.url}/reports/progress",
        params={"province_code": "72", "year": 2022, "as_of": "2022-06-30", "view": "as_then"},
    )
    assert response.status_code == 422
    assert "view" in response.text


async def test_the_overview_gives_the_producer_mix(plans: Plans) -> None:
    # As corrected: Bắc Kạn's producers are back-filled at the registry today (registered on
    # their days), so as known on 31 December 2022 there were none. (Was as known while
    # hand-made events claimed the registry recorded them in 2022.) The mix counts every
    # producer on record by the day, of all years: the 8 new ones of 2022 (4 cooperatives, 4
    # households) and the producers of the 22 products rated in 2022, cooperatives that joined
    # in 2021, before the plan (demo_fixtures.earlier_producer_day). (Was 8 while those were
    # registered the day the demo ran, with no old address: after 2022, outside old Bắc Kạn.)
    params: dict[str, str | int] = {"province_code": "06", "edition": "2008", "year": 2022}

    async def mix_on(day: str) -> dict[str, Any]:
        overview = expect(
            await plans.client.get(
                f"{plans.url}/reports/overview",
                params=params | {"as_of": day, "view": "as_corrected"},
            ),
            200,
        )
        found: dict[str, Any] = overview["producer_mix"]
        return found

    mix = await mix_on("2022-12-31")
    assert (mix["total"], mix["women_led"], mix["ethnic_minority_led"]) == (30, 3, 5)
    assert mix["by_legal_form"] == {"cooperative": 26, "household": 4}
    before = await mix_on("2021-12-31")  # before the plan: only the rated products' producers
    assert (before["total"], before["by_legal_form"]) == (22, {"cooperative": 22})


async def test_the_csv_export_has_the_api_figures(plans: Plans) -> None:
    response = await plans.client.get(
        f"{plans.url}/exports/progress.csv",
        params={"province_code": "87", "edition": "2008", "year": 2021},
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    lines = response.content.decode("utf-8-sig").splitlines()
    header = lines[0].split(",")
    rows = [dict(zip(header, line.split(","), strict=False)) for line in lines[1:]]
    mine = {r["target_id"].removesuffix(plans.suffix): r for r in rows}
    assert (mine["dt21-certified"]["actual"], mine["dt21-certified"]["standing"]) == (
        "30",
        "not_met",
    )
    # A target no event can compute says so, instead of a silent 0.
    assert (mine["dt21-design-centre"]["actual"], mine["dt21-design-centre"]["basis"]) == (
        "",
        "evidence",
    )
    assert mine["dt21-certified"]["basis"] == "facts"


async def test_targets_needing_evidence_are_flagged_in_the_json(plans: Plans) -> None:
    rows = await plans.rows("dt21")
    assert {k for k, r in rows.items() if r["basis"] == "evidence"} == {
        "dt21-trained",
        "dt21-producers-trained",
        "dt21-design-centre",
    }
    assert rows["dt21-upgraded"]["from_stars"] == 3


async def test_the_xlsx_export_is_a_workbook_with_the_api_figures(plans: Plans) -> None:
    response = await plans.client.get(
        f"{plans.url}/exports/progress.xlsx",
        params={"province_code": "06", "edition": "2008", "year": 2022},
    )
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.content)) as workbook:
        sheet = workbook.read("xl/worksheets/sheet1.xml").decode()
    assert f"bk22-certified{plans.suffix}" in sheet
    assert "Ít nhất 20 sản phẩm mới đạt từ 3 sao" in sheet


async def test_openmetrics_exposes_the_headline_figures(plans: Plans) -> None:
    response = await plans.client.get(f"{plans.url}/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    text = response.text
    assert text.rstrip().endswith("# EOF")
    # Today's Thái Nguyên (19) holds Bắc Kạn's and old Thái Nguyên's ratings.
    lines = [line for line in text.splitlines() if line.startswith("ocop_rated_products_total")]
    for_19 = sum(int(line.rsplit(" ", 1)[1]) for line in lines if 'province="19"' in line)
    assert for_19 >= 37


async def test_the_national_view_lists_all_34_provinces(plans: Plans) -> None:
    report = expect(
        await plans.client.get(f"{plans.url}/reports/national", params={"year": 2022}), 200
    )
    by_code = {row["province_code"]: row for row in report["provinces"]}
    assert len(by_code) == 34
    assert by_code["19"]["new_certified"] >= 37
    # Valid at the end of 2022: the 37 products certified in 2022 (and no 2025 ones yet), as
    # corrected: the services learnt them when the driver entered them.
    as_of = expect(
        await plans.client.get(
            f"{plans.url}/reports/national",
            params={"year": 2022, "as_of": "2022-12-31", "view": "as_corrected"},
        ),
        200,
    )
    assert {r["province_code"]: r for r in as_of["provinces"]}["19"]["certified"] >= 37


# --- the dashboard in headless Chromium ---------------------------------------------------------


def _png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Decode an 8-bit RGB/RGBA, non-interlaced PNG (what Chromium writes) into pixel rows."""
    import struct
    import zlib

    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks, header = 8, b"", b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        header = body if kind == b"IHDR" else header
        chunks += body if kind == b"IDAT" else b""
        pos += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and colour in (2, 6), "Chromium writes 8-bit RGB(A)"
    bpp = 3 if colour == 2 else 4
    raw, stride, rows, prev = zlib.decompress(chunks), width * bpp, [], bytearray(width * bpp)
    for y in range(height):
        kind, line = (
            raw[y * (stride + 1)],
            bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)]),
        )
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line[j] for j in range(stride) if j % bpp < 3))
        prev = line
    return width, height, rows


def _count_colour(png: bytes, rgb: tuple[int, int, int], tolerance: int = 12) -> int:
    _, _, rows = _png_pixels(png)
    found = 0
    for row in rows:
        for i in range(0, len(row), 3):
            if all(abs(row[i + k] - rgb[k]) <= tolerance for k in range(3)):
                found += 1
    return found


GREEN, DARK_RED, TEAL, AMBER, BLUE = (
    (0x1F, 0x9D, 0x55),
    (0x91, 0x20, 0x18),
    (0x0E, 0x74, 0x90),
    (0xC9, 0x8A, 0x00),
    (0x25, 0x63, 0xEB),
)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def browser() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    from ocop_devstack.browser import CHROMIUM_ARGS, ensure_chromium

    executable = ensure_chromium()  # installs Debian's chromium when missing; never skips
    async with async_playwright() as p:
        launched = await p.chromium.launch(
            executable_path=str(executable), args=list(CHROMIUM_ARGS), headless=True
        )
        try:
            yield launched
        finally:
            await launched.close()


async def _open(browser: Any, url: str) -> Any:
    page = await browser.new_page(viewport={"width": 1280, "height": 1400})
    await page.goto(url)
    await page.wait_for_selector("body[data-ready='true']", timeout=20_000)
    return page


async def test_the_dashboard_shows_the_plan_figures_in_vietnamese(
    plans: Plans, browser: Any
) -> None:
    page = await _open(browser, f"{plans.url}/?province_code=06&edition=2008&year=2022")
    try:
        row = page.locator(f"tr[data-target='bk22-certified{plans.suffix}']")
        assert (await row.locator("td.actual").inner_text()).strip() == "22"
        assert "Đạt" in await row.inner_text()
        media = page.locator(f"tr[data-target='bk22-media{plans.suffix}']")
        assert "Không đạt" in await media.inner_text()  # 2022 is over: not met, not "Chậm"
        assert await page.locator("h1").inner_text() == "Tiến độ OCOP"
        assert (await page.locator("#women-led").inner_text()).strip() == "3"
        consolidated = page.locator(f"tr[data-target='bk22-consolidated{plans.suffix}']")
        assert "Không tính được từ dữ liệu" in await consolidated.inner_text()
        assert "Tính từ dữ liệu" in await row.inner_text()
        # Official names, never the contracts' codes: Bắc Kạn's cooperatives and households.
        mix = page.locator("#producer-mix")
        coops = mix.locator("tr[data-legal-form='cooperative']")
        households = mix.locator("tr[data-legal-form='household']")
        assert (await coops.inner_text()).split("\t")[0].strip() == "Hợp tác xã"
        assert (await households.inner_text()).split("\t")[0].strip() == "Hộ kinh doanh"
        assert "Loại hình chủ thể" in await mix.locator("th").all_inner_texts()
        assert "Thực phẩm" in await page.locator("#sectors").inner_text()
        assert "3 sao" in ((await page.locator("#chart-stars").text_content()) or "")
        shown = await page.locator("main").inner_text()
        for raw in ("cooperative", "household", "Đơn vị", "★", "progress.csv", "as_known"):
            assert raw not in shown, raw
    finally:
        await page.close()


async def test_the_dashboard_switches_to_english(plans: Plans, browser: Any) -> None:
    page = await _open(browser, f"{plans.url}/?province_code=06&edition=2008&year=2022")
    try:
        await page.click("#lang")
        await page.wait_for_selector("html[lang='en'] body[data-ready='true']", timeout=20_000)
        assert await page.locator("h1").inner_text() == "OCOP progress"
        row = page.locator(f"tr[data-target='bk22-certified{plans.suffix}']")
        assert "Attained" in await row.inner_text()
        mix = page.locator("#producer-mix")
        coops = mix.locator("tr[data-legal-form='cooperative']")
        assert (await coops.inner_text()).split("\t")[0].strip() == "Cooperative"
        assert "Food" in await page.locator("#sectors").inner_text()
        assert "3 stars" in ((await page.locator("#chart-stars").text_content()) or "")
        shown = await page.locator("main").inner_text()
        for vietnamese in ("Hợp tác xã", "Thực phẩm", "Tính từ dữ liệu", "Theo dữ liệu"):
            assert vietnamese not in shown, vietnamese
    finally:
        await page.close()


async def test_the_province_picker_opens_another_unit(plans: Plans, browser: Any) -> None:
    page = await _open(browser, f"{plans.url}/?province_code=06&edition=2008&year=2022")
    try:
        await page.select_option("#province", "2008:87")
        await page.fill("#year", "2021")
        await page.click("#show")
        await page.wait_for_url("**province_code=87**")
        await page.wait_for_selector("body[data-ready='true']", timeout=20_000)
        row = page.locator(f"tr[data-target='dt21-certified{plans.suffix}']")
        assert (await row.locator("td.actual").inner_text()).strip() == "30"
    finally:
        await page.close()


async def test_the_dashboard_says_which_as_of_view_it_shows(plans: Plans, browser: Any) -> None:
    url = f"{plans.url}/?province_code=72&edition=2008&year=2022&as_of=2022-06-30"
    page = await _open(browser, url)
    try:
        shown = page.locator("#view-shown")
        assert await shown.get_attribute("data-view") == "as_known"
        assert "Theo dữ liệu đã biết vào ngày đó" in await shown.inner_text()
        row = page.locator(f"tr[data-target='tn22-certified{plans.suffix}']")
        # Nothing as known on 30 June 2022: the history was entered since (see above).
        assert (await row.locator("td.actual").inner_text()).strip() == "0"
        await page.select_option("#view", "as_corrected")
        await page.click("#show")
        await page.wait_for_url("**view=as_corrected**")
        await page.wait_for_selector("body[data-ready='true']", timeout=20_000)
        assert await shown.get_attribute("data-view") == "as_corrected"
        assert "kể cả bổ sung sau ngày đó" in await shown.inner_text()
        assert (await row.locator("td.actual").inner_text()).strip() == "8"
    finally:
        await page.close()


async def test_the_charts_render_in_the_screenshot(plans: Plans, browser: Any) -> None:
    page = await _open(browser, f"{plans.url}/?province_code=06&edition=2008&year=2022")
    try:
        progress = await page.locator("#chart-progress").screenshot()
        stars = await page.locator("#chart-stars").screenshot()
        trend = await page.locator("#chart-trend").screenshot()
    finally:
        await page.close()
    # Bars as drawn: attained targets green, those not met dark red; star mix amber; trend blue.
    assert _count_colour(progress, GREEN) > 500
    assert _count_colour(progress, DARK_RED) > 500
    assert _count_colour(stars, AMBER) > 500
    assert _count_colour(trend, BLUE) > 500


async def test_a_figure_above_the_range_is_exceeded_in_the_api_the_export_and_the_dashboard(
    services: ServiceStack, http: httpx.AsyncClient, browser: Any, year: int
) -> None:
    url = services.url("reporting")
    target_id = f"tgt-range-{uuid.uuid4().hex[:8]}"
    unit: dict[str, str | int] = {"province_code": "96", "year": year}  # a year of its own
    trained = {"metric": "people_trained", "province_code": "96", "evidence": "Quyết định 7/QĐ"}
    target = {
        **trained,
        "target_id": target_id,
        "plan_ref": "15/KH-UBND",
        "label": "Tập huấn 10–15 cán bộ làm công tác OCOP",
        "year_from": year,
        "year_to": year,
        "minimum": 10,
        "maximum": 15,
    }
    expect(await http.post(f"{url}/targets", json=target), 201)
    activity = {**trained, "quantity": 18, "occurred_on": f"{year}-03-01"}
    expect(await http.post(f"{url}/activities", json=activity), 201)

    report = expect(await http.get(f"{url}/reports/progress", params=unit), 200)
    (row,) = [t for t in report["targets"] if t["target_id"] == target_id]
    assert (row["actual"], row["percent"], row["standing"]) == (18, 180.0, "exceeded")

    exported = await http.get(f"{url}/exports/progress.csv", params=unit)
    lines = exported.content.decode("utf-8-sig").splitlines()
    rows = [dict(zip(lines[0].split(","), line.split(","), strict=False)) for line in lines[1:]]
    assert [r["standing"] for r in rows if r["target_id"] == target_id] == ["exceeded"]

    page = await _open(browser, f"{url}/?province_code=96&year={year}")
    try:
        shown = f"tr[data-target='{target_id}']"
        assert "Vượt chỉ tiêu" in await page.locator(shown).inner_text()
        assert _count_colour(await page.locator("#chart-progress").screenshot(), TEAL) > 500
        await page.click("#lang")  # reloads the page in English
        await page.wait_for_selector("html[lang='en'] body[data-ready='true']", timeout=20_000)
        assert "Above the range" in await page.locator(shown).inner_text()
    finally:
        await page.close()
