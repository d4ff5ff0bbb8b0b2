"""The merchant dashboard's receivables pages in Chromium, on the running platform (every service, the broker,
the sandbox gateway): Customers → Billing settings turns AutoPay on and the next invoice charges itself on issue;
a subscription's AutoPay override and status; the invoice list's filters and search, an invoice's timeline, PDF,
reminder, manual payment, partial refund, void and write-off; bulk approval with its progress bar; a viewer who
can change nothing, and another organization's ids answered 404. Each flow is clicked in the page, then checked
through the public API with the organization's key. Screenshots: var/screenshots/dashboard-*-{desktop,phone}.png."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import wait_for
from tests.e2e.dashboard_helpers import DESKTOP, emailed_link, organization_with_owner, shoot, sign_in


@pytest.fixture(scope="module")
async def org(platform):
    async with organization_with_owner(platform, "Receivables Co") as (api, owner):
        api.owner = owner
        yield api


@pytest.fixture
async def owner_page(browser, platform, org):
    page = await sign_in(browser, platform, org.owner["email"], org.owner["password"])
    page.set_default_timeout(30_000)
    page.on("dialog", lambda dialog: dialog.accept())  # the data-confirm questions
    yield page
    await page.context.close()


def url(platform, path: str) -> str:
    return platform.config.url("gateway") + path


async def ok(response) -> dict:
    assert response.status_code in (200, 201, 202), response.text
    return response.json()


async def new_customer(api, name: str) -> dict:
    return await ok(await api.post("/v1/customers", json={
        "name": name, "email": f"{uuid.uuid4().hex[:8]}@customer.example", "locale": "en_US"}))


async def draft(api, customer_id: str, amount: int, currency: str = "usd", **extra) -> dict:
    return await ok(await api.post("/v1/invoices", json={
        "customer_id": customer_id, "currency": currency, "payment_terms": "net_30", **extra,
        "lines": [{"description": "Consulting", "quantity": 1, "unit_amount": amount}]}))


async def issued(api, customer_id: str, amount: int, currency: str = "usd", **extra) -> dict:
    made = await draft(api, customer_id, amount, currency, **extra)
    return await ok(await api.post(f"/v1/invoices/{made['id']}/approve"))


async def status_of(api, invoice_id: str) -> str:
    return (await ok(await api.get(f"/v1/invoices/{invoice_id}")))["status"]


async def notice(page) -> str:
    """The notice a POST came back with (or, failing the test, the error it came back with instead)."""
    try:
        shown = await page.wait_for_selector("p.notice, #form-error, #csrf-refused, #forbidden, #api-error")
    except Exception as exc:
        raise AssertionError(f"{page.url}: no notice: {(await page.inner_text('body'))[:800]}") from exc
    text_shown = await shown.inner_text()
    assert await shown.get_attribute("class") == "notice", f"{page.url}: {text_shown}"
    return text_shown


async def test_customer_billing_settings_turn_autopay_on_and_the_next_invoice_charges_on_issue(
        owner_page, org, platform):
    api, page = org, owner_page
    customer = await new_customer(api, "Autopay Ltd")
    method = await ok(await api.post(f"/v1/customers/{customer['id']}/payment_methods",
                                     json={"payment_method": "pm_card_visa"},
                                     headers={"Idempotency-Key": uuid.uuid4().hex}))

    async def known():  # the saved method has reached invoicing (payment_method.attached) when it can be named
        answer = await api.patch(f"/v1/customers/{customer['id']}", json={"autopay": {
            "enabled": False, "timing": "on_due_date", "payment_method_id": method["id"]}})
        return answer.status_code == 200
    await wait_for(known, timeout=60, interval=0.5)
    await ok(await api.patch(f"/v1/customers/{customer['id']}", json={"autopay": None}))  # back to the default

    await page.goto(url(platform, "/dashboard/customers"))
    await page.fill("#q", "Autopay")
    await page.click("text=Search")
    await page.click(f'tr[data-customer="{customer["id"]}"] a')
    assert await page.inner_text("h1") == "Autopay Ltd"
    assert "Visa •••• 4242" in await page.inner_text("#methods")
    await page.check('#billing-form input[name=autopay_mode][value=on]')
    await page.select_option("#payment_method_id", method["id"])
    await page.select_option("#timing", "on_issue")
    await page.click("#billing-form button.primary")
    assert await notice(page) == "Billing settings saved."
    assert "on · on issue" in await page.inner_text("#autopay-state")
    await shoot(page, "customer-billing")

    saved = await ok(await api.get(f"/v1/customers/{customer['id']}"))
    assert saved["autopay"]["enabled"] is True and saved["autopay"]["timing"] == "on_issue"
    assert saved["autopay"]["payment_method_id"] == method["id"]

    invoice = await issued(api, customer["id"], 4200)
    assert invoice["autopay"] is not None
    paid = await wait_for(lambda: _paid(api, invoice["id"]), timeout=90, interval=0.5)
    assert paid["amount_paid"] == 4200 and paid["amount_due"] == 0

    # The invoice's page tells the same story: the AutoPay charge done, the payment, no amount left.
    await page.goto(url(platform, f"/dashboard/invoices/{invoice['id']}"))
    assert "AutoPay charge" in await page.inner_text("#timeline-list")
    assert "succeeded" in await page.inner_text("#attempts-table")


async def _paid(api, invoice_id: str):
    invoice = (await api.get(f"/v1/invoices/{invoice_id}")).json()
    return invoice if invoice.get("status") == "paid" else None


async def test_create_a_customer_edit_its_contacts_and_settings_and_send_a_portal_link(
        owner_page, org, platform, browser, mailbox):
    api, page = org, owner_page
    email = f"{uuid.uuid4().hex[:8]}@newco.example"
    await page.goto(url(platform, "/dashboard/customers"))
    await page.fill("#new-name", "Newco SARL")
    await page.fill("#new-email", email)
    await page.click("text=Create customer")
    assert await notice(page) == "Customer created."
    customer_id = page.url.split("/dashboard/customers/")[1].split("?")[0]
    assert (await ok(await api.get(f"/v1/customers/{customer_id}")))["email"] == email

    await page.fill("#d-cc", "ap@newco.example\ncfo@newco.example")
    await page.fill("#d-contact-name", "Anne Payable")
    await page.fill("#d-contact-email", "anne@newco.example")
    await page.fill("#d-locale", "fr_FR")
    await page.fill("#d-terms", "net_45")
    await page.check("#details input[value=wire_transfer]")
    await page.check("#details input[value=sepa_debit]")
    await page.select_option("#d-tax", "reverse_charge")
    await page.fill("#d-taxid", "FR40303265045")
    await page.click("text=Save customer")
    assert await notice(page) == "Customer saved."
    saved = await ok(await api.get(f"/v1/customers/{customer_id}"))
    assert saved["cc_emails"] == ["ap@newco.example", "cfo@newco.example"]
    assert saved["billing_contact"]["name"] == "Anne Payable" and saved["billing_contact"]["email"] == "anne@newco.example"
    assert (saved["locale"], saved["payment_terms"], saved["tax_treatment"], saved["tax_id"]) == (
        "fr_FR", "net_45", "reverse_charge", "FR40303265045")
    assert sorted(saved["accepted_payment_methods"]) == ["sepa_debit", "wire_transfer"]

    # A refused value comes back as the API's error with the field named; nothing changes.
    await page.fill("#d-terms", "whenever")
    await page.click("text=Save customer")
    assert "payment_terms" in await page.inner_text("#form-error")
    assert (await ok(await api.get(f"/v1/customers/{customer_id}")))["payment_terms"] == "net_45"

    # Portal link: shown once with a copy button, emailed when asked; it opens the customer's portal.
    await page.goto(url(platform, f"/dashboard/customers/{customer_id}"))
    await page.check("input[name=email_it]")
    await page.click("text=Create portal link")
    assert await notice(page) == "Portal link created and emailed to the customer."
    link = await page.input_value("#portal-url")
    assert link.startswith(url(platform, "/portal/login/"))
    assert await page.get_attribute("#portal [data-copy]", "data-copy") == link
    await wait_for(lambda: _async(mailbox(to=email)), timeout=30, interval=0.5)
    customer_view = await browser.new_context(viewport=DESKTOP)
    try:
        portal = await customer_view.new_page()
        await portal.goto(link)
        assert portal.url == url(platform, "/portal")
    finally:
        await customer_view.close()


async def _async(value):
    return value


async def test_subscription_overrides_the_customers_autopay_and_changes_status(owner_page, org, platform):
    api, page = org, owner_page
    customer = await new_customer(api, "Subscriber GmbH")
    subscription = await ok(await api.post("/v1/subscriptions", json={"customer_id": customer["id"],
                                                                      "description": "Team plan"}))
    listed = await page.goto(url(platform, "/dashboard/subscriptions"))
    assert listed.status == 200, (await listed.text())[:2000]
    await page.click(f'tr[data-subscription="{subscription["id"]}"] a')
    await page.check('#billing-form input[name=autopay_mode][value=on]')
    await page.select_option("#timing", "days_before_due")
    await page.fill("#days_before_due", "3")
    await page.click("#billing-form button.primary")
    assert await notice(page) == "Billing settings saved."
    settings = (await ok(await api.get(f"/v1/subscriptions/{subscription['id']}")))["settings"]
    assert settings["autopay"]["enabled"] is True
    assert (settings["autopay"]["timing"], settings["autopay"]["days_before_due"]) == ("days_before_due", 3)

    # A refused value reads as the API's error, the field named.
    await page.select_option("#timing", "days_before_due")
    await page.fill("#days_before_due", "")
    await page.click("#billing-form button.primary")
    assert "days_before_due" in await page.inner_text("#form-error")

    await page.select_option("#new-status", "paused")
    await page.click("#status button")
    assert await notice(page) == "Subscription paused."
    assert await page.inner_text("#sub-status") == "paused"
    assert (await ok(await api.get(f"/v1/subscriptions/{subscription['id']}")))["status"] == "paused"
    await shoot(page, "subscription-billing")

    await page.check('#billing-form input[name=autopay_mode][value=inherit]')
    await page.click("#billing-form button.primary")
    assert await notice(page) == "Billing settings saved."
    assert (await ok(await api.get(f"/v1/subscriptions/{subscription['id']}")))["settings"]["autopay"] is None


async def test_invoice_list_detail_timeline_and_actions(owner_page, org, platform):
    api, page = org, owner_page
    customer = await new_customer(api, "Ledger & Sons")
    first = await issued(api, customer["id"], 12000)
    second = await issued(api, customer["id"], 5000)
    third = await issued(api, customer["id"], 7000)
    euro = await draft(api, customer["id"], 3000, "eur")

    # Filters: status, currency, customer; search by number.
    await page.goto(url(platform, "/dashboard/invoices"))
    await page.select_option("#f-status", "draft")
    await page.select_option("#f-customer", customer["id"])
    await page.click("#invoice-filters button.primary")
    rows = await page.locator("#invoices tbody tr[data-invoice]").evaluate_all("rs => rs.map(r => r.dataset.invoice)")
    assert rows == [euro["id"]]
    await page.goto(url(platform, f"/dashboard/invoices?currency=eur&customer_id={customer['id']}"))
    assert await page.locator("#invoices tbody tr[data-invoice]").count() == 1
    await page.goto(url(platform, "/dashboard/invoices"))
    await page.fill("#f-q", first["number"])
    await page.click("#invoice-filters button.primary")
    rows = await page.locator("#invoices tbody tr[data-invoice]").evaluate_all("rs => rs.map(r => r.dataset.invoice)")
    assert rows == [first["id"]]

    # The detail page: lines, totals, the timeline, the PDF, the hosted link to copy.
    await page.click(f'tr[data-invoice="{first["id"]}"] a')
    assert first["number"] in await page.inner_text("h1")
    assert "Consulting" in await page.inner_text("#lines") and "$120.00" in await page.inner_text("#lines")
    timeline = await page.inner_text("#timeline-list")
    assert "Invoice issued" in timeline and "planned" in timeline  # what happened and what is planned
    assert await page.get_attribute("#copy-link", "data-copy") == first["hosted_invoice_url"]
    pdf = await page.request.get(url(platform, f"/dashboard/invoices/{first['id']}/pdf"))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert (await pdf.body()).startswith(b"%PDF")

    # A reminder, now: on the collection timeline through the API.
    await page.click("text=Send a reminder")
    assert await notice(page) == "Reminder sent."
    collection = await ok(await api.get(f"/v1/invoices/{first['id']}/collection"))
    assert any(e["kind"] == "reminder" and e["status"] == "done" for e in collection["entries"]), collection
    assert "Reminder" in await page.inner_text("#timeline-list")
    await shoot(page, "invoice-timeline")

    # A manual payment of the whole balance: the invoice is paid.
    await page.select_option("#pay-method", "wire_transfer")
    await page.fill("#pay-reference", "WIRE-2026-001")
    await page.click("#record-payment button.primary")
    assert await notice(page) == "Payment recorded."
    await wait_for(lambda: _paid(api, first["id"]), timeout=30, interval=0.3)  # payments → invoicing, by event
    payments = (await ok(await api.get(f"/v1/invoices/{first['id']}/payments")))["data"]
    assert [(p["amount"], p["method_type"], p["reference"]) for p in payments] == [(12000, "wire_transfer",
                                                                                   "WIRE-2026-001")]

    # Part of it refunded.
    payment_id = payments[0]["id"]
    await page.fill(f"#refund-amount-{payment_id}", "20.00")
    await page.select_option(f"#refund-reason-{payment_id}", "duplicate")
    await page.click(f'tr[data-payment="{payment_id}"] button')
    assert await notice(page) == "Refund requested."
    refunds = (await ok(await api.get(f"/v1/payments/{payment_id}/refunds")))["data"]
    assert [(r["amount"], r["reason"], r["status"]) for r in refunds] == [(2000, "duplicate", "succeeded")]

    # Void one, write another off.
    await page.goto(url(platform, f"/dashboard/invoices/{second['id']}"))
    await page.click("#invoice-actions button:has-text('Void')")
    assert await notice(page) == "Invoice voided."
    assert await status_of(api, second["id"]) == "void"
    await page.goto(url(platform, f"/dashboard/invoices/{third['id']}"))
    await page.click("text=Mark uncollectible")
    assert await notice(page) == "Invoice marked uncollectible."
    assert await status_of(api, third["id"]) == "uncollectible"


async def test_bulk_approve_three_drafts_with_a_progress_bar(owner_page, org, platform):
    api, page = org, owner_page
    customer = await new_customer(api, "Bulk Buyer Inc")
    drafts = [await draft(api, customer["id"], 1000 * (n + 1)) for n in range(3)]
    await page.goto(url(platform, f"/dashboard/invoices?status=draft&customer_id={customer['id']}"))
    for made in drafts:
        await page.check(f"#pick-{made['id']}")
    await page.click("#bulk-approve")
    await page.wait_for_selector("#bulk-form[data-finished='1']")
    assert await page.inner_text("#bulk-status") == "3 of 3 done"
    assert await page.eval_on_selector("#bulk-progress", "p => [p.value, p.max]") == [3, 3]
    await page.wait_for_selector("#bulk-refresh:visible")
    await shoot(page, "invoice-bulk")
    for made in drafts:
        assert await status_of(api, made["id"]) == "issued"

    # Without JavaScript the same form posts every id to one route that reports each.
    context = await page.context.browser.new_context(viewport=DESKTOP, java_script_enabled=False)
    await context.add_cookies(await page.context.cookies())
    plain = await context.new_page()
    more = [await draft(api, customer["id"], 500) for _ in range(2)]
    await plain.goto(url(platform, f"/dashboard/invoices?status=draft&customer_id={customer['id']}"))
    for made in more:
        await plain.check(f"#pick-{made['id']}")
    await plain.click("#bulk-approve")
    assert await plain.inner_text("h1") == "Approved: 2 of 2"
    for made in more:
        assert await status_of(api, made["id"]) == "issued"
    await context.close()


async def test_a_viewer_changes_nothing_and_other_organizations_ids_are_not_found(browser, org, platform):
    api = org
    customer = await new_customer(api, "Watched Co")
    invoice = await issued(api, customer["id"], 9900)
    email = f"viewer-{uuid.uuid4().hex[:6]}@receivables.example"
    await ok(await api.post("/v1/users", json={"email": email, "role": "viewer", "name": "Vera Viewer"}))
    link = await emailed_link(platform, email, "accept")

    context = await browser.new_context(viewport=DESKTOP)
    page = await context.new_page()
    page.set_default_timeout(30_000)
    try:
        await page.goto(link)
        await page.fill("#password", "viewer-password-123")
        await page.click("button.primary")
        await page.wait_for_url("**/dashboard")

        await page.goto(url(platform, f"/dashboard/invoices/{invoice['id']}"))
        assert await page.locator("#invoice-actions form").count() == 0  # PDF and copy link only
        assert await page.locator("#record-payment").count() == 0
        await page.goto(url(platform, f"/dashboard/customers/{customer['id']}"))
        assert await page.locator("main button").count() == 0
        await page.goto(url(platform, "/dashboard/invoices"))
        assert await page.locator("#bulk-approve").count() == 0

        # A forged POST with a valid CSRF token: refused by the API, nothing changes.
        csrf = await page.get_attribute("form[action='/dashboard/sign_out'] input[name=csrf_token]", "value")
        answer = await page.evaluate("""async ([path, csrf]) => {
            const r = await fetch(path, {method: "POST", body: new URLSearchParams({csrf_token: csrf}),
                                         headers: {Accept: "application/json"}});
            return {status: r.status, body: await r.json()};
        }""", [f"/dashboard/invoices/{invoice['id']}/void", csrf])
        assert answer["status"] == 403 and answer["body"]["error"]["code"] == "insufficient_role", answer
        await page.goto(url(platform, f"/dashboard/customers/{customer['id']}"))
        await page.evaluate("""(csrf) => {
            const f = document.createElement("form"); f.method = "post"; f.action = location.pathname + "/billing";
            for (const [k, v] of [["csrf_token", csrf], ["autopay_mode", "on"], ["timing", "on_issue"]]) {
              const i = document.createElement("input"); i.name = k; i.value = v; f.appendChild(i); }
            document.body.appendChild(f); f.submit(); }""", csrf)
        await page.wait_for_selector("#form-error")
        assert await status_of(api, invoice["id"]) == "issued"
        assert (await ok(await api.get(f"/v1/customers/{customer['id']}")))["autopay"] is None

        # Another organization's invoice and customer: the 404 page.
        async with organization_with_owner(platform, "Elsewhere Co") as (other, _):
            their_customer = await new_customer(other, "Not Yours")
            their_invoice = await draft(other, their_customer["id"], 100)
        for path in (f"/dashboard/invoices/{their_invoice['id']}", f"/dashboard/customers/{their_customer['id']}",
                     f"/dashboard/invoices/{their_invoice['id']}/pdf"):
            response = await page.goto(url(platform, path))
            assert response.status == 404, path
            assert await page.locator("#not-found").count() == 1
    finally:
        await context.close()


