"""Home: what finance looks at first — receivables aging, open and overdue amounts, collected per week,
AutoPay coverage and dunning outcomes — from the public API's reports, drawn by Chart.js."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request

from duely_gateway.dashboard import charts
from duely_gateway.dashboard.api_client import ApiProblem
from duely_gateway.dashboard.render import page
from duely_gateway.dashboard.session import SignedIn, Viewer

router = APIRouter()


async def _as_of(viewer: Viewer) -> str | None:
    """The organization's own today: a test-mode organization whose test clock moved ages its invoices by it
    (dunning owns time); None means the API's today."""
    try:
        clock = await viewer.api.get("/v1/test_clocks/current")
    except ApiProblem:
        return None
    return clock["now"][:10] if clock.get("offset_seconds") else None


@router.get("/dashboard")
async def home(request: Request, viewer: SignedIn):
    as_of, collected, outcomes = await asyncio.gather(
        _as_of(viewer), viewer.api.get("/v1/reports/collected", weeks=12),
        viewer.api.get("/v1/reports/dunning_outcomes", days=90))
    receivables = await viewer.api.get("/v1/reports/receivables", as_of=as_of)
    return page(request, "home.html", viewer, active="home", totals=receivables.get("currencies", []),
                as_of=receivables.get("as_of"),
                charts=[*charts.aging(receivables), *charts.collected(collected), charts.autopay(receivables),
                        charts.dunning(outcomes)])
