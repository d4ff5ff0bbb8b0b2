"""The portal's pages in Chromium, the portal asking the real invoicing and payments: what a signed-in customer
reads at desktop and phone width, labelled and keyboard-reachable. Screenshots: var/screenshots/portal-pages-*.png."""

from __future__ import annotations


from tests.portal.invoices import DESKTOP, PHONE, SCREENSHOTS
from tests.portal.test_customer_portal_sessions import create_link


async def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        await page.set_viewport_size(size)
        await page.screenshot(path=str(SCREENSHOTS / f"portal-pages-{name}-{label}.png"), full_page=True)
        assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (name, label)
    await page.set_viewport_size(DESKTOP)


async def test_the_pages_read_well_at_desktop_and_phone_width(customer_portal, new_merchant, browser):
    acme = await new_merchant(invoice_prefix="ACME-2611", number_format="{PREFIX}-{NNN}")
    client = await acme.customer("Client SARL", "compta@client.example", locale="fr_FR")
    visa = await acme.save_method(client["id"], "pm_card_visa")
    mastercard = await acme.save_method(client["id"], "pm_card_mastercard", set_default=False)
    assert (visa["is_default"], mastercard["is_default"]) == (True, False)
    first = await acme.issue(client["id"])
    second = await acme.issue(client["id"])
    assert (first["number"], second["number"]) == ("ACME-2611-001", "ACME-2611-002")
    made = (await create_link(customer_portal, acme.key, client["id"])).json()
    page = await browser.new_page(viewport=DESKTOP)
    try:
        await page.goto(customer_portal.state.url + made["url"].removeprefix("https://billing.example.test"))
        assert await page.inner_text("h1") == "Vos factures"  # the customer's language
        assert await page.get_attribute("html", "lang") == "fr-FR"
        assert await page.get_attribute(f"#pick-{first['id']}", "aria-label") == "Sélectionner la facture ACME-2611-001"
        assert await page.inner_text("#nav-invoices") == "Factures"
        assert await page.get_attribute("#nav-invoices", "aria-current") == "page"
        await page.keyboard.press("Tab")  # the skip link first, then the page
        assert await page.evaluate("document.activeElement.className") == "skip"
        assert await page.evaluate("document.activeElement.textContent") == "Aller au contenu"
        await page.evaluate("document.activeElement.blur()")
        await shoot(page, "invoices")
        await page.click(f"#open-{first['id']}")
        assert await page.inner_text("#invoice-number") == "ACME-2611-001"
        await shoot(page, "invoice")
        await page.click("#nav-methods")
        assert len(await page.query_selector_all(".method-row")) == 2
        await shoot(page, "methods")
        await page.click("#nav-autopay")
        await shoot(page, "autopay")
        await page.click("#nav-payments")
        await shoot(page, "payments")
        async with page.expect_navigation():
            await page.click("#sign-out")
        assert await page.inner_text("#message-title") == "Vous êtes déconnecté"
        await page.goto(customer_portal.state.url + made["url"].removeprefix("https://billing.example.test"))
        assert await page.inner_text("#message-title") == "Ce lien de connexion a déjà été utilisé"
        await shoot(page, "link-used")
    finally:
        await page.close()
