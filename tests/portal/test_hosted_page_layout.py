"""Layouts that hold: the longest texts invoicing's API accepts wrap on the hosted page, which never grows
wider than the viewport, at desktop and phone widths in Chromium."""

from __future__ import annotations

import pytest

from tests.portal.conftest import portal_settings
from tests.portal.invoices import DESKTOP, MAX_DESCRIPTION, PHONE, SCREENSHOTS, long_text_invoice, token_of


@pytest.fixture(scope="module")
async def long_portal(serve, settings_env, database_url, invoicing, upstream_stub):
    from duely_portal.main import build
    app = build(await portal_settings(settings_env, await database_url("portal_long"), invoicing_url=invoicing.url,
                                      payments_url=upstream_stub.url))
    async with serve(app) as url:
        app.state.url = url
        yield app


async def test_the_longest_texts_wrap_at_desktop_and_phone_widths(long_portal, invoicing, browser):
    invoice = await long_text_invoice(invoicing)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for name, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page = await browser.new_page(viewport=viewport)
        try:
            await page.goto(f"{long_portal.state.url}/i/{token_of(invoice)}")
            widths = await page.evaluate(
                "[document.documentElement.scrollWidth, document.body.scrollWidth, window.innerWidth]")
            assert widths[0] <= widths[2] and widths[1] <= widths[2], (name, widths)
            descriptions = await page.eval_on_selector_all("#lines .description", "els => els.map(e => e.textContent)")
            assert [len(d) for d in descriptions] == [MAX_DESCRIPTION, MAX_DESCRIPTION]  # shown whole
            # Nothing sticks out of its card either (an overflow hidden by a parent would not widen the page).
            overflowing = await page.evaluate("""() => [...document.querySelectorAll('.card, .card *')]
                .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
                .map(e => e.tagName + '#' + e.id + '.' + e.className)""")
            assert overflowing == [], (name, overflowing)
            await page.screenshot(path=str(SCREENSHOTS / f"long-descriptions-{name}.png"), full_page=True)
        finally:
            await page.close()
