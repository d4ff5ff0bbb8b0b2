"""Shared by the dashboard's browser tests: a fresh organization with its owner, a Chromium page signed in
as a user of it, and screenshots at desktop and phone width under var/screenshots/dashboard-*.png."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

import httpx

from duely_runtime.auth import INTERNAL_HEADER

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu"]


def internal_secret(platform) -> str:
    return platform.env().get("DUELY_INTERNAL_SECRET", "embedded-dev-secret-not-for-production")


@contextlib.asynccontextmanager
async def organization_with_owner(platform, name: str = "Dashboard Co"):
    """(API client with the organization's key, {"email", "password"} of its owner)."""
    async with httpx.AsyncClient(base_url=platform.config.url("invoicing"), timeout=10) as invoicing:
        response = await invoicing.post("/internal/organizations", json={"name": name},
                                        headers={INTERNAL_HEADER: internal_secret(platform)})
        response.raise_for_status()
    body = response.json()
    async with httpx.AsyncClient(base_url=platform.config.url("gateway"), timeout=30,
                                 limits=httpx.Limits(keepalive_expiry=1.0),
                                 headers={"Authorization": f"Bearer {body['api_key']}"}) as client:
        client.organization_id = body["organization"]["id"]
        yield client, body["owner"]


async def sign_in(browser, platform, email: str, password: str):
    """A new browser context (its own cookies) signed in to the dashboard: the page on Home."""
    context = await browser.new_context(viewport=DESKTOP)
    page = await context.new_page()
    await page.goto(platform.config.url("gateway") + "/dashboard")
    await page.get_by_label("Email", exact=True).first.fill(email)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_url("**/dashboard")
    return page


async def shoot(page, name: str, prefix: str = "dashboard") -> None:
    """Desktop and phone screenshots (var/screenshots/<prefix>-<name>-…); the phone one must not scroll sideways."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.set_viewport_size(DESKTOP)
    await page.screenshot(path=str(SCREENSHOTS / f"{prefix}-{name}-desktop.png"), full_page=True)
    await page.set_viewport_size(PHONE)
    await page.wait_for_timeout(300)  # Chart.js resizes its canvases on the next frames
    await page.screenshot(path=str(SCREENSHOTS / f"{prefix}-{name}-phone.png"), full_page=True)
    wide = await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    await page.set_viewport_size(DESKTOP)
    assert wide, f"{name}: wider than 390 px"


async def emailed_link(platform, to: str, path: str) -> str:
    """The newest `/dashboard/<path>?token=…` link mailed to `to` (the SMTP catcher's Maildir), pointed at this
    platform's gateway."""
    from duely_devstack.maildir import read_messages
    from tests.conftest import wait_for
    from tests.e2e.conftest import body_text

    pattern = re.compile(rf"https?://\S+(/dashboard/{re.escape(path)}\?token=[\w\-.~%]+)")

    async def link():
        for message in reversed(read_messages(Path(platform.config.maildir))):
            found = to in str(message["To"]) and pattern.search(body_text(message))
            if found:
                return platform.config.url("gateway") + found.group(1)
        return None
    return await wait_for(link, timeout=60, interval=0.5)
