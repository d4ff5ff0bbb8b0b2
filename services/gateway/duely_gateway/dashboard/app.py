"""Mounting the dashboard on the gateway: its routers, its static files, and how its errors read."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles

from duely_runtime import ops
from duely_gateway.dashboard import home, sign_in_pages
from duely_gateway.dashboard.pages import customers, invoices, subscriptions
from duely_gateway.dashboard.api_client import ApiProblem
from duely_gateway.dashboard.labels import LABELS as L
from duely_gateway.dashboard.pages import developers, dunning, email_templates, logs, settings as settings_pages, users
from duely_gateway.dashboard.render import page
from duely_gateway.dashboard.session import CsrfRefused, NotSignedIn, Sessions
from duely_gateway.dashboard.sign_in_pages import sign_in_redirect

STATIC = Path(__file__).parent / "static"
# Chart.js, vendored once (with its licence) beside the ops pages that also draw with it.
VENDOR = Path(ops.__file__).parent / "static" / "vendor"
ROUTERS = (sign_in_pages.router, home.router, settings_pages.router, dunning.router, email_templates.router,
           developers.router, logs.router, users.router,
           customers.router, subscriptions.router, invoices.router)


def install(app: FastAPI, settings) -> None:
    """Before the gateway's catch-all forwarder, so /dashboard is answered here."""
    app.state.dashboard_sessions = Sessions(settings.invoicing_url, settings.internal_secret)
    app.mount("/dashboard/static/vendor", StaticFiles(directory=VENDOR), name="dashboard-vendor")
    app.mount("/dashboard/static", StaticFiles(directory=STATIC), name="dashboard-static")
    for router in ROUTERS:
        app.include_router(router)

    @app.exception_handler(NotSignedIn)
    async def not_signed_in(request: Request, exc: NotSignedIn):
        return sign_in_redirect(exc.next_path)

    @app.exception_handler(CsrfRefused)
    async def csrf_refused(request: Request, exc: CsrfRefused):
        return page(request, "message.html", status=403, title=L["dash_csrf_title"],
                    message=L["dash_csrf_message"], status_id="csrf-refused")

    @app.exception_handler(ApiProblem)
    async def api_problem(request: Request, exc: ApiProblem):
        """An API answer no page handled itself: 404 for another organization's id, 403 for a role."""
        if exc.status == 404:
            title, message, status_id = L["dash_not_found_title"], L["dash_not_found_message"], "not-found"
        elif exc.status == 403:
            title, message, status_id = L["dash_forbidden_title"], exc.message, "forbidden"
        else:
            title, message, status_id = L["dash_error_title"], exc.message, "api-error"
        return page(request, "message.html", status=exc.status if exc.status >= 400 else 502, title=title,
                    message=message, status_id=status_id, back="/dashboard")
