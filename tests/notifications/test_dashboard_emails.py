"""The dashboard's emails (issue #12) end to end on real services (invoicing, notifications, broker, Postgres,
SMTP catcher): inviting a user through invoicing's API emails the invite link to the invited address, under
the organization's name; a sign-in link asked for at invoicing's dashboard endpoint is emailed likewise. Each is
sent once and is never a webhook. A restricted key is refused by notifications too (every service checks roles)."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import datetime, timezone

import httpx

from duely_runtime.auth import INTERNAL_HEADER
from tests.conftest import INTERNAL_SECRET


def _plain(message) -> str:
    return " ".join(message.get_body(preferencelist=("plain",)).get_content().split())


def _html(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def address(tag: str) -> str:
    return f"{tag}+{uuid.uuid4().hex[:8]}@example.com"


async def _org(invoicing) -> dict:
    async with httpx.AsyncClient(base_url=invoicing.url, timeout=30) as client:
        response = await client.post("/internal/organizations", json={"name": "Acme Dash GmbH"},
                                     headers={INTERNAL_HEADER: INTERNAL_SECRET})
    assert response.status_code == 201, response.text
    return response.json()


async def test_an_invite_and_a_sign_in_link_arrive_with_their_links(notifications, invoicing, webhook_receiver,
                                                                   wait_for):
    org = await _org(invoicing)
    api_key = org["api_key"]
    name = f"dash-{uuid.uuid4().hex[:6]}"
    async with notifications.client(api_key) as client:
        response = await client.post("/v1/webhook_endpoints", json={"url": webhook_receiver.endpoint_url(name),
                                                                    "events": ["*"]})
        assert response.status_code == 201, response.text

    invited = address("fin")
    async with httpx.AsyncClient(base_url=invoicing.url, timeout=30, headers={"Authorization": f"Bearer {api_key}"}) as api:
        created = await api.post("/v1/users", json={"email": invited, "name": "Fiona", "role": "finance"})
        assert created.status_code == 201, created.text

    async def invite_mail():
        return notifications.catcher.messages(To=invited) or None
    [message] = await wait_for(invite_mail, timeout=30)
    assert message["Subject"] == "You are invited to the Acme Dash GmbH dashboard on Duely"
    assert message["From"] == "Acme Dash GmbH <billing@duely.local>"
    text = _plain(message)
    url = re.search(r"(http://\S+/dashboard/accept\?token=[\w-]+)", text).group(1)
    for expected in ("Hello Fiona,", "You were invited to the Acme Dash GmbH billing dashboard on Duely, as finance",
                     "The link works once and expires on", f"copy this address into your browser: {url}",
                     "Sent by Acme Dash GmbH through Duely."):
        assert expected in text, (expected, text)
    assert f'href="{url}"' in _html(message) and "Accept the invitation" in _html(message)

    # The invite's link works at invoicing (the token in the email is the real one).
    async with httpx.AsyncClient(base_url=invoicing.url, timeout=30, headers={INTERNAL_HEADER: INTERNAL_SECRET}) as internal:
        token = url.split("token=")[1]
        redeemed = await internal.post("/internal/dashboard/tokens/redeem",
                                       json={"token": token, "password": "a long enough password"})
        assert redeemed.status_code == 200, redeemed.text
        asked = await internal.post("/internal/dashboard/sign_in_links", json={
            "email": invited.upper(), "client_ip": "203.0.113.50", "dashboard_url": "https://billing.example.com/dashboard"})
        assert asked.status_code == 202

    async def two_mails():
        found = notifications.catcher.messages(To=invited)
        return found if len(found) == 2 else None
    found = await wait_for(two_mails, timeout=30)
    [link_mail] = [m for m in found if m["Subject"] != message["Subject"]]
    assert link_mail["Subject"] == "Your sign-in link to the Acme Dash GmbH dashboard"
    text = _plain(link_mail)
    assert "https://billing.example.com/dashboard/sign_in/link?token=" in text
    assert "You asked for a link to sign in to the Acme Dash GmbH billing dashboard on Duely." in text
    assert "Sign in to the dashboard" in _html(link_mail)

    # In the delivery log, sent; neither event became a webhook.
    async with notifications.client(api_key) as client:
        async def logged():
            rows = [r for r in (await client.get("/v1/messages")).json()["data"]
                    if r["template"] in ("user_invite", "dashboard_sign_in")]
            return rows if len(rows) == 2 and all(r["status"] == "sent" for r in rows) else None
        rows = await wait_for(logged, timeout=30)
    assert {r["to"][0] for r in rows} == {invited.lower()}
    await asyncio.sleep(1.0)
    assert not [b for b in webhook_receiver.accepted[name] if b["type"].startswith("user.")]
    assert len(notifications.catcher.messages(To=invited)) == 2


async def test_a_restricted_key_is_refused_by_notifications_too(notifications, invoicing):
    org = await _org(invoicing)
    async with httpx.AsyncClient(base_url=invoicing.url, timeout=30, headers={"Authorization": f"Bearer {org['api_key']}"}) as api:
        viewer_key = (await api.post("/v1/api_keys", json={"role": "viewer"})).json()["key"]
        finance_key = (await api.post("/v1/api_keys", json={"role": "finance"})).json()["key"]
    for key in (viewer_key, finance_key):
        async with notifications.client(key) as client:
            assert (await client.get("/v1/messages")).status_code == 200
            refused = await client.post("/v1/webhook_endpoints", json={"url": "https://hooks.example.com/x"})
            assert refused.status_code == 403 and refused.json()["error"]["code"] == "insufficient_role"
            assert (await client.get("/v1/webhook_endpoints")).json()["data"] == []


def test_an_expired_dashboard_link_is_not_worth_sending():
    from duely_notifications.domain.relevance import expired_link_reason
    now = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)
    assert expired_link_reason("user_invite", {"expires_at": "2026-12-01T09:00:00Z"}, now) == \
        "the invite link expired before its email could go out"
    assert expired_link_reason("dashboard_sign_in", {"expires_at": "2026-12-01T09:00:00Z"}, now)
    assert expired_link_reason("dashboard_sign_in", {"expires_at": "2026-12-01T11:00:00Z"}, now) is None
