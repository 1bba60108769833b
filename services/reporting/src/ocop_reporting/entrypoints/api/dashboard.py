"""The dashboard page and its bundled script and style (no third-party code, no CDN)."""

from __future__ import annotations

import html
import json
from importlib import resources
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from ocop_contracts.reference import current_provinces, legacy_provinces
from ocop_reporting.domain.knowledge import View
from ocop_reporting.domain.labels import legal_form_labels, sector_labels
from ocop_reporting.entrypoints.api.deps import (
    AsOfQuery,
    EditionQuery,
    ProvinceQuery,
    ServiceDep,
    ViewQuery,
)

router = APIRouter(tags=["dashboard"])


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def dashboard(
    service: ServiceDep,
    province_code: ProvinceQuery = "82",
    year: Annotated[int | None, Query(ge=2018, le=2100)] = None,
    lang: Literal["vi", "en"] = "vi",
    edition: EditionQuery = None,
    as_of: AsOfQuery = None,
    view: ViewQuery = View.AS_KNOWN,
) -> str:
    """The dashboard page: the picker and the charts are drawn by the bundled script from the
    JSON API (no CDN). The year defaults to the current one in Vietnam."""
    today = service.today()
    year = year or today.year
    provinces = [
        {"code": c, "name": p.name, "edition": "2025"} for c, p in current_provinces().items()
    ] + [{"code": c, "name": p.name, "edition": "2008"} for c, p in legacy_provinces().items()]
    config = {
        "province_code": province_code,
        "year": year,
        "today": today.isoformat(),
        "lang": lang,
        "edition": edition,
        "as_of": as_of.isoformat() if as_of else None,
        "view": view.value,
        "provinces": provinces,
        "labels": {"legal_forms": legal_form_labels(), "sectors": sector_labels()},
    }
    data = html.escape(json.dumps(config, ensure_ascii=False), quote=True)
    return (
        "<!doctype html>"
        f'<html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>OCOP — Tiến độ / Progress</title>"
        '<link rel="stylesheet" href="/static/dashboard.css"></head>'
        f'<body><div id="app" data-config="{data}"></div>'
        '<script src="/static/dashboard.js"></script></body></html>'
    )


@router.get("/static/{name}", include_in_schema=False)
async def static(name: Literal["dashboard.js", "dashboard.css"]) -> Response:
    media = "text/javascript" if name.endswith(".js") else "text/css"
    return Response(
        _asset(name), media_type=f"{media}; charset=utf-8", headers={"Cache-Control": "no-cache"}
    )


def _asset(name: str) -> str:
    return resources.files("ocop_reporting").joinpath("static", name).read_text(encoding="utf-8")
