"""Home: what finance looks at first — receivables aging, open and overdue amounts, collected per week,
AutoPay coverage and dunning outcomes — from the public API's reports, drawn by Chart.js."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request

from duely_gateway.dashboard import charts
from duely_gateway.dashboard.render import page
from duely_gateway.dashboard.session import SignedIn

router = APIRouter()


@router.get("/dashboard")
async def home(request: Request, viewer: SignedIn):
    receivables, collected, outcomes = await asyncio.gather(
        viewer.api.get("/v1/reports/receivables"), viewer.api.get("/v1/reports/collected", weeks=12),
        viewer.api.get("/v1/reports/dunning_outcomes", days=90))
    return page(request, "home.html", viewer, active="home", totals=receivables.get("currencies", []),
                charts=[*charts.aging(receivables), *charts.collected(collected), charts.autopay(receivables),
                        charts.dunning(outcomes)])
