"""The HTML emails hold on valid input, in Chromium at a desktop mail pane's width (600 px) and a phone's
(390 px): the longest description the API takes (1,000 characters, with and without spaces) wraps inside
the message instead of widening it, and the amounts stay in view.

Screenshots of what was checked are written to var/screenshots/ (repository root, git-ignored):
the README's EUR invoice email in French with its discounts, and its receipt, at both widths.
"""

from __future__ import annotations

from datetime import datetime, timezone

from pathlib import Path

import pytest
from playwright.async_api import async_playwright

from duely_presentation.content import from_snapshot
from duely_presentation.receipt import PaymentFacts, build_receipt
from duely_presentation.view import build_view
from duely_notifications.domain import email_context as ec
from duely_notifications.rendering import EmailRenderer
from tests.notifications.readme_invoice import readme_eur_invoice

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
WIDTHS = {"desktop": 600, "phone": 390}
LONG_WORDS = ("Consulting " * 91)[:1000]          # 1,000 characters, spaces between words
ONE_WORD = "X" * 1000                              # 1,000 characters, no space anywhere
renderer = EmailRenderer()


@pytest.fixture(scope="module")
async def browser():
    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-background-networking", "--disable-gpu"])
        yield browser
        await browser.close()


def invoice_email(**overrides) -> str:
    view = build_view(from_snapshot(readme_eur_invoice(**overrides)))
    return renderer.render("invoice_issued", ec.invoice_issued(view, view.labels["email_pdf_attached"])).html


def receipt_email() -> str:
    invoice = readme_eur_invoice(status="paid")
    view = build_view(from_snapshot(invoice))
    receipt = build_receipt(invoice, PaymentFacts("pay_1", invoice.total, invoice.currency,
                                                  datetime(2026, 12, 2, 10, tzinfo=timezone.utc), "card",
                                                  brand="visa", last4="4242"))
    return renderer.render("payment_receipt", ec.receipt(view, receipt, view.labels["email_receipt_attached"])).html


def with_description(description: str) -> str:
    invoice = readme_eur_invoice()
    lines = [line.model_dump(mode="json") for line in invoice.lines]
    lines[0]["description"] = description
    return invoice_email(lines=lines, memo=description)


async def layout(browser, html: str, width: int, screenshot: str | None = None) -> dict:
    page = await browser.new_page(viewport={"width": width, "height": 900})
    try:
        await page.set_content(html)
        found = await page.evaluate("""() => {
            const doc = document.documentElement;
            const cells = [...document.querySelectorAll('td, th, p, div')];
            return {scrollWidth: doc.scrollWidth, clientWidth: doc.clientWidth,
                    widest: Math.max(...cells.map(c => c.getBoundingClientRect().right)),
                    amounts: [...document.querySelectorAll('td')].filter(td => /€/.test(td.textContent)
                                 && td.children.length === 0).map(td => td.getBoundingClientRect().right)};
        }""")
        if screenshot:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            await page.screenshot(path=str(SCREENSHOTS / screenshot), full_page=True)
        return found
    finally:
        await page.close()


@pytest.mark.parametrize("device", list(WIDTHS))
@pytest.mark.parametrize("description", [LONG_WORDS, ONE_WORD], ids=["with-spaces", "without-spaces"])
async def test_the_longest_description_wraps_without_horizontal_scroll(browser, device, description):
    width = WIDTHS[device]
    html = with_description(description)
    assert description in html
    found = await layout(browser, html, width,
                         screenshot=f"email-long-description-{'spaces' if ' ' in description else 'nospace'}-"
                                    f"{device}.png")
    assert found["scrollWidth"] <= found["clientWidth"] == width, found
    assert found["widest"] <= width, found
    assert found["amounts"] and max(found["amounts"]) <= width, found  # every amount on screen


@pytest.mark.parametrize("device", list(WIDTHS))
async def test_invoice_and_receipt_emails_fit_and_are_saved_as_screenshots(browser, device):
    width = WIDTHS[device]
    for name, html in (("invoice-eur-discounts-fr", invoice_email()), ("receipt-eur-fr", receipt_email())):
        found = await layout(browser, html, width, screenshot=f"email-{name}-{device}.png")
        assert found["scrollWidth"] <= width and found["widest"] <= width, (name, found)
    assert (SCREENSHOTS / f"email-invoice-eur-discounts-fr-{device}.png").stat().st_size > 10_000
    assert (SCREENSHOTS / f"email-receipt-eur-fr-{device}.png").stat().st_size > 10_000

