"""The hosted page renders the same invoice as the PDF: the README's EUR invoice with discounts and two
rates, for a French customer of "Acme GmbH", through real invoicing, Postgres, the broker and Chromium.
The PDF is fetched through the page's own download link and read back with pdftotext."""

from __future__ import annotations

import re

import httpx
import pytest

from duely_runtime.links import invoice_token

from tests.invoicing.documents_helpers import pdf_text, plain, squeezed
from tests.portal.conftest import portal_settings
from tests.portal.invoices import DESKTOP, PHONE, SCREENSHOTS, api, created, readme_eur_invoice, token_of

MONEY = re.compile(r"-?\d{1,3}(?: \d{3})*,\d{2} €")  # French euros, no-break spaces made plain


@pytest.fixture(scope="module")
async def acme_portal(serve, settings_env, database_url, invoicing, upstream_stub):
    from duely_portal.main import build
    app = build(await portal_settings(settings_env, await database_url("portal_acme"), invoicing_url=invoicing.url,
                                      payments_url=upstream_stub.url))
    async with serve(app) as url:
        app.state.url = url
        yield app


@pytest.fixture(scope="module")
async def readme_invoice(invoicing):
    return await readme_eur_invoice(invoicing)


async def cells(page, selector: str) -> list[list[str]]:
    return [[plain(c).strip() for c in (await row.inner_text()).split("\t")]
            for row in await page.query_selector_all(selector)]


async def test_the_page_says_what_the_pdf_says_in_french_with_the_merchants_brand(
        acme_portal, readme_invoice, browser):
    invoice = readme_invoice
    token = token_of(invoice)
    url = f"{acme_portal.state.url}/i/{token}"
    async with httpx.AsyncClient() as client:
        response = await client.get(f"{url}/pdf")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == f'attachment; filename="{invoice["number"]}.pdf"'
    assert response.headers["cache-control"] == "no-store"
    pdf = squeezed(pdf_text(response.content))

    page = await browser.new_page(viewport=DESKTOP)
    try:
        await page.goto(url)
        assert await page.get_attribute("html", "lang") == "fr-FR"
        assert await page.inner_text("#company") == "Acme GmbH"
        assert await page.eval_on_selector("#amount-due", "e => getComputedStyle(e).color") == "rgb(15, 118, 110)"
        assert await page.eval_on_selector("#pay-button", "e => getComputedStyle(e).backgroundColor") \
            == "rgb(15, 118, 110)"
        assert await page.inner_text("#status") == "À payer"
        assert plain(await page.inner_text("#amount-due")) == "1 272,29 €"
        assert plain(await page.inner_text("#due-text")).startswith("Échéance le ")
        assert await page.inner_text("#download-pdf") == "Télécharger le PDF"
        assert await page.get_attribute("#download-pdf", "href") == f"/i/{token}/pdf"

        # The parties, as on the PDF: the seller's and the buyer's name, address and VAT id.
        seller = [plain(x) for x in (await page.inner_text("#seller")).splitlines()]
        assert seller == ["ÉMETTEUR", "Acme GmbH", "Hauptstr. 1", "10115 Berlin", "Allemagne", "N° TVA: DE123456789"]
        buyer = [plain(x) for x in (await page.inner_text("#buyer")).splitlines()]
        assert buyer == ["FACTURÉ À", "Client SARL", "1 rue de la Paix", "75002 Paris", "France",
                         "compta@client.example"]
        for line in seller[1:] + buyer[1:]:
            assert line in pdf, line

        # Lines with the period and the line discount; the totals with both discounts and both rates.
        lines = await cells(page, "#lines tr.line")
        assert lines == [
            ["Consulting\nPériode: 1 novembre 2026 – 30 novembre 2026", "12,5", "90,00 €", "19 %", "1 125,00 €"],
            ["Handbook\nRemise: -5,00 €", "3", "25,00 €", "7 %", "75,00 €"],
        ]
        totals = await cells(page, "#totals tr")
        assert totals == [
            ["Sous-total", "1 200,00 €"], ["Remise", "-5,00 €"], ["Remise (10 %)", "-119,50 €"],
            ["MwSt 19 %", "192,38 €"], ["MwSt ermäßigt 7 %", "4,41 €"], ["Total", "1 272,29 €"],
            ["Montant dû", "1 272,29 €"],
        ]
        taxes = await cells(page, "#tax-breakdown tr.tax")
        assert taxes == [["MwSt", "19 %", "1 012,50 €", "192,38 €"], ["MwSt ermäßigt", "7 %", "63,00 €", "4,41 €"]]
        meta = await cells(page, "#meta > div")
        assert [m[0].split("\n")[0] for m in meta] == [
            "Numéro de facture", "Date d’émission", "Date d’échéance", "Conditions de paiement"]

        # Each of these says the same on the PDF, word for word and number for number.
        for row in totals[:-1] + taxes:
            assert squeezed(" ".join(row)).replace(" %", "%") in pdf, row
        for label, value in (m[0].split("\n") for m in meta):
            assert f"{label} {plain(value)}" in pdf, (label, value)
        for line in lines:
            description, *sub = line[0].split("\n")
            assert description in pdf and all(squeezed(s).replace(" %", "%") in pdf for s in sub), sub
            assert squeezed(" ".join(line[1:])).replace(" %", "%") in pdf, line
        assert "montant dû 1 272,29 €" in pdf.lower()  # the PDF writes the label in capitals
        invoice_part = plain(await page.inner_text("#invoice"))
        assert sorted(set(MONEY.findall(invoice_part))) == sorted(set(MONEY.findall(pdf)))

        # Payment instructions for what Acme accepts: card (the pay button) and wire transfer (with the
        # invoice number as the reference); no check.
        assert plain(await page.inner_text("#pay-button")) == "Payer 1 272,29 €"
        bank = await cells(page, "#bank-transfer table tr")
        assert bank == [["Titulaire du compte", "Acme GmbH"], ["IBAN", "DE89370400440532013000"],
                        ["BIC", "COBADEFFXXX"], ["Référence à indiquer", invoice["number"]]]
        for label, value in bank:
            assert f"{label} {value}" in pdf
        assert await page.query_selector("#check") is None
        assert plain(await page.inner_text("#accepted-methods")) == \
            "Moyens de paiement acceptés: Carte, Virement bancaire"

        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SCREENSHOTS / "eur-discounts-fr-desktop.png"), full_page=True)
        await page.set_viewport_size(PHONE)
        await page.screenshot(path=str(SCREENSHOTS / "eur-discounts-fr-phone.png"), full_page=True)
        assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        await page.close()


async def test_the_download_link_serves_the_pdf_and_nothing_else(acme_portal, readme_invoice, invoicing):
    token = token_of(readme_invoice)
    org, invoice_id, mac = token.split(".")
    async with httpx.AsyncClient(base_url=acme_portal.state.url) as client:
        response = await client.get(f"/i/{token}/pdf")
        assert response.status_code == 200 and response.content.startswith(b"%PDF-")
        assert int(response.headers["content-length"]) == len(response.content)
        for forged in (f"{org}.{invoice_id}.{mac[:-2]}xx", f"org_other.{invoice_id}.{mac}", "nope"):
            refused = await client.get(f"/i/{forged}/pdf")
            assert refused.status_code == 404 and "text/html" in refused.headers["content-type"]
        # A draft of the same organization has no page and no PDF.
        async with api(invoicing, readme_invoice["api_key"]) as owner:
            draft = await created(await owner.post("/v1/invoices", json={
                "customer_id": readme_invoice["customer_id"],
                "lines": [{"description": "Draft", "quantity": "1", "unit_amount": 100}]}))
        draft_token = invoice_token(acme_portal.state.runtime.settings.hosted_link_secret, org, draft["id"])
        assert (await client.get(f"/i/{draft_token}/pdf")).status_code == 404


async def test_a_favicon_is_served_and_no_request_of_the_page_fails(acme_portal, readme_invoice, browser):
    async with httpx.AsyncClient(base_url=acme_portal.state.url) as client:
        icon = await client.get("/favicon.ico")
        assert icon.status_code == 200 and icon.headers["content-type"] == "image/svg+xml"
        assert icon.content.startswith(b"<svg")
    page = await browser.new_page()
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.on("requestfailed", lambda r: failed.append(f"failed {r.url}"))
    try:
        await page.goto(f"{acme_portal.state.url}/i/{token_of(readme_invoice)}")
        await page.wait_for_load_state("networkidle")
        assert (await page.get_attribute("link[rel=icon]", "href")).startswith("data:image/svg+xml,")
    finally:
        await page.close()
    assert failed == []
