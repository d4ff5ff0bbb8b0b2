"""The ops pages in Chromium on the running platform: the gateway's ops home lists the five services; the portal's
page shows a dead letter (a poisoned event: its read-model table was gone), Replay clears it; invoicing's page shows
an outbox backlog while its relay is stalled, and the backlog draining after. Screenshots at 1280 and 390 px go to
var/screenshots/ops-*.png (git-ignored)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timezone

import httpx
from playwright.async_api import async_playwright, expect
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from duely_runtime.auth import INTERNAL_HEADER
from tests.conftest import wait_for
from tests.e2e.dashboard_helpers import DESKTOP
from tests.e2e.dashboard_helpers import shoot as screenshots


async def shoot(page, name: str) -> None:
    await screenshots(page, name, prefix="ops")


async def ops_status(platform, service: str) -> dict:
    secret = platform.env().get("DUELY_INTERNAL_SECRET", "embedded-dev-secret-not-for-production")
    async with httpx.AsyncClient(base_url=platform.config.url(service), timeout=30) as client:
        response = await client.get("/ops/status", headers={INTERNAL_HEADER: secret})
    assert response.status_code == 200, response.text
    return response.json()


async def replay_the_rest(platform, service: str) -> None:
    """Other tests' events that reached the portal while its table was away failed too: replay them, or their
    read-model updates would be lost for the tests that come after."""
    secret = platform.env().get("DUELY_INTERNAL_SECRET", "embedded-dev-secret-not-for-production")
    async with httpx.AsyncClient(base_url=platform.config.url(service), timeout=30) as client:
        for letter in (await ops_status(platform, service))["dead_letters"]:
            answer = await client.post(f"/ops/dead_letters/{letter['id']}/replay", headers={INTERNAL_HEADER: secret})
            assert answer.status_code == 200, answer.text


async def test_ops_pages_show_a_dead_letter_replayed_and_a_backlog_draining(platform):
    portal_db = create_async_engine(platform.config.database_urls["portal"])
    invoicing_db = create_async_engine(platform.config.database_urls["invoicing"])
    try:
        # A poisoned event: the portal's read-model table is missing while a real invoice's invoice.issued arrives.
        async with portal_db.begin() as conn:
            await conn.execute(text("ALTER TABLE portal_invoices RENAME TO portal_invoices_away"))
        try:
            invoice_id = await _issue_invoice(platform)

            async def filed():
                letters = (await ops_status(platform, "portal"))["dead_letters"]
                return [d for d in letters if d["topic"] == "invoice.issued" and invoice_id in d["payload"]]
            (letter,) = await wait_for(filed, timeout=90, interval=0.5)
        finally:
            async with portal_db.begin() as conn:
                await conn.execute(text("ALTER TABLE portal_invoices_away RENAME TO portal_invoices"))

        async def charted(service: str, key: str, at_least: int):  # a sample behind the charts saw it
            return any(point[key] >= at_least for point in (await ops_status(platform, service))["history"])
        await wait_for(lambda: charted("portal", "dead_letters_open", 1), timeout=30, interval=0.5)

        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path="/usr/bin/chromium",
                                              args=["--no-sandbox", "--disable-background-networking",
                                                    "--disable-gpu"])
            page = await browser.new_page(viewport=DESKTOP)
            await page.goto(platform.config.url("gateway") + "/ops")
            await expect(page.locator("section.service")).to_have_count(5)
            portal_card = page.locator('section[data-service="portal"]')
            # Ours, and any other event that reached the portal while its table was away (earlier tests' timers).
            open_letters = (await ops_status(platform, "portal"))["dead_letters_open"]
            assert open_letters >= 1
            await expect(portal_card.locator("[data-dead-letters]")).to_have_text(str(open_letters))
            await shoot(page, "home")

            await portal_card.get_by_role("link", name="Open portal ops page").click()
            await page.wait_for_url(platform.config.url("portal") + "/ops")
            card = page.locator(f"#dead-letter-{letter['id']}")
            await expect(card).to_contain_text("portal_invoices")
            await expect(page.locator("#tile-dead-letters")).to_have_text(str(open_letters))
            await expect(page.locator("#chart-dead_letters_open")).to_be_visible()  # Chart.js drew, script ran
            await card.get_by_text("Payload").click()
            await expect(card).to_contain_text(invoice_id)
            await shoot(page, "dead-letter")
            await card.get_by_role("button", name=f"Replay dead letter {letter['id']}").click()
            await expect(page.locator("#flash")).to_have_text(f"Dead letter {letter['id']}: processed.")
            await expect(page.locator(f"#dead-letter-{letter['id']}")).to_have_count(0)
            await replay_the_rest(platform, "portal")
            await page.reload()
            await expect(page.locator("#no-dead-letters")).to_be_visible()
            await shoot(page, "replayed")
            assert (await ops_status(platform, "portal"))["dead_letters_open"] == 0
            async with portal_db.begin() as conn:  # the replay reached the read model
                assert (await conn.execute(text("SELECT count(*) FROM portal_invoices WHERE id = :id"),
                                           {"id": invoice_id})).scalar_one() == 1

            # A backlog: invoicing's relay is stalled on a row another transaction holds, while the API
            # goes on writing events (one per customer created).
            blocker_conn = await invoicing_db.connect()
            blocker = await blocker_conn.begin()
            try:
                await blocker_conn.execute(text(
                    "INSERT INTO outbox (event_id, topic, key, payload, created_at) "
                    "VALUES (:id, 'ops-e2e.stall', 'stall', '{}', :now)"),
                    {"id": str(uuid.uuid4()), "now": datetime.now(timezone.utc)})
                await blocker.commit()
                blocker = await blocker_conn.begin()
                await blocker_conn.execute(text("SELECT seq FROM outbox WHERE topic = 'ops-e2e.stall' FOR UPDATE"))
                await _create_customers(platform, 4)

                async def backlog_at_least(n: int):
                    return (await ops_status(platform, "invoicing"))["outbox"]["backlog"] >= n
                await wait_for(lambda: backlog_at_least(4), timeout=30, interval=0.5)
                await wait_for(lambda: charted("invoicing", "outbox_backlog", 4), timeout=30, interval=0.5)
                await page.goto(platform.config.url("invoicing") + "/ops")
                backlog = int(await page.locator("#tile-backlog").inner_text())
                assert backlog >= 4
                await shoot(page, "backlog")
            finally:
                await blocker.rollback()  # the relay's update goes through
                await blocker_conn.close()

            async def drained():
                await page.goto(platform.config.url("invoicing") + "/ops")
                return (await page.locator("#tile-backlog").inner_text()).strip() == "0"
            await wait_for(drained, timeout=60, interval=1.0)
            await expect(page.locator("#outbox-backlog")).to_have_text("0")
            await shoot(page, "drained")
            await browser.close()
    finally:
        await portal_db.dispose()
        await invoicing_db.dispose()


def _api(demo: dict) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=demo["gateway"], timeout=30, headers={"Authorization": f"Bearer {demo['api_key']}"})


async def _demo(platform) -> dict:
    return {**await asyncio.to_thread(platform.seed_demo_org), "gateway": platform.config.url("gateway")}


async def _issue_invoice(platform) -> str:
    async with _api(await _demo(platform)) as api:
        customer = await api.post("/v1/customers", json={"name": "Ops Poison", "email": "poison@example.com"})
        assert customer.status_code == 201, customer.text
        draft = await api.post("/v1/invoices", json={
            "customer_id": customer.json()["id"], "currency": "usd", "payment_terms": "net_30",
            "lines": [{"description": "Consulting", "quantity": 1, "unit_amount": 12500}]})
        assert draft.status_code == 201, draft.text
        issued = await api.post(f"/v1/invoices/{draft.json()['id']}/approve",
                                headers={"Idempotency-Key": uuid.uuid4().hex})
        assert issued.status_code in (200, 201), issued.text
        return issued.json()["id"]


async def _create_customers(platform, count: int) -> None:
    async with _api(await _demo(platform)) as api:
        for n in range(count):
            response = await api.post("/v1/customers", json={"name": f"Backlog {n}",
                                                             "email": f"backlog{n}@example.com"})
            assert response.status_code == 201, response.text

