"""Every service's "today" is Vietnam's, whatever the hour: from 17:00 UTC on it is already the
next day there (`./dev test-evening` runs this module with every clock moved to 17:39 UTC)."""

from __future__ import annotations

import httpx
import pytest

from ocop_contracts.clock import today_in_vietnam
from ocop_devstack.services import ServiceStack
from tests.e2e.support import expect

pytestmark = pytest.mark.e2e


async def test_reporting_reports_as_of_vietnam_s_date(
    http: httpx.AsyncClient, services: ServiceStack
) -> None:
    before = today_in_vietnam()
    overview = expect(
        await http.get(
            f"{services.url('reporting')}/reports/overview",
            params={"province_code": "82", "year": before.year},
        ),
        200,
    )
    assert overview["as_of"] in {before.isoformat(), today_in_vietnam().isoformat()}


async def test_evaluation_s_clock_is_vietnam_s_date(
    http: httpx.AsyncClient, services: ServiceStack
) -> None:
    before = today_in_vietnam()
    clock = expect(await http.get(f"{services.url('evaluation')}/admin/clock"), 200)
    assert clock["today"] in {before.isoformat(), today_in_vietnam().isoformat()}


async def test_the_dashboard_opens_on_vietnam_s_year(services: ServiceStack) -> None:
    before = today_in_vietnam()
    async with httpx.AsyncClient() as client:
        page = expect_text(await client.get(f"{services.url('reporting')}/"))
    assert f"&quot;today&quot;: &quot;{before.isoformat()}" in page or (
        f"&quot;today&quot;: &quot;{today_in_vietnam().isoformat()}" in page
    )
    assert f"&quot;year&quot;: {today_in_vietnam().year}" in page


def expect_text(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    return response.text
