"""Wiring of the portal process."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from duely_runtime.invoicing_client import InvoicingClient
from duely_runtime.service import ServiceRuntime
from duely_portal import api, consumers
from duely_portal.customer_portal import api as portal_api, pages as portal_pages
from duely_portal.customer_portal.upstream import PortalUpstream
from duely_portal.config import Settings
from duely_portal.models import Base
from duely_portal.payments_client import PaymentsClient

MIGRATIONS = Path(__file__).parent / "migrations"


def build(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = ServiceRuntime(settings.service_name, settings, Base.metadata, MIGRATIONS)
    consumers.register(runtime)
    # A person waits on the page: invoicing gets as long as payments does (a card charge can take a while).
    invoicing = InvoicingClient(settings.invoicing_url, settings.internal_secret, timeout_s=settings.upstream_timeout_s)
    routes = api.router(runtime, invoicing, PaymentsClient(settings))
    upstream = PortalUpstream(settings.invoicing_url, settings.payments_url, settings.internal_secret,
                              settings.upstream_timeout_s)
    app = runtime.create_app(routers=[routes, portal_api.router(runtime, upstream),
                                      portal_pages.router(runtime, invoicing, upstream)], title="Duely portal")
    return app


def main() -> None:
    app = build()
    app.state.runtime.serve(app)
