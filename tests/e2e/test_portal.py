"""The customer portal end to end, in Chromium, on the running platform (every service, the broker, the SMTP
catcher, the sandbox gateway): a magic link from the API, the invoice list, a PDF download, paying two of
three open invoices in one charge (both paid, two receipts), adding and removing a card, turning AutoPay on,
an expired link (and a new one by email), another customer's invoice refused, the hosted page's way in.
Screenshots at desktop (1280) and phone (390) width go to var/screenshots/portal-*.png (git-ignored)."""

from __future__ import annotations

import re
import subprocess
import uuid
from datetime import datetime, timedelta, timezone

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.conftest import wait_for
from tests.e2e.conftest import body_text
from tests.e2e.dashboard_helpers import DESKTOP
from tests.e2e.dashboard_helpers import shoot as screenshots



async def ok(response: httpx.Response) -> dict:
    assert response.status_code in (200, 201), response.text
    return response.json()


async def customer_with_invoices(api, name: str, email: str, amounts: list[int]) -> tuple[dict, list[dict]]:
    customer = await ok(await api.post("/v1/customers", json={"name": name, "email": email, "locale": "en_US"}))
    invoices = []
    for number, amount in enumerate(amounts):
        draft = await ok(await api.post("/v1/invoices", json={
            "customer_id": customer["id"], "currency": "usd", "payment_terms": f"net_{10 + number * 10}",
            "lines": [{"description": f"Retainer {number + 1}", "quantity": 1, "unit_amount": amount}]}))
        invoices.append(await ok(await api.post(f"/v1/invoices/{draft['id']}/approve",
                                                headers={"Idempotency-Key": uuid.uuid4().hex})))
    return customer, invoices


async def shoot(page, name: str) -> None:
    await screenshots(page, name, prefix="portal")


async def until_listed(page, invoice_ids: list[str]) -> None:
    """The portal's read model hears invoice.issued by Kafka: reload until every invoice is listed."""
    async def listed():
        await page.reload()
        return all([await page.query_selector(f'tr[data-invoice="{i}"]') for i in invoice_ids])
    await wait_for(listed, timeout=60, interval=0.5)


async def status_of(api, invoice_id: str) -> str:
    return (await ok(await api.get(f"/v1/invoices/{invoice_id}")))["status"]


async def test_the_customer_portal_end_to_end(platform, fresh_org, browser, mailbox, tmp_path):
    api = fresh_org
    await ok(await api.patch("/v1/settings/invoicing", json={
        "company_name": "Acme Cloud", "accent_color": "#0F766E", "accepted_payment_methods": ["card"]}))
    email = f"ap+{uuid.uuid4().hex[:8]}@globex.example"
    customer, invoices = await customer_with_invoices(api, "Globex Corporation", email, [12000, 34500, 9900])
    other, others = await customer_with_invoices(api, "Initech", f"ap+{uuid.uuid4().hex[:8]}@initech.example", [5000])

    # A magic link from the API, through the gateway.
    link = await ok(await api.post(f"/v1/customers/{customer['id']}/portal_sessions", json={},
                                   headers={"Idempotency-Key": uuid.uuid4().hex}))
    gateway = platform.config.url("gateway")
    assert link["url"].startswith(f"{gateway}/portal/login/")

    context = await browser.new_context(viewport=DESKTOP, accept_downloads=True)
    page = await context.new_page()
    try:
        await page.goto(link["url"])
        assert page.url == f"{gateway}/portal"
        await until_listed(page, [i["id"] for i in invoices])
        assert await page.inner_text("#company") == "Acme Cloud"
        assert await page.evaluate("getComputedStyle(document.querySelector('#pay-selected')).backgroundColor") \
            == "rgb(15, 118, 110)"
        for invoice in invoices:
            row = await page.inner_text(f'tr[data-invoice="{invoice["id"]}"]')
            assert invoice["number"] in row and "Open" in row
        assert await page.query_selector(f'tr[data-invoice="{others[0]["id"]}"]') is None
        assert "$564.00" in await page.inner_text("#pay-all")  # 120.00 + 345.00 + 99.00
        await shoot(page, "invoices")

        # A PDF download: the invoice's own PDF, read back.
        async with page.expect_download() as info:
            await page.click(f'#pdf-{invoices[0]["id"]}')
        download = await info.value
        pdf = tmp_path / "invoice.pdf"
        await download.save_as(pdf)
        assert pdf.read_bytes().startswith(b"%PDF")
        words = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        assert invoices[0]["number"] in words and "Retainer 1" in words

        # Another customer's invoice: not found, whatever the id.
        refused = await page.goto(f"{gateway}/portal/invoices/{others[0]['id']}")
        assert refused.status == 404
        refused = await page.goto(f"{gateway}/portal/invoices/{others[0]['id']}/pdf")
        assert refused.status == 404

        # The invoice detail page, like the hosted page.
        await page.goto(f"{gateway}/portal/invoices/{invoices[1]['id']}")
        assert await page.inner_text("#invoice-number") == invoices[1]["number"]
        assert "$345.00" in await page.inner_text("#amount-due")
        await shoot(page, "invoice")

        # Pay two of the three in one go.
        await page.goto(f"{gateway}/portal")
        await page.check(f'#pick-{invoices[0]["id"]}')
        await page.check(f'#pick-{invoices[1]["id"]}')
        await page.select_option("#payment-method", "pm_card_visa")
        async with page.expect_navigation():
            await page.click("#pay-selected")

        async def settled():
            await page.wait_for_load_state()
            notice = await page.query_selector("#payment-outcome")
            return notice and "Payment received" in await notice.inner_text()
        await wait_for(settled, timeout=60, interval=0.5)
        await shoot(page, "paid")
        for invoice in invoices[:2]:
            assert await status_of(api, invoice["id"]) == "paid"
        assert await status_of(api, invoices[2]["id"]) == "issued"
        # One charge for both: two payments (one per invoice) on one gateway charge.
        payments = [p for p in (await ok(await api.get("/v1/payments", params={"limit": 100})))["data"]
                    if p.get("invoice_id") in {invoices[0]["id"], invoices[1]["id"]}]
        assert len(payments) == 2, payments
        charges = {p["gateway_reference"] for p in payments}
        assert len(charges) == 1 and None not in charges, payments
        # Two receipts by email, one per invoice.
        for invoice in invoices[:2]:
            receipts = await wait_for(lambda: _async(mailbox(subject_contains=invoice["number"], to=email) and [
                m for m in mailbox(subject_contains=invoice["number"], to=email) if "eceipt" in str(m["Subject"])]),
                timeout=60)
            assert len(receipts) == 1
        # The payment history shows both, each with its receipt.
        await page.goto(f"{gateway}/portal/payments")
        history = await page.inner_text("#payments-table")
        assert invoices[0]["number"] in history and invoices[1]["number"] in history
        assert len(await page.query_selector_all("a.receipt")) == 2
        async with page.expect_download() as info:
            await page.click("a.receipt >> nth=0")
        receipt = tmp_path / "receipt.pdf"
        await (await info.value).save_as(receipt)
        assert receipt.read_bytes().startswith(b"%PDF")
        await shoot(page, "payments")

        # Payment methods: add two cards, make one default, remove the other.
        await page.goto(f"{gateway}/portal/payment_methods")
        await page.select_option("#new-card", "pm_card_mastercard")
        async with page.expect_navigation():
            await page.click("#add-card-button")
        assert "Mastercard •••• 4444" in await page.inner_text("#method-outcome")
        await page.select_option("#new-card", "pm_card_visa")
        async with page.expect_navigation():
            await page.click("#add-card-button")
        assert len(await page.query_selector_all(".method-row")) == 2
        await shoot(page, "methods")
        async with page.expect_navigation():
            await page.click('.method-row:has-text("Mastercard") button.danger')
        assert "was removed" in await page.inner_text("#method-outcome")
        saved = (await ok(await api.get(f"/v1/customers/{customer['id']}/payment_methods")))["data"]
        assert [(m["card"]["brand"], m["is_default"]) for m in saved if m["status"] != "detached"] == [("visa", True)]

        # AutoPay on, on the due date.
        await page.goto(f"{gateway}/portal/autopay")
        await page.check("#autopay-enabled")
        await page.check("#timing-on_due_date")
        async with page.expect_navigation():
            await page.click("#autopay-save")
        assert await page.inner_text("#autopay-outcome") == "AutoPay is on. Thank you!"
        resolved = await ok(await api.get(f"/v1/customers/{customer['id']}"))
        assert resolved["autopay"]["enabled"] is True and resolved["autopay"]["timing"] == "on_due_date"
        await shoot(page, "autopay")
        # ... and now the last card stays.
        await page.goto(f"{gateway}/portal/payment_methods")
        async with page.expect_navigation():
            await page.click(".method-row button.danger")
        assert "AutoPay is on" in await page.inner_text("#method-outcome")
    finally:
        await context.close()

    # An expired link: a friendly page, and a new link by email that works.
    late = await ok(await api.post(f"/v1/customers/{customer['id']}/portal_sessions", json={}))
    engine = create_async_engine(platform.config.database_urls["portal"])
    async with engine.begin() as connection:
        await connection.execute(text("UPDATE portal_sessions SET link_expires_at = :past WHERE id = :id"),
                                 {"past": datetime.now(timezone.utc) - timedelta(minutes=1), "id": late["id"]})
    await engine.dispose()
    context = await browser.new_context(viewport=DESKTOP)
    page = await context.new_page()
    try:
        response = await page.goto(late["url"])
        assert response.status == 410
        assert await page.inner_text("#message-title") == "This sign-in link has expired"
        await shoot(page, "link-expired")
        async with page.expect_navigation():
            await page.click("#request-link")
        assert "is on its way" in await page.inner_text("#message-text")
        mails = await wait_for(lambda: _async([m for m in mailbox(to=email) if "/portal/login/" in body_text(m)]),
                               timeout=60)
        fresh = re.search(r"https?://\S+/portal/login/[A-Za-z0-9_-]+", body_text(mails[-1])).group(0)
        await page.goto(fresh)
        assert page.url == f"{gateway}/portal"
    finally:
        await context.close()

    # From the hosted invoice page: a link into the portal that emails a sign-in link (never a session).
    context = await browser.new_context(viewport=DESKTOP)
    page = await context.new_page()
    try:
        await page.goto(invoices[2]["hosted_invoice_url"])
        async with page.expect_navigation():
            await page.click("#portal-link")
        assert "We will email a sign-in link" in await page.inner_text("#message-text")
        assert (await page.goto(f"{gateway}/portal")).status == 401
        # Nor does anyone else get in: the gateway keeps no customer's session cookie for the next caller.
        async with httpx.AsyncClient() as stranger:
            assert (await stranger.get(f"{gateway}/portal")).status_code == 401
    finally:
        await context.close()


async def _async(value):
    return value
