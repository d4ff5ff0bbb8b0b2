"""An endpoint whose deliveries keep failing is disabled after `webhook_disable_after_s` (5 days in production,
1.5 s here: a notifications instance of its own) and its organization is emailed (read back from the SMTP
catcher); a disabled endpoint gets nothing new and its pending delivery is held; re-enabling resumes both."""

from __future__ import annotations

import asyncio
import uuid
from typing import AsyncIterator

import httpx
import pytest

from duely_contracts.models import Issuer
from duely_devstack.net import free_port
from duely_notifications.config import Settings
from duely_notifications.main import build
from tests.conftest import start_consumer_group_at_end
from tests.notifications.conftest import NotificationsUnderTest
from tests.notifications.notification_events import invoice_issued, snapshot
from tests.notifications.notification_stack import PORTS
from tests.notifications.webhook_receivers import scripted_receiver

DISABLE_AFTER_S = 1.5


@pytest.fixture(scope="module")
async def quick_to_disable(serve, settings_env, database_url, invoicing, smtp_catcher, sms_catcher
                           ) -> AsyncIterator[NotificationsUnderTest]:
    settings = settings_env(
        Settings, await database_url("notifications_disable"), service_name=f"notifications-dis-{uuid.uuid4().hex[:6]}",
        invoicing_url=invoicing.url, smtp_host="127.0.0.1", smtp_port=smtp_catcher.port,
        outbound_allow_networks="127.0.0.0/8", webhook_backoff_s=[0.3] * 12, email_backoff_s=[0.2, 0.5],
        worker_poll_interval_s=0.1, webhook_disable_after_s=DISABLE_AFTER_S)
    await start_consumer_group_at_end(settings.kafka_bootstrap_servers, settings.service_name)
    app = build(settings)
    async with serve(app, port=free_port(*PORTS)) as url:
        async with httpx.AsyncClient() as client:
            for _ in range(200):
                if (await client.get(f"{url}/readyz")).status_code == 200:
                    break
                await asyncio.sleep(0.1)
        yield NotificationsUnderTest(url, app, settings, smtp_catcher, sms_catcher)


@pytest.fixture(scope="module")
async def receiver(serve):
    async with scripted_receiver(serve) as running:
        yield running


def test_the_default_period_is_five_days(monkeypatch):
    assert Settings(database_url="sqlite+aiosqlite://").webhook_disable_after_s == 5 * 24 * 3600
    monkeypatch.setenv("DUELY_NOTIFICATIONS_WEBHOOK_DISABLE_AFTER_S", "600")
    assert Settings(database_url="sqlite+aiosqlite://").webhook_disable_after_s == 600


async def test_a_failing_endpoint_is_disabled_the_organization_emailed_and_re_enabling_resumes(
        quick_to_disable, invoicing, receiver, smtp_catcher, publish, wait_for):
    notifications = quick_to_disable
    org_id, api_key = await invoicing.create_org("Flaky Receiver Inc")
    merchant = f"billing-{uuid.uuid4().hex[:6]}@merchant.test"
    name, healthy = uuid.uuid4().hex[:8], uuid.uuid4().hex[:8]
    receiver.answers[name] = 503
    async with notifications.client(api_key) as client:
        endpoint = await _endpoint(client, receiver.endpoint_url(name))
        await _endpoint(client, receiver.endpoint_url(healthy))  # succeeds throughout: never disabled
        # The organization's address: the Reply-To its invoices carry (set in /v1/settings/invoicing).
        invoice = snapshot(org_id).model_copy(update={"issuer": Issuer(company_name="Flaky Receiver Inc",
                                                                       email_reply_to=merchant)})
        first = invoice_issued(invoice)
        await publish(first)

        async def disabled():
            body = (await client.get(f"/v1/webhook_endpoints/{endpoint['id']}")).json()
            return body if body["status"] == "disabled" else None
        body = await wait_for(disabled, timeout=30)
        assert body["disabled_reason"] == "failing" and body["failing_since"] and body["disabled_at"]
        rows = (await client.get(f"/v1/webhook_endpoints/{endpoint['id']}/deliveries")).json()["data"]
        assert rows[0]["status"] == "pending"  # held, with retries left
        held_attempts = rows[0]["attempts"]
        assert held_attempts >= 2

        async def emailed():
            return smtp_catcher.messages(to=merchant)
        mail = (await wait_for(emailed, timeout=30))[0]
        assert mail["Subject"] == f"Webhook endpoint disabled: {receiver.endpoint_url(name)}"
        text = mail.get_body(("plain",)).get_content()
        assert endpoint["id"] in text and "HTTP 503 Service Unavailable" in text and "enabled" in text

        # Disabled: nothing new is queued, nothing held is tried.
        second = invoice_issued(snapshot(org_id))
        await publish(second)
        await wait_for(lambda: _received(receiver, healthy, second.id), timeout=30)
        await asyncio.sleep(1.0)
        rows = (await client.get(f"/v1/webhook_endpoints/{endpoint['id']}/deliveries")).json()["data"]
        assert [r["event_id"] for r in rows] == [first.id] and rows[0]["attempts"] == held_attempts
        assert (await client.post(f"/v1/webhook_endpoints/{endpoint['id']}/replay",
                                  json={"since": 0})).json()["error"]["code"] == "endpoint_disabled"

        receiver.answers[name] = 200
        enabled = await client.patch(f"/v1/webhook_endpoints/{endpoint['id']}", json={"enabled": True})
        assert enabled.status_code == 200 and enabled.json()["status"] == "enabled"
        assert enabled.json()["failing_since"] is None
        await wait_for(lambda: _received(receiver, name, first.id), timeout=30)  # the held delivery resumes
        third = invoice_issued(snapshot(org_id))
        await publish(third)
        await wait_for(lambda: _received(receiver, name, third.id), timeout=30)  # and new events arrive
    assert len(smtp_catcher.messages(to=merchant)) == 1


async def test_without_an_address_on_file_the_email_is_logged_as_skipped(quick_to_disable, invoicing, receiver,
                                                                         publish, wait_for):
    notifications = quick_to_disable
    org_id, api_key = await invoicing.create_org("No Address Inc")
    name = uuid.uuid4().hex[:8]
    receiver.answers[name] = 500
    async with notifications.client(api_key) as client:
        endpoint = await _endpoint(client, receiver.endpoint_url(name))
        await publish(invoice_issued(snapshot(org_id)))  # its issuer names no Reply-To

        async def skipped():
            messages = (await client.get("/v1/messages")).json()["data"]
            return [m for m in messages if m["template"] == "webhook_endpoint_disabled"]
        messages = await wait_for(skipped, timeout=30)
        assert (await client.get(f"/v1/webhook_endpoints/{endpoint['id']}")).json()["status"] == "disabled"
    assert messages[0]["status"] == "skipped" and "email_reply_to" in messages[0]["skipped_reason"]


async def _endpoint(client, url: str) -> dict:
    response = await client.post("/v1/webhook_endpoints", json={"url": url, "events": ["invoice.issued"]})
    assert response.status_code == 201, response.text
    return response.json()


async def _received(receiver, name: str, webhook_id: str) -> bool:
    return webhook_id in receiver.ids(name)
