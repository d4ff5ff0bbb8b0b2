"""A notifications instance on its own Postgres database and consumer group, an SMTP
catcher subprocess writing a Maildir, an SMS catcher subprocess (Twilio's API, a JSON file per
SMS), and a local Standard Webhooks receiver."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from duely_devstack.net import free_port
from duely_notifications.config import Settings
from duely_notifications.main import build
from tests.conftest import start_consumer_group_at_end
from tests.notifications.notification_stack import PORTS, SmsCatcher, SmtpCatcher



@pytest.fixture(scope="module")
async def smtp_catcher(tmp_path_factory) -> AsyncIterator[SmtpCatcher]:
    catcher = await SmtpCatcher(tmp_path_factory.mktemp("mail") / "Maildir").start()
    yield catcher
    catcher.stop()


@pytest.fixture(scope="module")
async def sms_catcher(tmp_path_factory) -> AsyncIterator[SmsCatcher]:
    catcher = await SmsCatcher(tmp_path_factory.mktemp("sms")).start()
    yield catcher
    catcher.stop()


@dataclass
class WebhookReceiver:
    """Verifies Standard Webhooks signatures; refuses each event's first attempt with a 500."""

    url: str = ""
    secrets: dict[str, str] = field(default_factory=dict)             # endpoint name → whsec_
    attempts: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    accepted: dict[str, list[dict]] = field(default_factory=lambda: defaultdict(list))  # name → bodies
    headers: dict[tuple[str, str], dict] = field(default_factory=dict)
    rejected_signatures: int = 0

    def endpoint_url(self, name: str) -> str:
        return f"{self.url}/hooks/{name}"

    def accepted_ids(self, name: str) -> list[str]:
        return [body["id"] for body in self.accepted[name]]

    async def handle(self, request: Request):
        name = request.path_params["name"]
        body = await request.body()
        try:
            payload = Webhook(self.secrets[name]).verify(body, dict(request.headers))
        except (WebhookVerificationError, KeyError):
            self.rejected_signatures += 1
            return JSONResponse({"error": "bad signature"}, status_code=400)
        webhook_id = request.headers["webhook-id"]
        self.attempts[(name, webhook_id)] += 1
        if self.attempts[(name, webhook_id)] == 1:
            return JSONResponse({"error": "try again"}, status_code=500)
        if webhook_id in self.accepted_ids(name):
            return JSONResponse({"duplicate": True})  # dedupe by webhook-id, as the spec asks receivers to
        self.accepted[name].append(payload)
        self.headers[(name, webhook_id)] = dict(request.headers)
        return JSONResponse({"ok": True})


@pytest.fixture(scope="module")
async def webhook_receiver(serve) -> AsyncIterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    app = Starlette(routes=[Route("/hooks/{name}", receiver.handle, methods=["POST"])])
    async with serve(app, port=free_port(*PORTS)) as url:
        receiver.url = url
        yield receiver


@dataclass
class NotificationsUnderTest:
    url: str
    app: object
    settings: Settings
    catcher: SmtpCatcher
    sms: SmsCatcher

    def client(self, api_key: str | None = None) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        return httpx.AsyncClient(base_url=self.url, headers=headers, timeout=30)


@pytest.fixture(scope="module")
async def notifications(serve, settings_env, database_url, invoicing, smtp_catcher, sms_catcher
                        ) -> AsyncIterator[NotificationsUnderTest]:
    settings = settings_env(
        Settings, await database_url("notifications"),
        service_name=f"notifications-test-{uuid.uuid4().hex[:6]}",  # its own consumer group
        invoicing_url=invoicing.url, smtp_host="127.0.0.1", smtp_port=smtp_catcher.port,
        outbound_allow_networks="127.0.0.0/8",  # the local receivers, as `make run` allows
        webhook_backoff_s=[0.2, 0.5, 1.0], email_backoff_s=[0.2, 0.5], worker_poll_interval_s=0.1,
        sms_backoff_s=[0.2, 0.5], **sms_catcher.settings(),
        # Small shares, so the fairness tests fill one with a few deliveries.
        webhook_organization_concurrency=8, webhook_endpoint_concurrency=4)
    await start_consumer_group_at_end(settings.kafka_bootstrap_servers, settings.service_name)
    app = build(settings)
    async with serve(app, port=free_port(*PORTS)) as url:
        async with httpx.AsyncClient() as client:
            for _ in range(200):  # consumers joined the group: published events will be seen
                if (await client.get(f"{url}/readyz")).status_code == 200:
                    break
                await asyncio.sleep(0.1)
        yield NotificationsUnderTest(url, app, settings, smtp_catcher, sms_catcher)
