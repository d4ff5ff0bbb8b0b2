"""Portal fixtures: a browser, a stub for the internal routes (older hosted-page tests), a running portal, and the
customer portal on the real invoicing, payments and sandbox gateway."""

from __future__ import annotations

import uuid

import pytest
from playwright.async_api import async_playwright

from sqlalchemy.ext.asyncio import create_async_engine

from duely_devstack.net import free_port
from tests.conftest import start_consumer_group_at_end
from tests.payments.conftest import Org, RunningPayments, payments_settings, start_sandbox
from tests.portal.helpers import UpstreamStub
from tests.portal.merchant import Merchant

CHROMIUM = "/usr/bin/chromium"


async def portal_settings(settings_env, database_url: str, **overrides):
    """A unique service name gives this portal its own consumer group and inbox names, so
    another portal on the same broker (the end-to-end platform) cannot take its events. The group
    starts at the topics' ends: the session's earlier events are not this portal's to work through."""
    from duely_portal.config import Settings
    settings = settings_env(Settings, database_url, service_name=f"portal_t{uuid.uuid4().hex[:8]}", **overrides)
    await start_consumer_group_at_end(settings.kafka_bootstrap_servers, settings.service_name)
    return settings


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
    settings = await portal_settings(settings_env, await database_url("portal"), invoicing_url=upstream_stub.url,
                                     payments_url=upstream_stub.url)
    app = build(settings)
    async with serve(app) as url:
        app.state.url = url
        yield app


# -- the customer portal on the real invoicing and payments (and the sandbox gateway) ------------------

PORT_RANGE = (28000, 28999)  # the portal suite's range for subprocesses and fixed ports


@pytest.fixture(scope="module")
def portal_sandbox(tmp_path_factory):
    with start_sandbox(free_port(*PORT_RANGE), tmp_path_factory.mktemp("portal-sandbox")) as gateway:
        yield gateway


@pytest.fixture(scope="module")
async def portal_payments(serve, settings_env, database_url, portal_sandbox, invoicing):
    """The real payments for the customer portal's module. Its own consumer group (a unique service name) that
    starts at the topics' ends: another payments of this session shares none of its partitions."""
    from duely_payments.main import build
    db_url = await database_url("cportal_payments")
    port = free_port(*PORT_RANGE)
    secret = portal_sandbox.register_webhook(f"http://127.0.0.1:{port}/webhooks/stripe")
    settings = payments_settings(settings_env, db_url, portal_sandbox, invoicing.url, stripe_webhook_secret=secret,
                                 service_name=f"payments_t{uuid.uuid4().hex[:8]}")
    await start_consumer_group_at_end(settings.kafka_bootstrap_servers, settings.service_name)
    app = build(settings)
    engine = create_async_engine(db_url)
    async with serve(app, port=port) as url:
        yield RunningPayments(url, app, engine)
    await engine.dispose()


@pytest.fixture(scope="module")
async def customer_portal(serve, settings_env, database_url, invoicing, portal_payments):
    """The portal asking the real invoicing and payments; its read model fed by their events."""
    from duely_portal.main import build
    settings = await portal_settings(settings_env, await database_url("customer_portal"), invoicing_url=invoicing.url,
                                     payments_url=portal_payments.url, public_base_url="https://billing.example.test",
                                     link_requests_per_customer_per_hour=3)
    app = build(settings)
    async with serve(app) as url:
        app.state.url = url
        yield app


@pytest.fixture
def new_merchant(invoicing, portal_payments, customer_portal):
    """await new_merchant("Acme GmbH") → a new organization (its API key) on the real platform."""
    async def make(name: str = "Acme GmbH", **settings) -> Merchant:
        merchant = Merchant(Org(*await invoicing.create_org(name)), invoicing.url, portal_payments, customer_portal)
        if settings:
            await merchant.settings(**settings)
        return merchant
    return make
