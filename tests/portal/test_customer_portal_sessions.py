"""The customer portal's way in and its guards, through HTTP against a running portal (Postgres, the broker):
the API makes a single-use magic link, opening it starts a cookie session (portal.session_created), a used or
expired link gets a friendly page with a rate-limited "email me a new link" (portal.link_requested), every
form needs the session's CSRF token, sign out and the merchant's revoke end the session, and a session sees
its own customer only (404 for anyone else's invoice, receipt or method)."""

from __future__ import annotations

import contextlib
import re
import uuid
from datetime import datetime, timedelta, timezone

import httpx
from sqlalchemy import update

from duely_portal import service as hosted
from duely_portal.models import PortalSession
from tests.portal.helpers import make_snapshot
from tests.portal.portal_stub import PortalStub, StubCustomer


def new_org(portal_stub: PortalStub) -> tuple[str, str]:
    organization_id = f"org_{uuid.uuid4().hex[:12]}"
    key = f"sk_test_{uuid.uuid4().hex}"
    portal_stub.add_key(key, organization_id)
    return organization_id, key


async def create_link(customer_portal, key: str, customer_id: str, **body) -> httpx.Response:
    async with httpx.AsyncClient(base_url=customer_portal.state.url, headers={"Authorization": f"Bearer {key}"}) as client:
        return await client.post(f"/v1/customers/{customer_id}/portal_sessions", json=body,
                                 headers={"Idempotency-Key": uuid.uuid4().hex})


def login_path(url: str) -> str:
    assert url.startswith("https://billing.example.test/portal/login/"), url
    return url.removeprefix("https://billing.example.test")


@contextlib.asynccontextmanager
async def signed_in(customer_portal, key: str, customer_id: str):
    """A browser-like client holding the customer's session cookie."""
    made = await create_link(customer_portal, key, customer_id)
    assert made.status_code == 201, made.text
    async with httpx.AsyncClient(base_url=customer_portal.state.url) as client:
        opened = await client.get(login_path(made.json()["url"]))
        assert opened.status_code == 303 and opened.headers["location"] == "/portal"
        yield client


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


async def store_invoice(customer_portal, organization_id: str, customer_id: str, number: str):
    snapshot = make_snapshot(organization_id)
    snapshot = snapshot.model_copy(update={
        "number": number, "customer": snapshot.customer.model_copy(update={"id": customer_id})})
    async with customer_portal.state.runtime.db.transaction() as session:
        await hosted.apply_invoice_snapshot(session, snapshot, 1)
    return snapshot


async def test_the_api_makes_a_single_use_link_that_opens_a_cookie_session(customer_portal, portal_stub, read_events, wait_for):
    organization_id, key = new_org(portal_stub)
    portal_stub.add_customer(StubCustomer(organization_id, "cus_globex", "Globex", "ap@globex.example"))
    response = await create_link(customer_portal, key, "cus_globex", return_url="https://acme.example/account")
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["object"], body["customer_id"], body["emailed"], body["status"]) == (
        "portal_session", "cus_globex", False, "pending")
    expires = datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00"))
    assert timedelta(minutes=59) < expires - datetime.now(timezone.utc) <= timedelta(hours=1)
    # Only the hash of the link's token is kept.
    async with customer_portal.state.runtime.db.transaction() as session:
        row = await session.get(PortalSession, body["id"])
    token = body["url"].rsplit("/", 1)[1]
    assert token not in (row.link_hash, row.cookie_hash) and len(row.link_hash) == 64

    async with httpx.AsyncClient(base_url=customer_portal.state.url) as browser:
        opened = await browser.get(login_path(body["url"]))
        assert opened.status_code == 303
        cookie = opened.headers["set-cookie"]
        assert cookie.startswith("duely_portal_session=")
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/portal" in cookie
        assert "Secure" not in cookie  # embedded mode serves plain http; production sets Secure
        page = await browser.get("/portal")
        assert page.status_code == 200
        assert "Signed in as Globex" in page.text and 'href="https://acme.example/account"' in page.text
        assert page.headers["cache-control"] == "no-store"

        # Single use: the same link again (another browser, or this one) opens nothing.
        async with httpx.AsyncClient(base_url=customer_portal.state.url) as other:
            again = await other.get(login_path(body["url"]))
            assert again.status_code == 410
            assert "This sign-in link was already used" in again.text and 'id="link-form"' in again.text
            assert (await other.get("/portal")).status_code == 401

    async def created():
        events = [e for e in await read_events("portal.session_created", timeout=3, quiet_s=0.3)
                  if e.aggregate_id == body["id"]]
        return events
    events = await wait_for(created, timeout=20)
    assert len(events) == 1 and events[0].organization_id == organization_id
    assert events[0].data["customer_id"] == "cus_globex"


async def test_unknown_or_other_organizations_customer_is_a_404(customer_portal, portal_stub):
    organization_id, key = new_org(portal_stub)
    other_org, _ = new_org(portal_stub)
    portal_stub.add_customer(StubCustomer(other_org, "cus_theirs", "Theirs", "ap@theirs.example"))
    for customer_id in ("cus_nobody", "cus_theirs"):
        response = await create_link(customer_portal, key, customer_id)
        assert response.status_code == 404, response.text
        assert response.json()["error"]["code"] == "resource_missing"
    async with httpx.AsyncClient(base_url=customer_portal.state.url) as client:
        assert (await client.post("/v1/customers/cus_theirs/portal_sessions", json={})).status_code == 401
    bad = await create_link(customer_portal, key, "cus_nobody", return_url="javascript:alert(1)")
    assert bad.status_code in (400, 404)


async def test_an_expired_link_offers_a_new_one_by_email_rate_limited(customer_portal, portal_stub, read_events, wait_for):
    organization_id, key = new_org(portal_stub)
    portal_stub.add_customer(StubCustomer(organization_id, "cus_late", "Initech", "peter@initech.example", locale="de_DE"))
    made = (await create_link(customer_portal, key, "cus_late")).json()
    async with customer_portal.state.runtime.db.transaction() as session:  # an hour later
        await session.execute(update(PortalSession).where(PortalSession.id == made["id"]).values(
            link_expires_at=datetime.now(timezone.utc) - timedelta(seconds=1)))
    path = login_path(made["url"])
    async with httpx.AsyncClient(base_url=customer_portal.state.url) as browser:
        page = await browser.get(path)
        assert page.status_code == 410
        assert "Dieser Anmeldelink ist abgelaufen" in page.text  # the customer's language
        assert "Traceback" not in page.text and (await browser.get("/portal")).status_code == 401
        csrf = csrf_of(page.text)

        refused = await browser.post(f"{path}/new_link", data={"csrf_token": "forged"})
        assert refused.status_code == 403
        for _ in range(3):
            sent = await browser.post(f"{path}/new_link", data={"csrf_token": csrf})
            assert sent.status_code == 200, sent.text
            assert "p•••r@initech.example" in sent.text
        limited = await browser.post(f"{path}/new_link", data={"csrf_token": csrf})
        assert limited.status_code == 429
        assert 'id="link-outcome"' in limited.text

    async def requested():
        found = [e for e in await read_events("portal.link_requested", timeout=3, quiet_s=0.3)
                 if e.aggregate_id == "cus_late" and e.organization_id == organization_id]
        return found if len(found) >= 3 else None
    events = await wait_for(requested, timeout=20)
    assert len(events) == 3
    assert {e.data["requested_by"] for e in events} == {"customer"}
    assert all(e.data["email"] == "peter@initech.example" and e.data["locale"] == "de_DE" for e in events)
    # Each emailed link is new and works once.
    async with httpx.AsyncClient(base_url=customer_portal.state.url) as browser:
        fresh = login_path(events[-1].data["url"].replace(customer_portal.state.url, "https://billing.example.test"))
        assert (await browser.get(fresh)).status_code == 303


async def test_every_form_needs_the_sessions_csrf_token(customer_portal, portal_stub):
    organization_id, key = new_org(portal_stub)
    portal_stub.add_customer(StubCustomer(organization_id, "cus_csrf", "Hooli", "ap@hooli.example"))
    invoice = await store_invoice(customer_portal, organization_id, "cus_csrf", "HOOLI-1")
    async with signed_in(customer_portal, key, "cus_csrf") as browser:
        page = await browser.get("/portal")
        csrf = csrf_of(page.text)
        assert page.text.count(f'name="csrf_token" value="{csrf}"') >= 2  # the pay form and sign out
        form = {"invoice_ids": invoice.id, "payment_method": "pm_card_visa", "form_key": "k" * 16}
        for attempt in ({}, {"csrf_token": "x" * 43}):
            refused = await browser.post("/portal/pay", data={**form, **attempt})
            assert refused.status_code == 403 and 'id="csrf-refused"' in refused.text
        cross = await browser.post("/portal/pay", data={**form, "csrf_token": csrf},
                                   headers={"Sec-Fetch-Site": "cross-site"})
        assert cross.status_code == 403
        for path in ("/portal/payment_methods", "/portal/autopay", "/portal/logout"):
            assert (await browser.post(path, data={})).status_code == 403
        assert portal_stub.payment_calls == [] or all(c["customer_id"] != "cus_csrf" for c in portal_stub.payment_calls)

        paid = await browser.post("/portal/pay", data={**form, "csrf_token": csrf})
        assert paid.status_code == 303
        call = next(c for c in portal_stub.payment_calls if c["customer_id"] == "cus_csrf")
        assert call["body"]["invoice_ids"] == [invoice.id]
        assert call["idempotency_key"] == f"portal-pay-cus_csrf-{'k' * 16}"

        out = await browser.post("/portal/logout", data={"csrf_token": csrf})
        assert out.status_code == 200 and 'id="signed-out"' in out.text
        assert (await browser.get("/portal")).status_code == 401


async def test_the_merchant_revokes_a_session(customer_portal, portal_stub):
    organization_id, key = new_org(portal_stub)
    portal_stub.add_customer(StubCustomer(organization_id, "cus_rev", "Umbrella", "ap@umbrella.example"))
    made = (await create_link(customer_portal, key, "cus_rev")).json()
    async with httpx.AsyncClient(base_url=customer_portal.state.url) as browser:
        assert (await browser.get(login_path(made["url"]))).status_code == 303
        assert (await browser.get("/portal")).status_code == 200
        async with httpx.AsyncClient(base_url=customer_portal.state.url, headers={"Authorization": f"Bearer {key}"}) as api:
            revoked = await api.post(f"/v1/customers/cus_rev/portal_sessions/{made['id']}/revoke")
            assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
            other, _ = new_org(portal_stub)
            assert (await api.post(f"/v1/customers/cus_other/portal_sessions/{made['id']}/revoke")).status_code == 404
        assert (await browser.get("/portal")).status_code == 401


async def test_a_session_sees_its_own_customer_only(customer_portal, portal_stub):
    organization_id, key = new_org(portal_stub)
    other_org, _ = new_org(portal_stub)
    mine = portal_stub.add_customer(StubCustomer(organization_id, "cus_mine", "Mine Ltd", "ap@mine.example",
                                          methods=[{"id": "pm_mine", "type": "card", "status": "active",
                                                    "is_default": True, "card": {"brand": "visa", "last4": "4242"}}]))
    portal_stub.add_customer(StubCustomer(organization_id, "cus_neighbour", "Neighbour", "ap@neighbour.example",
                                   methods=[{"id": "pm_neighbour", "type": "card", "status": "active",
                                             "is_default": True, "card": {"brand": "visa", "last4": "1111"}}]))
    own = await store_invoice(customer_portal, organization_id, mine.id, "MINE-1")
    neighbours = await store_invoice(customer_portal, organization_id, "cus_neighbour", "NEIGH-1")
    foreign = await store_invoice(customer_portal, other_org, mine.id, "FOREIGN-1")  # same customer id, other organization
    async with signed_in(customer_portal, key, mine.id) as browser:
        listing = await browser.get("/portal")
        assert "MINE-1" in listing.text and "NEIGH-1" not in listing.text and "FOREIGN-1" not in listing.text
        assert (await browser.get(f"/portal/invoices/{own.id}")).status_code == 200
        csrf = csrf_of(listing.text)
        for invoice in (neighbours, foreign):
            assert (await browser.get(f"/portal/invoices/{invoice.id}")).status_code == 404
            assert (await browser.get(f"/portal/invoices/{invoice.id}/pdf")).status_code == 404
            paid = await browser.post("/portal/pay", data={"invoice_ids": [own.id, invoice.id], "csrf_token": csrf,
                                                           "payment_method": "default", "form_key": "f" * 16})
            assert paid.status_code == 404
        assert (await browser.get("/portal/receipts/py_not_mine")).status_code == 404
        for action in ("default", "remove"):
            refused = await browser.post(f"/portal/payment_methods/pm_neighbour/{action}", data={"csrf_token": csrf})
            assert refused.status_code == 404
        assert (await browser.get("/portal/invoices/..%2F..%2Fetc")).status_code == 404
    assert all(c["customer_id"] != mine.id or neighbours.id not in c["body"]["invoice_ids"]
               for c in portal_stub.payment_calls)


async def test_the_last_method_stays_while_autopay_is_on(customer_portal, portal_stub):
    organization_id, key = new_org(portal_stub)
    only = {"id": "pm_only", "type": "card", "status": "active", "is_default": True,
            "card": {"brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2030}}
    portal_stub.add_customer(StubCustomer(organization_id, "cus_auto", "Auto AG", "ap@auto.example", methods=[only],
                                   autopay={"enabled": True, "timing": "on_issue", "days_before_due": None,
                                            "payment_method_id": None}))
    async with signed_in(customer_portal, key, "cus_auto") as browser:
        page = await browser.get("/portal/payment_methods")
        refused = await browser.post("/portal/payment_methods/pm_only/remove", data={"csrf_token": csrf_of(page.text)},
                                     follow_redirects=True)
        assert "This is your only payment method and AutoPay is on" in refused.text
