"""Paying from the hosted page with every real part: invoicing issues the invoice, the
portal serves its link, payments charges the sandbox gateway, and the outcome comes back
to the page and, by events, into the payment history."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile

import httpx
import pytest

from duely_devstack.net import free_port, wait_for_port_sync
from duely_portal import repository

from tests.invoicing.documents_helpers import pdf_text, plain, squeezed
from tests.portal.conftest import portal_settings
from tests.portal.invoices import DESKTOP, PHONE, SCREENSHOTS, readme_eur_invoice, token_of

PORT_RANGE = (28000, 28999)  # the portal suite's range for subprocesses


@pytest.fixture(scope="module")
def sandbox_gateway(tmp_path_factory) -> str:
    port = free_port(*PORT_RANGE)
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen([sys.executable, "-m", "duely_devstack.sandbox_gateway", "--port", str(port),
                             "--state-dir", str(tmp_path_factory.mktemp("sandbox")), "--reset"],
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_port_sync("127.0.0.1", port, timeout=20)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
async def payments(serve, settings_env, database_url, sandbox_gateway, invoicing):
    from duely_payments.main import build
    from duely_payments.config import Settings
    settings = settings_env(Settings, await database_url("portal_payments"), stripe_api_base=sandbox_gateway,
                            invoicing_url=invoicing.url)
    async with serve(build(settings)) as url:
        yield url


@pytest.fixture(scope="module")
async def real_portal(serve, settings_env, database_url, invoicing, payments):
    from duely_portal.main import build
    app = build(await portal_settings(settings_env, await database_url("portal_rt"), invoicing_url=invoicing.url,
                                      payments_url=payments))
    async with serve(app) as url:
        app.state.url = url
        yield app


@pytest.fixture(scope="module")
async def gateway(serve, invoicing, payments, real_portal):
    """The public base URL, as the email's link uses it: hosted pages reach the portal through it."""
    from duely_gateway.main import build
    from duely_gateway.config import Settings
    settings = Settings(invoicing_url=invoicing.url, payments_url=payments, portal_url=real_portal.state.url)
    async with serve(build(settings)) as url:
        yield url


async def issue_invoice(invoicing) -> tuple[str, dict]:
    organization_id, api_key = await invoicing.create_org("Initech")
    return organization_id, await issue_invoice_for(invoicing, api_key)


async def issue_invoice_for(invoicing, api_key: str) -> dict:
    async with httpx.AsyncClient(base_url=invoicing.url, headers={"Authorization": f"Bearer {api_key}"}) as client:
        customer = await client.post("/v1/customers", json={"name": "Peter Gibbons", "email": "peter@initech.example"})
        assert customer.status_code == 201, customer.text
        draft = await client.post("/v1/invoices", json={
            "customer_id": customer.json()["id"], "currency": "usd", "payment_terms": "net_30",
            "memo": "TPS report consulting",
            "lines": [
                {"description": "TPS report review", "quantity": "4", "unit_amount": 15000,
                 "tax_rates": [{"display_name": "Texas Sales Tax", "percentage": "6.25"}]},
                {"description": "Cover sheet redesign", "quantity": "1", "unit_amount": 8000,
                 "tax_rates": [{"display_name": "Texas Sales Tax", "percentage": "6.25"},
                               {"display_name": "Austin City Tax", "percentage": "2"}]},
            ]})
        assert draft.status_code == 201, draft.text
        issued = await client.post(f"/v1/invoices/{draft.json()['id']}/approve")
        assert issued.status_code == 200, issued.text
    return issued.json()


async def test_decline_then_pay_from_the_hosted_page(real_portal, gateway, invoicing, browser, wait_for):
    organization_id, invoice = await issue_invoice(invoicing)
    token = invoice["hosted_invoice_url"].rsplit("/i/", 1)[1]
    url = f"{gateway}/i/{token}"  # through the gateway, as the customer's email link goes

    page = await browser.new_page()
    try:
        await page.goto(url)
        assert await page.inner_text("#invoice-number") == invoice["number"]
        assert "TPS report review" in await page.inner_text("#lines")
        amount_due = await page.inner_text("#amount-due")
        assert amount_due == f"${invoice['amount_due'] / 100:,.2f}"

        await page.select_option("#payment-method", "pm_card_chargeDeclined")
        async with page.expect_navigation():
            await page.click("#pay-button")
        assert page.url == f"{url}?payment=failed&code=card_declined"
        assert "declined" in await page.inner_text("#payment-outcome")
        assert await page.inner_text("#pay-button") == f"Pay {amount_due}"

        await page.select_option("#payment-method", "pm_card_visa")
        async with page.expect_navigation():
            await page.click("#pay-button")
        assert page.url == f"{url}?payment=succeeded"
        assert await page.query_selector("#pay-form") is None
        # Processing until invoice.paid reaches the read model (the page reloads itself), then paid.
        assert await page.inner_text("#status") in ("Processing", "Paid")
        await page.wait_for_selector("#status.paid", timeout=20_000)
        assert "Payment received" in await page.inner_text("#payment-outcome")

        # Payments' events reach the portal's history: one failure, then the success.
        async def history():
            async with real_portal.state.runtime.db.transaction() as session:
                rows = await repository.payment_history(session, organization_id, invoice["id"])
            return rows if len(rows) == 2 else None
        rows = await wait_for(history)
        assert [(r.attempt_number, r.outcome, r.failure_code) for r in rows] == [
            (1, "failed", "card_declined"), (2, "succeeded", None)]
        assert all(r.amount == invoice["amount_due"] for r in rows)

        await page.goto(url)
        payments_text = await page.inner_text("#payments tbody")
        assert "Visa ending 0341 — declined on" in payments_text and "with Visa ending 4242" in payments_text
    finally:
        await page.close()


async def test_paying_the_readme_invoice_ends_on_a_paid_page_and_its_receipt(
        real_portal, gateway, invoicing, browser):
    """Acme GmbH's French invoice paid by card from its page: never "Payment received" beside "À payer";
    the page reloads itself until the read model knows, then it is paid through and through, and its
    download is the receipt, which says the same."""
    invoice = await readme_eur_invoice(invoicing)
    url = f"{gateway}/i/{token_of(invoice)}"
    page = await browser.new_page(viewport=DESKTOP)
    try:
        await page.goto(url)
        assert plain(await page.inner_text("#amount-due")) == "1 272,29 €"
        await page.select_option("#payment-method", "pm_card_chargeDeclined")  # first a decline, for the history
        async with page.expect_navigation():
            await page.click("#pay-button")
        for _ in range(100):  # the history comes by payments' event: the customer reloads until it shows
            if await page.query_selector("#payments td.outcome"):
                break
            await asyncio.sleep(0.2)
            await page.reload()
        await page.select_option("#payment-method", "pm_card_visa")
        async with page.expect_navigation():
            await page.click("#pay-button")
        status = await page.inner_text("#status")
        if status != "Payée":
            assert status == "En cours"
            assert await page.query_selector("#payment-outcome") is None  # no "Paiement reçu" yet
            assert "Échéance le" not in await page.inner_text("body")
        await page.wait_for_selector("#status.paid", timeout=20_000)

        assert await page.inner_text("#status") == "Payée"
        assert await page.inner_text("#payment-outcome") == "Paiement reçu. Merci ! Votre reçu vous est envoyé par e-mail."
        assert plain(await page.inner_text("#amount-due")) == "0,00 €"
        assert await page.inner_text("#due-text") == "Payée intégralement"
        assert "Échéance le" not in await page.inner_text("body")
        assert await page.query_selector("#pay-form") is None and await page.query_selector("#bank-transfer") is None
        totals = [[plain(c) for c in (await row.inner_text()).split("\t")]
                  for row in await page.query_selector_all("#totals tr")]
        assert totals[-3:] == [["Total", "1 272,29 €"], ["Déjà payé", "-1 272,29 €"], ["Montant dû", "0,00 €"]]
        assert await page.inner_text("#download-pdf") == "Télécharger le reçu"

        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SCREENSHOTS / "paid-desktop.png"), full_page=True)
        await page.set_viewport_size(PHONE)
        outcomes = await page.eval_on_selector_all(  # each outcome one word on one line, even "Échoué" on a phone
            "#payments td.outcome strong", "els => els.map(e => [e.textContent, e.getClientRects().length])")
        assert sorted(outcomes) == [["Réussi", 1], ["Échoué", 1]], outcomes
        await page.screenshot(path=str(SCREENSHOTS / "paid-phone.png"), full_page=True)
        assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        await page.close()

    async with httpx.AsyncClient() as client:  # the receipt, through the gateway like the link
        receipt = await client.get(f"{url}/pdf")
    assert receipt.status_code == 200 and receipt.headers["content-type"] == "application/pdf"
    text = squeezed(pdf_text(receipt.content))
    for label, value in totals[:-1]:
        assert squeezed(f"{label} {value}").replace(" %", "%") in text, (label, value)
    assert "montant dû 0,00 €" in text.lower()
    assert "payée" in text.lower() and "Virement bancaire" not in text  # stamped paid, and no how-to-pay


async def test_the_history_names_the_card_and_a_safe_reason_never_the_gateways_words(
        real_portal, gateway, invoicing, payments, wait_for):
    """A decline for insufficient funds, then a payment, as the customer reads them on the page's HTML."""
    organization_id, api_key = await invoicing.create_org("Initech")
    invoice = await issue_invoice_for(invoicing, api_key)
    async with httpx.AsyncClient(base_url=payments, headers={"Authorization": f"Bearer {api_key}"}) as merchant:
        declined = await merchant.post(f"/v1/invoices/{invoice['id']}/pay",
                                       json={"payment_method": "pm_card_visa_chargeDeclinedInsufficientFunds"})
        assert declined.status_code == 402, declined.text
        gateway_words = declined.json()["error"]["message"]

        async def history(n: int):
            async with real_portal.state.runtime.db.transaction() as session:
                rows = await repository.payment_history(session, organization_id, invoice["id"])
            return rows if len(rows) == n else None
        [row] = await wait_for(lambda: history(1))
        url = f"{gateway}/i/{token_of(invoice)}"
        async with httpx.AsyncClient() as customer:
            html = (await customer.get(url)).text
        history_html = _payments_table(html)  # (the sandbox's pay form lists test ids as option values)
        assert "Visa ending 9995 — declined on" in history_html and ": insufficient funds" in history_html
        assert row.failure_message == gateway_words and gateway_words not in html
        assert "pm_" not in history_html and "gateway" not in html.lower()

        paid = await merchant.post(f"/v1/invoices/{invoice['id']}/pay", json={"payment_method": "pm_card_visa"})
        assert paid.status_code == 200, paid.text
    await wait_for(lambda: history(2))
    async with httpx.AsyncClient() as customer:
        history_html = _payments_table((await customer.get(url)).text)
    assert "Paid on " in history_html and " with Visa ending 4242" in history_html and "pm_" not in history_html


def _payments_table(html: str) -> str:
    start = html.index('<table id="payments">')
    return html[start:html.index("</table>", start)]


async def test_a_payment_method_the_gateway_refuses_reads_as_a_clear_message(real_portal, gateway, invoicing):
    """The portal's own call to payments, refused by the gateway as unknown: the page tells the customer
    nothing was charged and keeps the form (payments' 400, not a failure)."""
    from duely_portal.payments_client import PaymentsClient
    organization_id, invoice = await issue_invoice(invoicing)
    outcome = await PaymentsClient(real_portal.state.runtime.settings).pay_invoice(
        organization_id, invoice["id"], "pm_card_doesnotexist", idempotency_key="portal-pay-refused-1")
    assert (outcome.status, outcome.failure_code) == ("failed", "payment_method_invalid")
    async with httpx.AsyncClient() as customer:
        page = await customer.get(f"{gateway}/i/{token_of(invoice)}", params={"payment": "failed",
                                                                                "code": outcome.failure_code})
    assert page.status_code == 200
    assert "This payment method can&#39;t be used. Nothing was charged; please choose another one." in page.text
    assert 'id="pay-form"' in page.text and "pm_card_doesnotexist" not in page.text


async def test_a_decline_for_insufficient_funds_reads_the_same_in_the_notice_as_in_the_history(
        real_portal, gateway, invoicing):
    """Stripe keeps "insufficient funds" in the decline code, under code card_declined: the notice
    after paying reads the attempt's customer-safe reason, as the history row does."""
    from duely_portal.payments_client import PaymentsClient
    organization_id, invoice = await issue_invoice(invoicing)
    outcome = await PaymentsClient(real_portal.state.runtime.settings).pay_invoice(
        organization_id, invoice["id"], "pm_card_visa_chargeDeclinedInsufficientFunds",
        idempotency_key="portal-pay-insufficient-1")
    assert (outcome.status, outcome.failure_code) == ("failed", "insufficient_funds")
    async with httpx.AsyncClient() as customer:
        page = await customer.get(f"{gateway}/i/{token_of(invoice)}", params={"payment": "failed",
                                                                                "code": outcome.failure_code})
    assert "Your card has insufficient funds." in page.text and "Your card was declined." not in page.text
