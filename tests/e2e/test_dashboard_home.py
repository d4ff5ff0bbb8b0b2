"""The dashboard's front door and Home, in Chromium on the running platform: a wrong password is refused, a
sign-in link by email signs in (once), signing out ends the session everywhere (the old cookie and the token as
an API bearer); Home shows open and overdue amounts, receivables aging, collected per week, AutoPay coverage and
dunning outcomes as Chart.js charts whose numbers (one click away) are the API's own figures, aged by the
organization's test clock. Screenshot: var/screenshots/dashboard-home-{desktop,phone}.png."""

from __future__ import annotations

import uuid

import httpx

from duely_gateway.dashboard.render import money
from tests.conftest import wait_for
from tests.e2e.dashboard_helpers import (DESKTOP, emailed_link, organization_with_owner, shoot,
                                         sign_in)


async def ok(response: httpx.Response) -> dict:
    assert response.status_code in (200, 201), response.text
    return response.json()


async def issued(api, customer_id: str, amount: int, terms: str) -> dict:
    draft = await ok(await api.post("/v1/invoices", json={
        "customer_id": customer_id, "currency": "usd", "payment_terms": terms,
        "lines": [{"description": "Retainer", "quantity": 1, "unit_amount": amount}]}))
    return await ok(await api.post(f"/v1/invoices/{draft['id']}/approve",
                                   headers={"Idempotency-Key": uuid.uuid4().hex}))


async def test_sign_in_refusals_a_link_by_email_and_sign_out(browser, platform):
    async with organization_with_owner(platform, "Front Door Co") as (api, owner):
        gateway = platform.config.url("gateway")
        context = await browser.new_context(viewport=DESKTOP)
        page = await context.new_page()
        try:
            await page.goto(gateway + "/dashboard/invoices?status=open")
            assert "/dashboard/sign_in?next=/dashboard/invoices" in page.url  # where it was going is kept
            await page.get_by_label("Password").fill("not the password")
            await page.locator("#email").fill(owner["email"])
            await page.get_by_role("button", name="Sign in").click()
            assert "do not match" in await page.inner_text("#sign-in-error")
            assert not [c for c in await context.cookies() if c["name"] == "duely_dashboard"]

            # A link by email: the page says the same whoever asks; the mail holds a one-use link.
            await page.locator("#link-email").fill(owner["email"])
            await page.get_by_role("button", name="Email me a sign-in link").click()
            assert owner["email"] in await page.inner_text("#link-sent")
            link = await emailed_link(platform, owner["email"], "sign_in/link")
            await page.goto(link)
            await page.get_by_role("button", name="Sign in").click()
            await page.wait_for_url("**/dashboard")
            assert "owner" in await page.inner_text(".who")
            cookie = next(c for c in await context.cookies() if c["name"] == "duely_dashboard")
            assert cookie["httpOnly"] and cookie["sameSite"] == "Lax" and cookie["path"] == "/dashboard"
            token = cookie["value"]
            listed = await ok(await httpx.AsyncClient(base_url=gateway).get(
                "/v1/invoices", headers={"Authorization": f"Bearer {token}"}))
            assert listed["object"] == "list"  # the session is a bearer on the public API

            again = await context.new_page()
            await again.goto(link)
            await again.get_by_role("button", name="Sign in").click()
            assert "expired or was already used" in await again.inner_text("#sign-in-error")

            await page.get_by_role("button", name="Sign out").click()
            await page.wait_for_url("**/dashboard/sign_in")
            async with httpx.AsyncClient(base_url=gateway) as stranger:
                refused = await stranger.get("/dashboard", cookies={"duely_dashboard": token})
                assert refused.status_code == 303 and "/dashboard/sign_in" in refused.headers["location"]

                async def token_dead():  # every service caches a credential's answer for a second at most
                    answer = await stranger.get("/v1/invoices", headers={"Authorization": f"Bearer {token}"})
                    return answer.status_code == 401
                await wait_for(token_dead, timeout=5, interval=0.25)
                # A form posted from another site is refused before any credential is looked at.
                cross = await stranger.post("/dashboard/sign_in", headers={"Origin": "https://evil.example"},
                                            data={"email": owner["email"], "password": owner["password"]})
                assert cross.status_code == 403 and "duely_dashboard" not in cross.headers.get("set-cookie", "")
        finally:
            await context.close()


async def test_home_charts_show_the_apis_figures(browser, platform):
    async with organization_with_owner(platform, "Charts Co") as (api, owner):
        ada = await ok(await api.post("/v1/customers", json={"name": "Ada Ltd", "email": "ada@example.com"}))
        bob = await ok(await api.post("/v1/customers", json={"name": "Bob GmbH", "email": "bob@example.com"}))
        await issued(api, ada["id"], 10_000, "net_10")
        await issued(api, ada["id"], 25_050, "net_60")
        await issued(api, bob["id"], 40_000, "net_30")
        paid = await issued(api, bob["id"], 7_500, "due_on_receipt")
        await ok(await api.post(f"/v1/invoices/{paid['id']}/payments",
                                json={"method": "wire_transfer", "reference": "W-1"},
                                headers={"Idempotency-Key": uuid.uuid4().hex}))
        async def settled():  # invoicing hears payment.succeeded by Kafka
            return (await ok(await api.get(f"/v1/invoices/{paid['id']}")))["status"] == "paid"
        await wait_for(settled, timeout=60, interval=0.5)
        # 20 days on the organization's test clock: net_10 is 10 days late; net_30 and net_60 are not yet due
        # (far enough to age, not so far that the default dunning schedule writes the invoice off meanwhile).
        await ok(await api.post("/v1/test_clocks/advance", json={"days": 20}))
        clock = await ok(await api.get("/v1/test_clocks/current"))
        report = await ok(await api.get("/v1/reports/receivables", params={"as_of": clock["now"][:10]}))
        (usd,) = report["currencies"]
        assert usd["open_amount"] == 75_050 and usd["overdue_amount"] == 10_000
        assert usd["aging"] == {"current": 65_050, "1_30": 10_000, "31_60": 0, "61_90": 0, "90_plus": 0}

        await ok(await api.patch("/v1/settings/invoicing", json={"accent_color": "#0f766e"}))
        page = await sign_in(browser, platform, owner["email"], owner["password"])
        try:
            assert "--accent: #0f766e" in (await page.get_attribute("body", "style")).lower()  # the organization's brand
            assert await page.inner_text("[data-tile=open-usd] .tile-value") == money(75_050, "usd")
            assert await page.inner_text("[data-tile=overdue-usd] .tile-value") == money(10_000, "usd")
            for chart in ("aging-usd", "collected-usd", "autopay", "dunning"):
                await page.wait_for_selector(f"#{chart}-canvas[data-drawn='1']")  # Chart.js drew it
            aging = page.locator("[data-chart=aging-usd]")
            await aging.get_by_text("Show the numbers").click()
            assert await aging.locator("tr", has_text="Not yet due").locator("td").inner_text() == "$650.50"
            assert await aging.locator("tr", has_text="1–30 days").locator("td").inner_text() == "$100.00"
            collected = page.locator("[data-chart=collected-usd]")
            await collected.get_by_text("Show the numbers").click()
            assert "$75.00" in await collected.locator("table").inner_text()  # the wire payment, this week
            await page.locator("[data-chart=autopay]").get_by_text("Show the numbers").click()
            coverage = await page.locator("[data-chart=autopay] table").inner_text()
            assert "Customers\t0\t2" in coverage, coverage
            await shoot(page, "home")
            await page.click("[data-tile=overdue-usd]")
            await page.wait_for_url("**/dashboard/invoices?status=past_due*")
        finally:
            await page.context.close()
