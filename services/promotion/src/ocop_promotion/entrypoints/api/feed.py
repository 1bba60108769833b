"""The newly-starred feed: paged, one entry, and live (Server-Sent Events)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import StreamingResponse

from ocop_promotion.domain.feed import Change, entry_json
from ocop_promotion.entrypoints.api.deps import (
    Page,
    PageSize,
    PromotionDep,
    ProvinceFilter,
    classification,
)
from ocop_promotion.entrypoints.api.schemas.feed import FeedEntryPublic, FeedPage
from ocop_promotion.service_layer.queries import FeedQuery
from ocop_promotion.service_layer.services import PromotionService

STREAM_POLL_SECONDS = 1.0
HEARTBEAT_SECONDS = 15.0
SSE_RESPONSE = {
    "description": "`newly_starred` events; the `data:` of each is one feed entry",
    "content": {
        "text/event-stream": {
            "schema": {"type": "string"},
            "itemSchema": {"$ref": "#/components/schemas/FeedEntryPublic"},
        }
    },
}


def _feed_query(
    province_code: ProvinceFilter = None,
    sector: Annotated[str | None, Query(description="QĐ26 sector, e.g. I")] = None,
    group: Annotated[str | None, Query(description="QĐ26 group, e.g. I.3")] = None,
    min_stars: Annotated[int, Query(ge=3, le=5)] = 3,
    stars: Annotated[int | None, Query(ge=3, le=5, description="exactly this many")] = None,
    change: Annotated[Change | None, Query()] = None,
    page: Page = 1,
    page_size: PageSize = 50,
) -> FeedQuery:
    for name, code in (("sector", sector), ("group", group)):
        if code is not None:
            classification([code], name, expect_parts=1 if name == "sector" else 2)
    return FeedQuery(
        province_code=province_code,
        min_stars=min_stars,
        page=page,
        page_size=page_size,
        stars=stars,
        sector_code=sector.upper() if sector else None,
        group_code=group.upper() if group else None,
        change=change,
    )


FeedQueryDep = Annotated[FeedQuery, Depends(_feed_query)]

router = APIRouter(tags=["newly-starred feed"])


@router.get("/feed", response_model=FeedPage, summary="Products that newly reached ≥3★")
async def newly_starred(service: PromotionDep, query: FeedQueryDep) -> FeedPage:
    """Every product that newly reached ≥3★ (first certification or upgrade), once, newest
    first; filter by province, QĐ26 sector or group, stars and kind of change."""
    entries, total = await service.feed(query)
    items = [FeedEntryPublic.model_validate(entry_json(e)) for e in entries]
    return FeedPage(items=items, total=total, page=query.page, page_size=query.page_size)


@router.get(
    "/feed/stream",
    summary="The newly-starred feed, live (Server-Sent Events)",
    response_class=StreamingResponse,
    responses={200: SSE_RESPONSE},
)
async def newly_starred_stream(
    request: Request,
    service: PromotionDep,
    query: FeedQueryDep,
    last_event_id: Annotated[str | None, Header(alias="Last-Event-ID")] = None,
) -> StreamingResponse:
    """One `newly_starred` event per new entry (`id:` is the entry id, `data:` the entry as in
    GET /feed), with the same filters. Starts with entries recorded from now on; a client that
    reconnects with `Last-Event-ID` resumes after that entry. A comment every 15 s keeps idle
    connections open."""
    since = service.now()
    seen: set[str] = set()
    if last_event_id:
        resumed = await service.feed_entry(last_event_id)
        if resumed.recorded_at is not None:
            since = resumed.recorded_at
        seen.add(last_event_id)
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    events = _events(request, service, query, since, seen)
    return StreamingResponse(events, media_type="text/event-stream", headers=headers)


async def _events(
    request: Request,
    service: PromotionService,
    query: FeedQuery,
    since: datetime,
    seen: set[str],
) -> AsyncIterator[str]:
    yield ": connected\n\n"
    idle = 0.0
    while not await request.is_disconnected():
        entries = await service.feed_since(query, since, limit=200)
        fresh = [e for e in entries if e.entry_id not in seen]
        for entry in fresh:
            payload = json.dumps(entry_json(entry), ensure_ascii=False)
            yield f"id: {entry.entry_id}\nevent: newly_starred\ndata: {payload}\n\n"
            seen.add(entry.entry_id)
        newest = entries[-1].recorded_at if entries else None
        if newest is not None and newest > since:
            # Keep only the ids at the new boundary instant: they will be read again.
            since = newest
            seen.intersection_update(e.entry_id for e in entries if e.recorded_at == since)
        idle = 0.0 if fresh else idle + STREAM_POLL_SECONDS
        if idle >= HEARTBEAT_SECONDS:
            idle = 0.0
            yield ": keep-alive\n\n"
        await service.wait_for_feed(STREAM_POLL_SECONDS)


@router.get("/feed/{entry_id}", response_model=FeedEntryPublic, summary="One feed entry")
async def feed_entry(service: PromotionDep, entry_id: str) -> FeedEntryPublic:
    return FeedEntryPublic.model_validate(entry_json(await service.feed_entry(entry_id)))
