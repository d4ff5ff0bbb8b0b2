"""The card update page behind the link in the `payment_method_expiring` email, with every real part:
invoicing (the customer, an invoice for the branding), payments (the saved card, the signed link, saving
the new card) on the sandbox gateway, the portal through the gateway, Chromium. Screenshots at desktop
and phone width go to var/screenshots/card-update-*.png."""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import uuid
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit

import httpx
import pytest

from duely_contracts import Envelope
from duely_contracts.events import PaymentMethodExpiryDue
from duely_devstack.net import free_port, wait_for_port_sync
from duely_portal import repository
from duely_runtime.auth import INTERNAL_HEADER
from duely_runtime.config import EMBEDDED_SECRET
from duely_runtime.links import payment_method_update_token, verify_payment_method_update_token

from tests.conftest import start_consumer_group_at_end
from tests.portal.conftest import portal_settings
from tests.portal.invoices import DESKTOP, PHONE, SCREENSHOTS, api, created

PORT_RANGE = (28000, 28999)  # the portal suite's range for subprocesses
LINK_SECRET = EMBEDDED_SECRET + "-links"  # the hosted-link secret every service here runs with


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
    from duely_payments.config import Settings
    from duely_payments.main import build
    # Its own consumer group (a unique service name): another payments of this test session shares none of
    # its partitions, so the expiry request this module publishes reaches this instance.
    settings = settings_env(Settings, await database_url("update_payments"), stripe_api_base=sandbox_gateway,
                            invoicing_url=invoicing.url, portal_base_url="https://pay.example.test",
                            service_name=f"payments_t{uuid.uuid4().hex[:8]}")
    await start_consumer_group_at_end(settings.kafka_bootstrap_servers, settings.service_name)
    async with serve(build(settings)) as url:
        yield url


@pytest.fixture(scope="module")
async def portal(serve, settings_env, database_url, invoicing, payments):
    from duely_portal.main import build
    app = build(await portal_settings(settings_env, await database_url("update_portal"), invoicing_url=invoicing.url,
                                      payments_url=payments))
    async with serve(app) as url:
        app.state.url = url
        yield app


@pytest.fixture(scope="module")
async def gateway(serve, invoicing, payments, portal):
    """The public base URL: the email's link reaches the portal through it."""
    from duely_gateway.config import Settings
    from duely_gateway.main import build
    settings = Settings(invoicing_url=invoicing.url, payments_url=payments, portal_url=portal.state.url)
    async with serve(build(settings)) as url:
        yield url


async def customer_with_card(invoicing, payments, portal, wait_for, *, card: str = "pm_card_mastercard",
                             locale: str | None = None, org_settings: dict | None = None) -> dict:
    """An organization with a customer, an issued invoice (its branding reaches the portal) and a saved card."""
    organization_id, api_key = await invoicing.create_org("Acme GmbH")
    async with api(invoicing, api_key) as client:
        if org_settings:
            await created(await client.patch("/v1/settings/invoicing", json=org_settings))
        customer = await created(await client.post("/v1/customers", json={
            "name": "Client SARL", "email": "compta@client.example", **({"locale": locale} if locale else {})}))
        draft = await created(await client.post("/v1/invoices", json={
            "customer_id": customer["id"], "currency": "eur",
            "lines": [{"description": "Consulting", "quantity": "1", "unit_amount": 9000}]}))
        await created(await client.post(f"/v1/invoices/{draft['id']}/approve"))
    async with httpx.AsyncClient(base_url=payments, headers={"Authorization": f"Bearer {api_key}"}) as client:
        saved = await created(await client.post(f"/v1/customers/{customer['id']}/payment_methods",
                                                json={"payment_method": card}))

    async def branded():
        async with portal.state.runtime.db.transaction() as session:
            return await repository.latest_customer_invoice(session, organization_id, customer["id"])
    # Generous: the module's first test also waits for the consumer groups to settle (a loaded CI machine).
    await wait_for(branded, timeout=60)
    return {"organization_id": organization_id, "api_key": api_key, "customer_id": customer["id"], "card": saved}


async def expiring_link(publish, read_events, wait_for, who: dict) -> str:
    """Dunning's expiry check falls due; payments publishes payment_method.expiring with the link."""
    card = who["card"]
    due = PaymentMethodExpiryDue(payment_method_id=card["id"], customer_id=who["customer_id"],
                                 exp_month=card["card"]["exp_month"], exp_year=card["card"]["exp_year"],
                                 fired_at=datetime.now(timezone.utc))
    await publish(Envelope(type="dunning.payment_method_expiry_due", organization_id=who["organization_id"],
                           aggregate_id=card["id"], aggregate_version=1, correlation_id=str(uuid.uuid4()),
                           data=due.model_dump(mode="json")))

    async def warning():
        found = [e for e in await read_events("payment_method.expiring", timeout=3, quiet_s=0.5)
                 if e.aggregate_id == card["id"]]
        return found[0] if found else None
    return (await wait_for(warning, timeout=30)).data["update_url"]


async def methods_at_payments(payments: str, who: dict) -> list[dict]:
    async with httpx.AsyncClient(base_url=payments, headers={"Authorization": f"Bearer {who['api_key']}"}) as c:
        response = await c.get(f"/v1/customers/{who['customer_id']}/payment_methods")
    assert response.status_code == 200, response.text
    return response.json()["data"]


def form_key(html: str) -> str:
    return re.search(r'name="form_key" value="([^"]+)"', html).group(1)


async def test_the_email_link_saves_a_new_default_card(payments, portal, gateway, invoicing, browser, publish,
                                                       read_events, wait_for):
    who = await customer_with_card(invoicing, payments, portal, wait_for,
                                   org_settings={"accent_color": "#0F766E", "company_name": "Acme GmbH"})
    old = who["card"]
    update_url = await expiring_link(publish, read_events, wait_for, who)
    # Signed and short-lived: the link names this organization, customer and card, for about 30 days.
    assert update_url.startswith("https://pay.example.test/portal/payment_methods/update/")
    token = update_url.rsplit("/", 1)[1]
    link = verify_payment_method_update_token(LINK_SECRET, token)
    assert (link.organization_id, link.customer_id, link.payment_method_id) == (
        who["organization_id"], who["customer_id"], old["id"])
    assert timedelta(days=29) < link.expires_at - datetime.now(timezone.utc) <= timedelta(days=30)
    url = gateway + urlsplit(update_url).path  # as the email's link goes, through the public base URL

    expires = datetime(old["card"]["exp_year"], old["card"]["exp_month"], 1).strftime("%B %Y")
    page = await browser.new_page(viewport=DESKTOP)
    try:
        await page.goto(url)
        assert await page.inner_text("#company") == "Acme GmbH"
        assert await page.inner_text("#title") == "Update your payment method"
        assert await page.inner_text("#expiring") == f"Your Mastercard •••• 4444 expires at the end of {expires}."
        assert await page.inner_text("#current-card-name") == "Mastercard •••• 4444"
        assert await page.evaluate("getComputedStyle(document.querySelector('#save-button')).backgroundColor") \
            == "rgb(15, 118, 110)"  # the organization's accent colour, as on its invoice page
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SCREENSHOTS / "card-update-form-desktop.png"), full_page=True)

        # A card the gateway declines: the page again, with the customer-safe reason, nothing saved.
        await page.select_option("#payment-method", "pm_card_visa_chargeDeclined")
        async with page.expect_navigation():
            await page.click("#save-button")
        assert page.url == f"{url}?error=card_declined"
        assert await page.inner_text("#update-outcome") == \
            "Your card was declined. Nothing was charged; please try another card."
        assert await page.query_selector("#update-form") is not None
        assert [m["id"] for m in await methods_at_payments(payments, who)] == [old["id"]]
        await page.screenshot(path=str(SCREENSHOTS / "card-update-declined-desktop.png"), full_page=True)

        await page.select_option("#payment-method", "pm_card_visa")
        async with page.expect_navigation():
            await page.click("#save-button")
        assert page.url.startswith(f"{url}?saved=pm_")
        assert await page.inner_text("#update-outcome") == "Visa •••• 4242 will be used from now on."
        assert await page.query_selector("#update-form") is None
        assert await page.inner_text("#saved-card-name") == "Visa •••• 4242"
        assert await page.query_selector("#expiring") is None  # the old card's warning no longer applies
        await page.screenshot(path=str(SCREENSHOTS / "card-update-saved-desktop.png"), full_page=True)
        await page.set_viewport_size(PHONE)
        await page.screenshot(path=str(SCREENSHOTS / "card-update-saved-phone.png"), full_page=True)
        assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

        # The link works for its whole life: the customer comes back to it.
        await page.goto(url)
        assert await page.query_selector("#update-form") is not None
        await page.screenshot(path=str(SCREENSHOTS / "card-update-form-phone.png"), full_page=True)
        assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        await page.close()

    # At payments the new card is the customer's default, and payment_method.attached was published.
    methods = await methods_at_payments(payments, who)
    new = next(m for m in methods if m["id"] != old["id"])
    assert (new["card"]["brand"], new["card"]["last4"], new["is_default"]) == ("visa", "4242", True)
    assert [m["is_default"] for m in methods if m["id"] == old["id"]] == [False]

    async def attached():
        return [e for e in await read_events("payment_method.attached", timeout=3, quiet_s=0.5)
                if e.aggregate_id == new["id"]]
    [event] = await wait_for(attached, timeout=30)
    assert event.organization_id == who["organization_id"]
    assert event.data["payment_method"]["customer_id"] == who["customer_id"]
    assert event.data["payment_method"]["is_default"] is True


async def test_one_form_submission_saves_one_card(payments, portal, gateway, invoicing, wait_for):
    who = await customer_with_card(invoicing, payments, portal, wait_for)
    token = payment_method_update_token(LINK_SECRET, who["organization_id"], who["customer_id"], who["card"]["id"],
                                        datetime.now(timezone.utc) + timedelta(days=30))
    url = f"{gateway}/portal/payment_methods/update/{token}"
    async with httpx.AsyncClient() as client:
        key = form_key((await client.get(url)).text)
        form = {"payment_method": "pm_card_visa", "form_key": key}
        first = await client.post(url, data=form)
        again = await client.post(url, data=form)  # the same form sent twice (a double click, a retry)
        assert first.status_code == again.status_code == 303
        assert first.headers["location"] == again.headers["location"]
        other = await client.post(url, data={"payment_method": "pm_card_visa", "form_key": key + "x"})
        assert other.status_code == 303 and other.headers["location"] != first.headers["location"]
    assert len(await methods_at_payments(payments, who)) == 3  # the old card, and one per form


async def test_links_that_are_tampered_expired_or_for_another_customer(payments, portal, gateway, invoicing,
                                                                       wait_for):
    alice = await customer_with_card(invoicing, payments, portal, wait_for, locale="de_DE")
    bob = await customer_with_card(invoicing, payments, portal, wait_for, card="pm_card_visa")
    later = datetime.now(timezone.utc) + timedelta(days=30)
    good = payment_method_update_token(LINK_SECRET, alice["organization_id"], alice["customer_id"],
                                       alice["card"]["id"], later)
    base = f"{gateway}/portal/payment_methods/update"
    async with httpx.AsyncClient() as client:
        page = await client.get(f"{base}/{good}")
        assert page.status_code == 200  # in the customer's language
        assert "Ihre Mastercard •••• 4444 läuft Ende" in page.text and 'lang="de-DE"' in page.text

        fields = good.split(".")
        tampered = ".".join([fields[0], bob["customer_id"], *fields[2:]])  # pointed at another customer
        forged_expiry = ".".join([*fields[:3], str(int(later.timestamp()) + 86400 * 365), fields[4]])
        for token in (tampered, forged_expiry, "nonsense", good[:-2]):
            answer = await client.get(f"{base}/{token}")
            assert answer.status_code == 404 and "Link not valid" in answer.text, token
            assert "Traceback" not in answer.text
            posted = await client.post(f"{base}/{token}", data={"payment_method": "pm_card_visa", "form_key": "k"})
            assert posted.status_code == 404

        expired = payment_method_update_token(LINK_SECRET, alice["organization_id"], alice["customer_id"],
                                              alice["card"]["id"], datetime.now(timezone.utc) - timedelta(minutes=1))
        answer = await client.get(f"{base}/{expired}")
        assert answer.status_code == 410 and "Link abgelaufen" in answer.text and "Acme GmbH" in answer.text
        posted = await client.post(f"{base}/{expired}", data={"payment_method": "pm_card_visa", "form_key": "k"})
        assert posted.status_code == 410

        # Genuinely signed for Alice, but naming Bob's card: nothing to show or save.
        crossed = payment_method_update_token(LINK_SECRET, alice["organization_id"], alice["customer_id"],
                                              bob["card"]["id"], later)
        assert (await client.get(f"{base}/{crossed}")).status_code == 404
        posted = await client.post(f"{base}/{crossed}", data={"payment_method": "pm_card_visa", "form_key": "k2"})
        assert posted.status_code == 404
        # Alice's link does not show Bob's card as "saved" either.
        shown = await client.get(f"{base}/{good}", params={"saved": bob["card"]["id"]})
        assert shown.status_code == 200 and "update-outcome" not in shown.text and "update-form" in shown.text
        # A form posted from another site is refused.
        cross_site = await client.post(f"{base}/{good}", data={"payment_method": "pm_card_visa", "form_key": "k3"},
                                       headers={"Sec-Fetch-Site": "cross-site"})
        assert cross_site.status_code == 404
    assert [m["id"] for m in await methods_at_payments(payments, alice)] == [alice["card"]["id"]]
    assert [m["id"] for m in await methods_at_payments(payments, bob)] == [bob["card"]["id"]]

    # Payments' internal route refuses a replaced card that is not the customer's, and callers without the secret.
    async with httpx.AsyncClient(base_url=payments) as client:
        body = {"organization_id": alice["organization_id"], "payment_method": "pm_card_visa",
                "replaces": bob["card"]["id"]}
        refused = await client.post(f"/internal/customers/{alice['customer_id']}/payment_methods", json=body,
                                    headers={INTERNAL_HEADER: EMBEDDED_SECRET})
        assert refused.status_code == 404, refused.text
        assert (await client.post(f"/internal/customers/{alice['customer_id']}/payment_methods",
                                  json=body)).status_code == 403
        other_org = await client.get(f"/internal/customers/{bob['customer_id']}/payment_methods/{bob['card']['id']}",
                                     params={"organization_id": alice["organization_id"]},
                                     headers={INTERNAL_HEADER: EMBEDDED_SECRET})
        assert other_org.status_code == 404
