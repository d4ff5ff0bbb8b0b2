"""The merchant dashboard's Settings, Developers, Logs and Users pages in Chromium, on the running platform:
each flow is clicked through in the page, then its effect is read back through the public API with the
organization's key. Screenshots: var/screenshots/dashboard-{dunning-editor,branding,...}-{desktop,phone}.png."""

from __future__ import annotations

import json
import re
import uuid

import httpx
import pytest
from playwright.async_api import expect
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.conftest import wait_for
from tests.e2e.conftest import body_text
from tests.e2e.dashboard_helpers import DESKTOP, organization_with_owner, shoot, sign_in


@pytest.fixture(scope="module")
async def org(platform):
    async with organization_with_owner(platform, "Settings Co") as (api, owner):
        yield api, owner


@pytest.fixture(scope="module")
async def owner_page(browser, platform, org):
    api, owner = org
    page = await sign_in(browser, platform, owner["email"], owner["password"])
    yield page
    await page.context.close()


async def ok(response: httpx.Response) -> dict:
    assert response.status_code in (200, 201), response.text
    return response.json()


def url(platform, path: str) -> str:
    return platform.config.url("gateway") + path


async def test_dunning_schedule_created_in_the_editor_and_made_the_default(platform, org, owner_page):
    api, _ = org
    page = owner_page
    await page.goto(url(platform, "/dashboard/settings/dunning"))
    await page.get_by_role("link", name="Create dunning schedule").click()
    await page.get_by_label("Schedule name").fill("Patient schedule")
    # Three rows of the description's table; the page offers three empty rows, and "Add a step" (script) a fourth.
    rows = [(0, ["Retry payment"], None), (5, ["Send reminder email", "Retry payment"], "Gentle reminder"),
            (12, ["Send reminder email"], "Final warning")]
    for index, (day, actions, template) in enumerate(rows):
        step = page.locator("fieldset.step").nth(index)
        await step.get_by_label(f"Step {index + 1} day").fill(str(day))
        for action in actions:
            await step.get_by_label(action, exact=True).check()
        if template:
            await step.get_by_label(f"Step {index + 1} template").select_option(label=template)
    await page.get_by_role("button", name="Add a step").click()
    assert await page.locator("fieldset.step").count() == 4  # the added row stays empty: left out on save
    await page.get_by_label("Pause subscription").last.check()
    await page.get_by_label("The organization's default schedule").check()
    await page.get_by_role("button", name="Save schedule").click()
    await expect(page.locator(".notice")).to_contain_text("Patient schedule")

    schedules = (await ok(await api.get("/v1/dunning_schedules")))["data"]
    mine = next(s for s in schedules if s["name"] == "Patient schedule")
    assert mine["is_default"] is True
    assert [s["is_default"] for s in schedules].count(True) == 1
    assert [(s["day"], sorted(s["actions"]), s["template"]) for s in mine["steps"]] == [
        (0, ["retry_payment"], None), (5, ["email_reminder", "retry_payment"], "invoice_reminder_gentle"),
        (12, ["email_reminder"], "invoice_reminder_final")]
    assert mine["on_persistent_failure"] == ["pause_subscription"]
    card = page.locator(f'[data-schedule="{mine["id"]}"]')
    await expect(card.locator("[data-default]")).to_be_visible()

    # The built-in default can be made the default again from the list, then back (one PATCH each).
    builtin = next(s for s in schedules if s["id"] != mine["id"])
    await page.locator(f'[data-schedule="{builtin["id"]}"]').get_by_role("button", name="Make default").click()
    await expect(page.locator(".notice")).to_contain_text("Default schedule changed")
    assert (await ok(await api.get(f"/v1/dunning_schedules/{builtin['id']}")))["is_default"] is True
    await page.locator(f'[data-schedule="{mine["id"]}"]').get_by_role("button", name="Make default").click()
    assert (await ok(await api.get(f"/v1/dunning_schedules/{mine['id']}")))["is_default"] is True

    await page.goto(url(platform, f"/dashboard/settings/dunning/{mine['id']}"))
    await expect(page.get_by_label("Step 3 day")).to_have_value("12")
    await shoot(page, "dunning-editor")


async def test_reminders_turned_on_with_their_days(platform, org, owner_page):
    api, _ = org
    page = owner_page
    await page.goto(url(platform, "/dashboard/settings/reminders"))
    before = page.locator("#before_due")
    await before.get_by_label("Send before due date reminders").check()
    await before.get_by_label("Days before due").nth(0).fill("10")
    await before.get_by_label("Days before due").nth(1).fill("2")
    await before.get_by_label("Days before due").nth(2).fill("")
    after = page.locator("#after_due")
    await after.get_by_label("Send after due date reminders").check()
    await after.get_by_label("Days after due").nth(2).fill("21")
    await after.get_by_label("Email template").nth(2).select_option(label="Final warning")
    await page.get_by_role("button", name="Save settings").click()
    await expect(page.locator(".notice")).to_contain_text("Reminder settings saved")

    reminders = (await ok(await api.get("/v1/settings/invoicing")))["reminders"]
    assert reminders["before_due"]["enabled"] is True
    assert reminders["before_due"]["days"] == [10, 2]
    assert reminders["after_due"] == {"enabled": True, "days": [1, 7, 21], "templates": [
        "invoice_reminder_gentle", "invoice_reminder_firm", "invoice_reminder_final"]}
    await expect(page.locator("#before_due_day_0")).to_have_value("10")


async def test_branding_saved_and_previewed(platform, org, owner_page):
    api, _ = org
    page = owner_page
    customer = await ok(await api.post("/v1/customers", json={"name": "Brand Check", "email": "brand@example.com"}))
    draft = await ok(await api.post("/v1/invoices", json={
        "customer_id": customer["id"], "currency": "usd",
        "lines": [{"description": "Design retainer", "quantity": 1, "unit_amount": 90000}]}))
    await ok(await api.post(f"/v1/invoices/{draft['id']}/approve", headers={"Idempotency-Key": uuid.uuid4().hex}))
    await page.goto(url(platform, "/dashboard/settings/invoicing"))
    await page.get_by_label("Accent colour", exact=True).fill("#0F766E")
    await page.get_by_label("Footer").fill("Acme Cloud Ltd · 1 Harbour St · Thank you for your business")
    # The sample follows the fields as they are typed (the page's script).
    await expect(page.locator("[data-footer-sample]")).to_contain_text("Harbour St")
    await page.get_by_role("button", name="Save branding").click()
    await expect(page.locator(".notice")).to_contain_text("Branding saved")
    settings = await ok(await api.get("/v1/settings/invoicing"))
    assert settings["accent_color"].lower() == "#0f766e"
    assert settings["footer"] == "Acme Cloud Ltd · 1 Harbour St · Thank you for your business"
    style = await page.locator("[data-accent-sample]").get_attribute("style")
    assert "#0f766e" in style.lower()
    # The preview links: the newest invoice's hosted page, and its PDF drawn now through the API.
    hosted = await page.locator("#preview-hosted").get_attribute("href")
    assert "/i/" in hosted
    pdf = await page.request.get(url(platform, "/dashboard/settings/invoicing/preview.pdf"))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert (await pdf.body()).startswith(b"%PDF")

    # A logo URL the API refuses (not http/https) is its 400, shown with the field named; nothing changes.
    await page.get_by_label("Logo URL").fill("ftp://example.com/logo.png")
    await page.get_by_role("button", name="Save branding").click()
    await expect(page.locator("#form-error")).to_contain_text("logo_url")
    assert (await ok(await api.get("/v1/settings/invoicing")))["accent_color"].lower() == "#0f766e"
    await page.goto(url(platform, "/dashboard/settings/invoicing"))
    await shoot(page, "branding")


async def test_email_template_edited_with_live_preview_saved_and_reset(platform, org, owner_page):
    api, _ = org
    page = owner_page
    await page.goto(url(platform, "/dashboard/settings/email_templates"))
    await page.get_by_role("link", name="Edit invoice_issued").click()
    await expect(page.locator(".variables")).to_contain_text("customer_name")
    subject = "Your invoice {{ invoice_number }} from {{ company_name }} is ready"
    await page.get_by_label("Subject").fill(subject)
    # The preview is rendered by the API as you type (debounced), with the sample invoice's values.
    await expect(page.locator("#preview-subject")).to_contain_text("is ready", timeout=15_000)
    assert "{{" not in await page.locator("#preview-subject").text_content()
    await page.get_by_role("button", name="Save template").click()
    await expect(page.locator(".notice")).to_contain_text("Template saved")
    saved = await ok(await api.get("/v1/email_templates/invoice_issued"))
    assert saved["customized"] is True and saved["subject"] == subject
    await shoot(page, "email-template")

    page.once("dialog", lambda dialog: dialog.accept())
    await page.get_by_role("button", name="Reset to default").click()
    await expect(page.locator(".notice")).to_contain_text("Template reset")
    assert (await ok(await api.get("/v1/email_templates/invoice_issued")))["customized"] is False


async def test_api_key_created_then_revoked_is_refused(platform, org, owner_page):
    page = owner_page
    await page.goto(url(platform, "/dashboard/developers"))
    await page.get_by_role("button", name="Create API key").click()
    key = (await page.locator("#new-key-value").text_content()).strip()
    gateway = platform.config.url("gateway")
    async with httpx.AsyncClient(base_url=gateway, timeout=30, headers={"Authorization": f"Bearer {key}"}) as client:
        assert (await client.get("/v1/customers")).status_code == 200
        await page.goto(url(platform, "/dashboard/developers"))
        keys = (await ok(await client.get("/v1/api_keys")))["data"]
        created = next(k for k in keys if key.startswith(k["prefix"]) and not k["revoked_at"]
                       and k["created_at"] == max(x["created_at"] for x in keys))
        target = page.locator(f'tr[data-key="{created["id"]}"]')
        page.once("dialog", lambda dialog: dialog.accept())
        await target.get_by_role("button", name=re.compile("^Revoke")).click()
        await expect(page.locator(".notice")).to_contain_text("revoked")

        async def refused():
            return (await client.get("/v1/customers")).status_code == 401
        await wait_for(refused, timeout=30, interval=0.5)


@pytest.fixture(scope="module")
async def receiver(serve):
    """A local webhook receiver verifying signatures with the secret the page showed."""
    state = {"secret": None, "received": [], "rejected": 0}

    async def hook(request: Request):
        raw = await request.body()
        try:
            Webhook(state["secret"]).verify(raw, dict(request.headers))
        except (WebhookVerificationError, TypeError, ValueError):
            state["rejected"] += 1
            return JSONResponse({"ok": False}, status_code=400)
        state["received"].append({"id": request.headers["webhook-id"], "body": json.loads(raw)})
        return JSONResponse({"ok": True})

    async with serve(Starlette(routes=[Route("/hooks", hook, methods=["POST"])])) as base:
        state["url"] = f"{base}/hooks"
        yield state


async def test_webhook_endpoint_created_tested_and_replayed(platform, org, owner_page, receiver):
    api, _ = org
    page = owner_page
    await page.goto(url(platform, "/dashboard/developers"))
    await page.locator("#new-endpoint summary").click()
    await page.get_by_label("Endpoint URL").fill(receiver["url"])
    await page.get_by_label("Description").fill("Our ERP")
    await page.get_by_role("button", name="Add endpoint").click()
    secret = (await page.locator("#secret-value").text_content()).strip()
    assert secret.startswith("whsec_")
    receiver["secret"] = secret
    endpoint_id = (await ok(await api.get("/v1/webhook_endpoints")))["data"][0]["id"]
    await page.goto(url(platform, f"/dashboard/developers/webhooks/{endpoint_id}"))
    await page.get_by_role("button", name="Send test event").click()
    await expect(page.locator(".notice")).to_contain_text("Test event queued")

    async def delivered():
        return [r for r in receiver["received"] if r["body"]["type"] == "webhook.test"]
    first = (await wait_for(delivered, timeout=60, interval=0.5))[0]

    async def shown_succeeded():
        await page.reload()
        return await page.locator('tr[data-delivery][data-status="succeeded"]').count() == 1
    await wait_for(shown_succeeded, timeout=60, interval=1)
    row = page.locator('tr[data-delivery][data-status="succeeded"]')
    delivery_id = await row.get_attribute("data-delivery")
    await expect(row.locator("[data-attempts]")).to_have_text("1")
    await row.get_by_role("button", name=re.compile("^Replay")).click()
    await expect(page.locator(".notice")).to_contain_text("replayed")

    async def replayed():
        again = [r for r in receiver["received"] if r["id"] == first["id"]]
        return len(again) == 2
    await wait_for(replayed, timeout=60, interval=0.5)
    delivery = await ok(await api.get(f"/v1/webhook_endpoints/{endpoint_id}/deliveries/{delivery_id}"))
    assert delivery["replays"] == 1 and delivery["attempts"] == 2
    assert receiver["rejected"] == 0
    await page.goto(url(platform, f"/dashboard/developers/webhooks/{endpoint_id}/deliveries/{delivery_id}"))
    await expect(page.locator("tbody tr")).to_have_count(2)
    await page.goto(url(platform, f"/dashboard/developers/webhooks/{endpoint_id}"))
    await shoot(page, "webhook-endpoint")


async def test_logs_filtered_by_invoice_or_customer_show_their_emails(platform, org, owner_page):
    api, _ = org
    page = owner_page
    customers = []
    for name in ("Log One", "Log Two"):
        customers.append(await ok(await api.post("/v1/customers", json={
            "name": name, "email": f"{name.lower().replace(' ', '.')}.{uuid.uuid4().hex[:6]}@example.com"})))
    invoices = []
    for customer in customers:
        draft = await ok(await api.post("/v1/invoices", json={
            "customer_id": customer["id"], "currency": "usd",
            "lines": [{"description": "Consulting", "quantity": 1, "unit_amount": 25000}]}))
        invoices.append(await ok(await api.post(f"/v1/invoices/{draft['id']}/approve",
                                                headers={"Idempotency-Key": uuid.uuid4().hex})))
    mine = invoices[0]

    async def sent():
        listed = (await ok(await api.get("/v1/messages", params={"invoice_id": mine["id"]})))["data"]
        return [m for m in listed if m["status"] == "sent"]
    message = (await wait_for(sent, timeout=60, interval=0.5))[0]

    await page.goto(url(platform, "/dashboard/logs"))
    await page.get_by_label("Invoice id").fill(mine["id"])
    await page.get_by_role("button", name="Filter").click()
    emails = page.locator("#emails tr[data-message]")
    await expect(emails.first).to_be_visible()
    assert await emails.count() >= 1
    for i in range(await emails.count()):
        assert await emails.nth(i).get_attribute("data-invoice") == mine["id"]
    row = page.locator(f'#emails tr[data-message="{message["id"]}"]')
    await expect(row).to_contain_text(customers[0]["email"])
    await expect(row).to_contain_text("invoice_issued")
    await expect(row).to_contain_text("sent")
    await expect(page.locator(f'#emails tr[data-invoice="{invoices[1]["id"]}"]')).to_have_count(0)
    await shoot(page, "logs")

    # By customer: the other customer's email, and not this one's.
    async def theirs_sent():
        listed = (await ok(await api.get("/v1/messages", params={"customer_id": customers[1]["id"]})))["data"]
        return [m for m in listed if m["status"] == "sent"]
    await wait_for(theirs_sent, timeout=60, interval=0.5)
    await page.goto(url(platform, "/dashboard/logs"))
    await page.get_by_label("Customer id").fill(customers[1]["id"])
    await page.get_by_role("button", name="Filter").click()
    await expect(page.locator(f'#emails tr[data-invoice="{invoices[1]["id"]}"]').first).to_be_visible()
    await expect(page.locator(f'#emails tr[data-invoice="{mine["id"]}"]')).to_have_count(0)


async def test_users_invite_a_finance_user_who_cannot_change_settings(platform, org, owner_page, browser, mailbox):
    api, _ = org
    page = owner_page
    email = f"fin.{uuid.uuid4().hex[:6]}@example.com"
    await page.goto(url(platform, "/dashboard/users"))
    await page.get_by_label("Email", exact=True).fill(email)
    await page.get_by_label("Name (optional)").fill("Fiona Finance")
    await page.get_by_label("Role", exact=True).select_option("finance")
    await page.get_by_role("button", name="Send invitation").click()
    await expect(page.locator(".notice")).to_contain_text(email)
    users = (await ok(await api.get("/v1/users")))["data"]
    invited = next(u for u in users if u["email"] == email)
    assert invited["role"] == "finance" and invited["status"] == "invited"
    await shoot(page, "users")

    async def invite_email():
        return mailbox(to=email)
    message = (await wait_for(invite_email, timeout=60, interval=0.5))[-1]
    link = re.search(r"https?://\S+/dashboard/accept\?token=[\w\-.~%]+", body_text(message)).group(0)
    link = platform.config.url("gateway") + link[link.index("/dashboard"):]

    context = await browser.new_context(viewport=DESKTOP)
    finance = await context.new_page()
    try:
        await finance.goto(link)
        await finance.get_by_label(re.compile("password", re.I)).fill("correct horse battery")
        await finance.get_by_role("button", name=re.compile("sign in", re.I)).click()
        await finance.wait_for_url("**/dashboard")
        await finance.get_by_role("button", name="Sign out").click()
        await finance.get_by_label("Email", exact=True).first.fill(email)
        await finance.get_by_label("Password").fill("correct horse battery")
        await finance.get_by_role("button", name="Sign in").click()
        await finance.wait_for_url("**/dashboard")
        assert (await ok(await api.get("/v1/users")))["data"] and next(
            u for u in (await ok(await api.get("/v1/users")))["data"] if u["email"] == email)["status"] == "active"

        before = await ok(await api.get("/v1/settings/invoicing"))
        await finance.goto(url(platform, "/dashboard/settings/invoicing"))
        await expect(finance.locator("#read-only")).to_be_visible()
        await expect(finance.locator("main form")).to_have_count(0)
        await expect(finance.get_by_label("Accent colour", exact=True)).to_be_disabled()
        # A forged POST with a valid CSRF token: the API refuses the role (403), nothing changes.
        csrf = await finance.locator("input[name=csrf_token]").first.get_attribute("value")
        answer = await finance.request.post(url(platform, "/dashboard/settings/invoicing/branding"),
                                            form={"csrf_token": csrf, "accent_color": "#000000", "footer": "forged"},
                                            max_redirects=0)
        assert answer.status == 303
        assert "error=" in answer.headers["location"] and "finance" in answer.headers["location"]
        after = await ok(await api.get("/v1/settings/invoicing"))
        assert (after["accent_color"], after["footer"], after["version"]) == (
            before["accent_color"], before["footer"], before["version"])
        await finance.goto(url(platform, "/dashboard/users"))
        await expect(finance.locator("main form")).to_have_count(0)
    finally:
        await context.close()
