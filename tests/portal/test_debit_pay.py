"""Paying by bank debit on the hosted page, with every real part: invoicing issues the invoice, the page's
script creates the PaymentMethod at the sandbox gateway with the publishable key (cross-origin, as Stripe.js
against api.stripe.com), the portal posts only its id and the accepted mandate to payments, the debit is
processing, and the sandbox's signed event settles it (paid, or failed and payable again)."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest
from playwright.async_api import Error as PlaywrightError

from duely_devstack.net import free_port
from tests.payments.conftest import start_sandbox
from tests.conftest import start_consumer_group_at_end
from tests.portal.conftest import portal_settings
from tests.portal.invoices import DESKTOP, PHONE, SCREENSHOTS, api, created, readme_eur_invoice, token_of

PORT_RANGE = (28000, 28999)  # the portal suite's range for subprocesses
SUCCEEDS, FAILS = "DE89370400440532013000", "DE62370400440532013001"


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    with start_sandbox(free_port(*PORT_RANGE), tmp_path_factory.mktemp("debit-sandbox"),
                       settlement_delay_s=3.0) as gateway:
        yield gateway


@pytest.fixture(scope="module")
async def debit_payments(serve, settings_env, database_url, sandbox, invoicing):
    from duely_payments.config import Settings
    from duely_payments.main import build
    port = free_port(*PORT_RANGE)
    secret = sandbox.register_webhook(f"http://127.0.0.1:{port}/webhooks/stripe")
    # Its own consumer group (a unique service name): another payments of this test session shares none of
    # its partitions, so every event this module publishes reaches this instance.
    settings = settings_env(Settings, await database_url("portal_debit_payments"), stripe_api_base=sandbox.url,
                            invoicing_url=invoicing.url, stripe_webhook_secret=secret, recovery_interval_s=0.5,
                            service_name=f"payments_t{uuid.uuid4().hex[:8]}")
    await start_consumer_group_at_end(settings.kafka_bootstrap_servers, settings.service_name)
    async with serve(build(settings), port=port) as url:
        yield url


@pytest.fixture(scope="module")
async def debit_portal(serve, settings_env, database_url, invoicing, debit_payments, sandbox):
    from duely_portal.main import build
    app = build(await portal_settings(settings_env, await database_url("portal_debit"), invoicing_url=invoicing.url,
                                      payments_url=debit_payments, stripe_public_api_base=sandbox.url))
    async with serve(app) as url:
        app.state.url = url
        yield app


async def sepa_invoice(invoicing, methods=("card", "sepa_debit")) -> dict:
    """The README's EUR invoice (Acme GmbH bills Client SARL, page in French), accepting SEPA debits."""
    return await readme_eur_invoice(invoicing, accepted_payment_methods=list(methods))


async def open_page(browser, url: str, viewport=DESKTOP):
    page = await browser.new_page(viewport=viewport)
    sent = []  # every request the browser makes: where the bank details went
    page.on("request", lambda request: sent.append((request.method, request.url, request.post_data or "",
                                                     request.headers.get("authorization", ""))))
    await page.goto(url)
    return page, sent


async def pay_by_debit(page, iban: str) -> None:
    await page.fill("#debit-name", "Client SARL")
    await page.fill("#debit-iban", iban)
    await page.check("#debit-accept")
    async with page.expect_navigation():
        await page.click("#debit-button")


async def reload_until(page, selector: str, timeout_s: float = 60, text: str | None = None) -> None:
    for _ in range(int(timeout_s / 0.5)):
        try:
            found = await page.query_selector(selector)
            if found and (text is None or await found.inner_text() == text):
                return
        except PlaywrightError:  # the page navigated (it refreshes itself while a debit is processing)
            pass
        await asyncio.sleep(0.5)
        await page.reload()
    raise AssertionError(f"{selector} never showed")


async def test_sepa_debit_from_the_page_is_processing_then_paid(debit_portal, sandbox, invoicing, browser):
    invoice = await sepa_invoice(invoicing)
    url = f"{debit_portal.state.url}/i/{token_of(invoice)}"
    page, sent = await open_page(browser, url)
    try:
        assert await page.is_visible("#pay-debit")
        assert not await page.is_visible("#debit")  # the no-script hint gave way to the form
        assert await page.inner_text("#debit-heading") == "Payer par prélèvement · SEPA"
        mandate = await page.inner_text("#debit-mandate")
        assert "vous autorisez (A) Acme GmbH et Stripe" in mandate and "8\u00a0semaines" in mandate
        # Accessible: every field is labelled; the mandate must be accepted before anything is sent.
        assert await page.get_by_label("IBAN").count() == 1 and await page.get_by_label("Titulaire du compte").count() == 1
        await page.fill("#debit-name", "Client SARL")
        await page.fill("#debit-iban", SUCCEEDS)
        await page.click("#debit-button")
        assert not any("/v1/payment_methods" in u for _, u, _, _ in sent)  # checkbox unticked: nothing sent
        # A mistyped IBAN: the gateway says so, the page says it in the customer's language.
        await page.fill("#debit-iban", "DE00 1234")
        await page.check("#debit-accept")
        await page.click("#debit-button")
        await page.wait_for_selector("#debit-error:not(:empty)")
        assert await page.inner_text("#debit-error") == "Cet IBAN n’est pas valide. Veuillez le vérifier."
        assert await page.evaluate("document.activeElement.id") == "debit-iban"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SCREENSHOTS / "debit-sepa-desktop.png"), full_page=True)
        await page.set_viewport_size(PHONE)
        assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        await page.screenshot(path=str(SCREENSHOTS / "debit-sepa-phone.png"), full_page=True)
        await page.set_viewport_size(DESKTOP)

        await page.fill("#debit-iban", "")
        await pay_by_debit(page, SUCCEEDS)
        assert page.url.startswith(f"{url}?payment=debit&attempt=")
        # The IBAN went to the gateway only, with the publishable key; the portal got the id and the acceptance.
        to_gateway = [(m, b, a) for m, u, b, a in sent if u.startswith(sandbox.url)]
        assert to_gateway and all(a == "Bearer pk_test_sandbox" for m, b, a in to_gateway if m == "POST")
        assert any(SUCCEEDS in b for _, b, _ in to_gateway)
        to_portal = [b for m, u, b, _ in sent if u.startswith(debit_portal.state.url) and m == "POST"]
        assert to_portal and not any("DE89" in b or "3000" in b or "Client" in b for b in to_portal), to_portal
        assert "payment_method=pm_" in to_portal[-1] and "mandate_accepted=yes" in to_portal[-1]

        await reload_until(page, "#status", text="Paiement en cours")  # payments' payment.processing reached us
        assert "Prélèvement SEPA" in await page.inner_text("#processing-notice")
        assert await page.query_selector("#pay-debit") is None and await page.query_selector("#pay-form") is None
        await page.screenshot(path=str(SCREENSHOTS / "debit-processing-desktop.png"), full_page=True)

        await reload_until(page, "#status.paid")  # the sandbox's signed event → payments → invoicing → here
        assert await page.inner_text("#status") == "Payée"
        assert "Prélèvement SEPA" in await page.inner_text("#payments tbody")
    finally:
        await page.close()
    # The mandate the gateway holds: the customer's acceptance online, from the browser's address and agent.
    [intent] = sandbox.intents_for(invoice["id"])
    assert intent.status == "succeeded" and intent.payment_method_types == ["sepa_debit"]
    mandate = sandbox.client().v1.mandates.retrieve(intent.mandate)
    assert mandate.customer_acceptance.type == "online"
    assert mandate.customer_acceptance.online.ip_address == "127.0.0.1"
    assert "Chrome" in mandate.customer_acceptance.online.user_agent


async def test_a_failing_iban_is_processing_then_the_invoice_is_payable_again(debit_portal, invoicing, browser):
    invoice = await sepa_invoice(invoicing)
    url = f"{debit_portal.state.url}/i/{token_of(invoice)}"
    page, _ = await open_page(browser, url, viewport=PHONE)
    try:
        await pay_by_debit(page, FAILS)
        await reload_until(page, "#status", text="Paiement en cours")  # payments' payment.processing reached us
        assert "Prélèvement SEPA" in await page.inner_text("#processing-notice")
        await reload_until(page, "#pay-debit")  # failed: the form is back, and the page says why
        assert await page.is_visible("#pay-debit") and await page.is_visible("#pay-form")
        assert await page.inner_text("#status") == "À payer"
        assert await page.inner_text("#payment-outcome") == (
            "Votre prélèvement n’a pas abouti ; rien n’a été débité. Veuillez vérifier vos coordonnées "
            "bancaires ou payer autrement.")
        assert "Prélèvement SEPA — échoué le" in await page.inner_text("#payments tr.failed")
        await page.screenshot(path=str(SCREENSHOTS / "debit-failed-phone.png"), full_page=True)
        assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        await page.close()


async def test_a_card_only_invoice_shows_no_debit_form_and_a_forged_debit_is_refused(debit_portal, invoicing, browser):
    invoice = await sepa_invoice(invoicing, methods=("card", "wire_transfer"))
    url = f"{debit_portal.state.url}/i/{token_of(invoice)}"
    page, _ = await open_page(browser, url)
    try:
        assert await page.is_visible("#pay-form")
        assert await page.query_selector("#pay-debit") is None and await page.query_selector("#debit-form") is None
    finally:
        await page.close()
    async with httpx.AsyncClient(base_url=debit_portal.state.url) as client:
        forged = await client.post(f"/i/{token_of(invoice)}/pay", data={
            "debit_type": "sepa_debit", "payment_method": "pm_0123456789abcdef", "attempt_key": "k" * 22,
            "mandate_accepted": "yes"})
    assert forged.status_code == 303 and forged.headers["location"].endswith("code=payment_method_not_accepted")


async def test_without_javascript_the_debit_form_is_not_shown(debit_portal, invoicing, browser):
    invoice = await sepa_invoice(invoicing)
    context = await browser.new_context(java_script_enabled=False)
    page = await context.new_page()
    try:
        await page.goto(f"{debit_portal.state.url}/i/{token_of(invoice)}")
        assert not await page.is_visible("#pay-debit")
        assert await page.is_visible("#pay-button")  # cards still work
        assert "prélèvement" in (await page.inner_text("#debit")).lower()
    finally:
        await context.close()


async def test_an_ach_invoice_offers_ach_and_a_eur_invoice_never_does(debit_portal, invoicing, browser):
    # A USD invoice accepting ACH: name, routing, account and holder type, the authorization text.
    invoice = await readme_eur_invoice(invoicing, currency="usd", locale="en_US",
                                       accepted_payment_methods=["card", "ach_debit"])
    async with api(invoicing, invoice["api_key"]) as client:
        customer = await created(await client.post("/v1/customers", json={"name": "Initrode", "email": "ap@initrode.example"}))
        draft = await created(await client.post("/v1/invoices", json={
            "customer_id": customer["id"], "currency": "usd",
            "lines": [{"description": "Consulting", "quantity": 1, "unit_amount": 50000}]}))
        usd = await created(await client.post(f"/v1/invoices/{draft['id']}/approve"))
    page, _ = await open_page(browser, f"{debit_portal.state.url}/i/{token_of(usd)}", viewport=PHONE)
    try:
        assert await page.inner_text("#debit-heading") == "Pay by bank debit · ACH"
        for label in ("Account holder name", "Routing number", "Account number", "Account holder type"):
            assert await page.get_by_label(label).count() == 1, label
        assert "you authorize Acme GmbH to debit the bank account specified above once for $500.00" in \
            await page.inner_text("#debit-mandate")
        # Keyboard: the checkbox and the button are reachable and usable without a pointer.
        await page.focus("#debit-accept")
        await page.keyboard.press("Space")
        assert await page.is_checked("#debit-accept")
        await page.screenshot(path=str(SCREENSHOTS / "debit-ach-phone.png"), full_page=True)
        assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        await page.close()
    # An EUR invoice that (wrongly) accepts ACH offers no ACH form: ACH debits US dollars only.
    eur = await sepa_invoice(invoicing, methods=("card", "ach_debit"))
    page, _ = await open_page(browser, f"{debit_portal.state.url}/i/{token_of(eur)}")
    try:
        assert await page.query_selector("#pay-debit") is None
    finally:
        await page.close()
    async with httpx.AsyncClient(base_url=debit_portal.state.url) as client:
        forged = await client.post(f"/i/{token_of(eur)}/pay", data={
            "debit_type": "ach_debit", "payment_method": "pm_0123456789abcdef", "attempt_key": "k" * 22,
            "mandate_accepted": "yes"})
    assert forged.headers["location"].endswith("code=payment_method_currency_mismatch")
