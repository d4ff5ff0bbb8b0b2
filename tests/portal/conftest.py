"""Portal fixtures: a browser, a stub for the internal routes, and a running portal."""

from __future__ import annotations

import uuid

import pytest
from playwright.async_api import async_playwright

from tests.portal.helpers import UpstreamStub
from tests.portal.portal_stub import PortalStub

CHROMIUM = "/usr/bin/chromium"


def portal_settings(settings_env, database_url: str, **overrides):
    """A unique service name gives this portal its own consumer group and inbox names, so
    another portal on the same broker (the end-to-end platform) cannot take its events."""
    from duely_portal.config import Settings
    return settings_env(Settings, database_url, service_name=f"portal_t{uuid.uuid4().hex[:8]}", **overrides)


@pytest.fixture(scope="session")
async def browser():
    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-background-networking", "--disable-gpu"])
        yield browser
        await browser.close()


@pytest.fixture(scope="module")
async def upstream_stub(serve):
    stub = UpstreamStub()
    async with serve(stub.app()) as url:
        stub.url = url
        yield stub


@pytest.fixture(scope="module")
async def portal(serve, settings_env, database_url, upstream_stub):
    """A running portal on Postgres and the test broker; invoicing/payments answered by the stub."""
    from duely_portal.main import build
    settings = portal_settings(settings_env, await database_url("portal"), invoicing_url=upstream_stub.url,
                               payments_url=upstream_stub.url)
    app = build(settings)
    async with serve(app) as url:
        app.state.url = url
        yield app


# -- the customer portal, its internal routes answered by PortalStub -----------------------------------

@pytest.fixture(scope="module")
async def portal_stub(serve):
    stub = PortalStub()
    async with serve(stub.app()) as url:
        stub.url = url
        yield stub


@pytest.fixture(scope="module")
async def customer_portal(serve, settings_env, database_url, portal_stub):
    from duely_portal.main import build
    settings = portal_settings(settings_env, await database_url("customer_portal"), invoicing_url=portal_stub.url,
                               payments_url=portal_stub.url, public_base_url="https://billing.example.test",
                               link_requests_per_customer_per_hour=3)
    app = build(settings)
    async with serve(app) as url:
        app.state.url = url
        yield app
