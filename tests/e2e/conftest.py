"""The platform as `make run` starts it (duely_devstack.platform), on Postgres, plus a
local webhook receiver that verifies Standard Webhooks signatures."""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from duely_devstack.maildir import read_messages
from duely_devstack.net import free_port, port_is_free
from duely_devstack.platform import SERVICES, Platform, PlatformConfig


def _free_base(replicas: dict[str, int]) -> int:
    """A base port whose gateway, services and any replicas' ports are all free."""
    for _ in range(200):
        base = free_port(21000, 23900)
        probe = PlatformConfig(base_port=base, replicas=replicas)
        ports = [probe.port("gateway")] + [probe.replica_port(service, k) for service in SERVICES
                                           for k in range(1, replicas.get(service, 1) + 1)]
        if all(port_is_free(port) for port in ports):
            return base
    raise RuntimeError("no free block of ports")


@contextlib.asynccontextmanager
async def started_platform(var: Path, database_urls: dict[str, str], extra_env: dict[str, str],
                           replicas: dict[str, int] | None = None):
    """The platform as `make run` starts it, on free ports, with its own broker: in-process test
    services elsewhere in the run use the same consumer group names and would split the partitions
    with these processes. Empty `database_urls` means SQLite files in `var`, as `make run` has;
    `replicas` runs more than one process of a service (Postgres only)."""
    replicas = replicas or {}
    config = PlatformConfig(
        var_dir=var, base_port=_free_base(replicas), broker_port=free_port(24000, 24299),
        smtp_port=free_port(24300, 24599), stripe_port=free_port(24600, 24999), sms_port=free_port(20000, 20999),
        database_urls=database_urls, replicas=replicas, extra_env=extra_env)
    running = Platform(config)
    try:
        await asyncio.to_thread(running.start)
        yield running
    finally:
        await asyncio.to_thread(running.stop)


@pytest.fixture(scope="module")
async def browser():
    """Chromium (Debian's, through Playwright), one per test module."""
    from playwright.async_api import async_playwright

    from tests.e2e.dashboard_helpers import CHROMIUM_ARGS
    async with async_playwright() as p:
        launched = await p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield launched
        await launched.close()


@pytest.fixture(scope="session")
async def platform(database_url, tmp_path_factory):
    urls = {service: await database_url(f"e2e_{service}") for service in SERVICES}
    async with started_platform(tmp_path_factory.mktemp("platform-var"), urls, {
            "DUELY_NOTIFICATIONS_WEBHOOK_BACKOFF_S": "[0.5, 1, 2, 4]",
            "DUELY_NOTIFICATIONS_CLAIM_LEASE_S": "5", "DUELY_CONSUMER_RETRY_BACKOFF_S": "0.1",
            "DUELY_OPS_SAMPLE_INTERVAL_S": "2"}) as running:  # the ops pages' charts fill in a test's time
        yield running


@pytest.fixture(scope="session")
async def api(platform):
    demo = await asyncio.to_thread(platform.seed_demo_org)
    # A pooled connection idle for 1 s is dropped: the gateway (uvicorn) closes idle ones after 5 s,
    # and a request sent on one it is closing just then fails with ReadError (seen after the crash test).
    async with httpx.AsyncClient(base_url=platform.config.url("gateway"), timeout=30,
                                 limits=httpx.Limits(keepalive_expiry=1.0),
                                 headers={"Authorization": f"Bearer {demo['api_key']}"}) as client:
        yield client


@dataclass
class Receiver:
    """Webhooks received: every verified POST, and the signature failures."""

    url: str = ""
    secret: str = ""
    fail_first: int = 0
    received: list[dict] = field(default_factory=list)
    rejected: int = 0
    failed_on_purpose: int = 0

    def events(self, event_type: str | None = None, invoice_id: str | None = None) -> list[dict]:
        out = []
        for r in self.received:
            body = r["body"]
            if event_type and body["type"] != event_type:
                continue
            if invoice_id and invoice_id not in json.dumps(body["data"]):
                continue
            out.append(r)
        return out


@pytest.fixture(scope="session")
async def webhook_receiver(serve):
    receiver = Receiver()

    async def hook(request: Request):
        raw = await request.body()
        try:
            Webhook(receiver.secret).verify(raw, dict(request.headers))
        except WebhookVerificationError:
            receiver.rejected += 1
            return JSONResponse({"ok": False}, status_code=400)
        if receiver.failed_on_purpose < receiver.fail_first:
            receiver.failed_on_purpose += 1
            return JSONResponse({"ok": False}, status_code=503)
        receiver.received.append({"id": request.headers["webhook-id"], "body": json.loads(raw)})
        return JSONResponse({"ok": True})

    app = Starlette(routes=[Route("/hooks", hook, methods=["POST"])])
    async with serve(app) as url:
        receiver.url = f"{url}/hooks"
        yield receiver


WEBHOOK_EVENTS = ["invoice.issued", "invoice.viewed", "invoice.paid", "invoice.payment_failed",
                  "invoice.past_due", "invoice.reminder_sent"]


@pytest.fixture(scope="session")
async def endpoint(api, webhook_receiver):
    """The demo organization's webhook endpoint for the six product events, pointing at the receiver."""
    response = await api.post("/v1/webhook_endpoints", json={"url": webhook_receiver.url, "events": WEBHOOK_EVENTS})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["secret"].startswith("whsec_")
    webhook_receiver.secret = body["secret"]
    return body


@pytest.fixture(scope="session")
def mailbox(platform):
    def messages(subject_contains: str | None = None, to: str | None = None):
        found = read_messages(Path(platform.config.maildir))
        if subject_contains:
            found = [m for m in found if subject_contains in str(m["Subject"])]
        if to:
            found = [m for m in found if to in str(m["To"])]
        return found
    return messages


@pytest.fixture(scope="session")
def sms_box(platform):
    """sms_box(to=None) → the SMS the platform's SMS catcher stored in var/sms/ (one JSON file each), oldest first."""
    def messages(to: str | None = None) -> list[dict]:
        found = [json.loads(path.read_text()) for path in sorted(Path(platform.config.smsdir).glob("*.json"))]
        return [m for m in found if to is None or m["to"] == to]
    return messages


def body_text(message) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    return part.get_content() if part is not None else ""


@pytest.fixture
async def fresh_org(platform):
    """A new organization of its own (its test clock moves without touching the demo organization's invoices):
    an API client for it."""
    from duely_runtime.auth import INTERNAL_HEADER
    secret = platform.env().get("DUELY_INTERNAL_SECRET", "embedded-dev-secret-not-for-production")
    async with httpx.AsyncClient(base_url=platform.config.url("invoicing"), timeout=10) as invoicing:
        response = await invoicing.post("/internal/organizations", json={"name": "Collect Co"},
                                        headers={INTERNAL_HEADER: secret})
        response.raise_for_status()
    key = response.json()["api_key"]
    async with httpx.AsyncClient(base_url=platform.config.url("gateway"), timeout=30,
                                 limits=httpx.Limits(keepalive_expiry=1.0),
                                 headers={"Authorization": f"Bearer {key}"}) as client:
        client.organization_id = response.json()["organization"]["id"]
        yield client
