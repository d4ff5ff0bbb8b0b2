"""The customer portal's way in and its guards, through HTTP against a running portal (Postgres, the broker) that
asks the real invoicing and payments (and through payments the sandbox gateway): the API makes a single-use magic
link, opening it starts a cookie session (portal.session_created), a used or expired link gets a friendly page
with a rate-limited "email me a new link" (portal.link_requested), every form needs the session's CSRF token,
sign out and the merchant's revoke end the session, and a session sees its own customer only (404 for anyone
else's invoice, receipt or method). Organizations, customers, invoices, saved methods and AutoPay are made through
the services' public APIs (tests/portal/merchant.py)."""

from __future__ import annotations

import contextlib
import re
import uuid
from datetime import datetime, timedelta, timezone

import httpx
from sqlalchemy import update

from duely_portal.models import PortalSession

NUMBERED = {"number_format": "{PREFIX}-{N}"}  # invoice numbers as PREFIX-1, PREFIX-2, ...


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


async def test_the_api_makes_a_single_use_link_that_opens_a_cookie_session(customer_portal, new_merchant, read_events,
                                                                          wait_for):
    acme = await new_merchant()
    globex = await acme.customer("Globex", "ap@globex.example")
    response = await create_link(customer_portal, acme.key, globex["id"], return_url="https://acme.example/account")
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["object"], body["customer_id"], body["emailed"], body["status"]) == (
        "portal_session", globex["id"], False, "pending")
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
    assert len(events) == 1 and events[0].organization_id == acme.id
    assert events[0].data["customer_id"] == globex["id"]


async def test_unknown_or_other_organizations_customer_is_a_404(customer_portal, new_merchant):
    acme = await new_merchant()
    other = await new_merchant("Other Org")
    theirs = await other.customer("Theirs", "ap@theirs.example")
    for customer_id in ("cus_nobody", theirs["id"]):
        response = await create_link(customer_portal, acme.key, customer_id)
        assert response.status_code == 404, response.text
        assert response.json()["error"]["code"] == "resource_missing"
    async with httpx.AsyncClient(base_url=customer_portal.state.url) as client:
        assert (await client.post(f"/v1/customers/{theirs['id']}/portal_sessions", json={})).status_code == 401
    bad = await create_link(customer_portal, acme.key, "cus_nobody", return_url="javascript:alert(1)")
    assert bad.status_code in (400, 404)


async def test_an_expired_link_offers_a_new_one_by_email_rate_limited(customer_portal, new_merchant, read_events,
                                                                      wait_for):
    acme = await new_merchant()
    late = await acme.customer("Initech", "peter@initech.example", locale="de_DE")
    made = (await create_link(customer_portal, acme.key, late["id"])).json()
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
                 if e.aggregate_id == late["id"] and e.organization_id == acme.id]
        return found if len(found) >= 3 else None
    events = await wait_for(requested, timeout=20)
    assert len(events) == 3
    assert {e.data["requested_by"] for e in events} == {"customer"}
    assert all(e.data["email"] == "peter@initech.example" and e.data["locale"] == "de_DE" for e in events)
    # Each emailed link is new and works once.
    async with httpx.AsyncClient(base_url=customer_portal.state.url) as browser:
        fresh = login_path(events[-1].data["url"].replace(customer_portal.state.url, "https://billing.example.test"))
        assert (await browser.get(fresh)).status_code == 303


async def test_every_form_needs_the_sessions_csrf_token(customer_portal, new_merchant, portal_sandbox, wait_for):
    hooli_inc = await new_merchant(invoice_prefix="HOOLI", **NUMBERED)
    hooli = await hooli_inc.customer("Hooli", "ap@hooli.example")
    invoice = await hooli_inc.issue(hooli["id"])
    assert invoice["number"] == "HOOLI-1"
    key = f"portal-pay-{hooli['id']}-{'k' * 16}"  # the Idempotency-Key the portal sends payments
    async with signed_in(customer_portal, hooli_inc.key, hooli["id"]) as browser:
        page = await browser.get("/portal")
        assert "HOOLI-1" in page.text
        csrf = csrf_of(page.text)
        assert page.text.count(f'name="csrf_token" value="{csrf}"') >= 2  # the pay form and sign out
        form = {"invoice_ids": invoice["id"], "payment_method": "pm_card_visa", "form_key": "k" * 16}
        for attempt in ({}, {"csrf_token": "x" * 43}):
            refused = await browser.post("/portal/pay", data={**form, **attempt})
            assert refused.status_code == 403 and 'id="csrf-refused"' in refused.text
        cross = await browser.post("/portal/pay", data={**form, "csrf_token": csrf},
                                   headers={"Sec-Fetch-Site": "cross-site"})
        assert cross.status_code == 403
        for path in ("/portal/payment_methods", "/portal/autopay", "/portal/logout"):
            assert (await browser.post(path, data={})).status_code == 403
        # Nothing reached payments: no attempt, no payment, no request under the form's key.
        assert await hooli_inc.attempts_of(invoice["id"]) == []
        assert await hooli_inc.payments_of(invoice["id"]) == []
        assert await hooli_inc.idempotent_request(key) is None
        assert await hooli_inc.methods(hooli["id"]) == []
        assert (await hooli_inc.invoice(invoice["id"]))["status"] == "issued"

        paid = await browser.post("/portal/pay", data={**form, "csrf_token": csrf})
        assert paid.status_code == 303
        # One charge at the sandbox gateway for the invoice's balance, taken under the form's key; invoicing
        # hears of it and the invoice is paid.
        stored = await hooli_inc.idempotent_request(key)
        assert stored is not None and stored.status_code == 200, stored
        payments = await hooli_inc.payments_of(invoice["id"])
        assert [(p.amount, p.currency) for p in payments] == [(invoice["amount_due"], "usd")]
        intent = portal_sandbox.client().v1.payment_intents.retrieve(payments[0].gateway_reference)
        assert (intent.status, intent.amount) == ("succeeded", invoice["amount_due"])

        async def invoice_paid():
            return (await hooli_inc.invoice(invoice["id"]))["status"] == "paid"
        await wait_for(invoice_paid, timeout=30)
        # The same form sent again (a double click) charges nothing more.
        again = await browser.post("/portal/pay", data={**form, "csrf_token": csrf})
        assert again.status_code == 303
        assert len(await hooli_inc.payments_of(invoice["id"])) == 1

        out = await browser.post("/portal/logout", data={"csrf_token": csrf})
        assert out.status_code == 200 and 'id="signed-out"' in out.text
        assert (await browser.get("/portal")).status_code == 401


async def test_the_merchant_revokes_a_session(customer_portal, new_merchant):
    acme = await new_merchant()
    umbrella = await acme.customer("Umbrella", "ap@umbrella.example")
    made = (await create_link(customer_portal, acme.key, umbrella["id"])).json()
    async with httpx.AsyncClient(base_url=customer_portal.state.url) as browser:
        assert (await browser.get(login_path(made["url"]))).status_code == 303
        assert (await browser.get("/portal")).status_code == 200
        async with httpx.AsyncClient(base_url=customer_portal.state.url, headers={"Authorization": f"Bearer {acme.key}"}) as api:
            revoked = await api.post(f"/v1/customers/{umbrella['id']}/portal_sessions/{made['id']}/revoke")
            assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
            assert (await api.post(f"/v1/customers/cus_other/portal_sessions/{made['id']}/revoke")).status_code == 404
        assert (await browser.get("/portal")).status_code == 401


async def test_a_session_sees_its_own_customer_only(customer_portal, new_merchant, wait_for):
    acme = await new_merchant(invoice_prefix="MINE", **NUMBERED)
    other = await new_merchant("Other Org", invoice_prefix="FOREIGN", **NUMBERED)
    mine = await acme.customer("Mine Ltd", "ap@mine.example")
    neighbour = await acme.customer("Neighbour", "ap@neighbour.example")
    theirs = await other.customer("Mine Ltd", "ap@mine.example")  # the same company, another organization's customer
    mine_card = await acme.save_method(mine["id"])
    neighbours_card = await acme.save_method(neighbour["id"])
    theirs_card = await other.save_method(theirs["id"])
    own = await acme.issue(mine["id"])
    neighbours = await acme.issue(neighbour["id"])
    foreign = await other.issue(theirs["id"])
    assert (own["number"], neighbours["number"], foreign["number"]) == ("MINE-1", "MINE-2", "FOREIGN-1")
    # The neighbour's invoice is paid (by the merchant, through payments): its receipt opens for the neighbour.
    charged = await acme.pay(neighbours["id"])
    assert charged["status"] == "succeeded" and charged["payment_id"], charged
    receipt = f"/portal/receipts/{charged['payment_id']}"
    async with signed_in(customer_portal, acme.key, neighbour["id"]) as theirs_browser:
        async def receipt_ready():
            return (await theirs_browser.get(receipt)).status_code == 200
        await wait_for(receipt_ready, timeout=30)
    async with signed_in(customer_portal, acme.key, mine["id"]) as browser:
        listing = await browser.get("/portal")
        assert "MINE-1" in listing.text and "MINE-2" not in listing.text and "FOREIGN-1" not in listing.text
        assert own["id"] in listing.text and neighbours["id"] not in listing.text and foreign["id"] not in listing.text
        assert (await browser.get(f"/portal/invoices/{own['id']}")).status_code == 200
        csrf = csrf_of(listing.text)
        for invoice in (neighbours, foreign):
            assert (await browser.get(f"/portal/invoices/{invoice['id']}")).status_code == 404
            assert (await browser.get(f"/portal/invoices/{invoice['id']}/pdf")).status_code == 404
            paid = await browser.post("/portal/pay", data={"invoice_ids": [own["id"], invoice["id"]],
                                                           "csrf_token": csrf, "payment_method": "default",
                                                           "form_key": "f" * 16})
            assert paid.status_code == 404
        assert (await browser.get("/portal/receipts/py_not_mine")).status_code == 404
        assert (await browser.get(receipt)).status_code == 404  # the neighbour's
        for method in (neighbours_card, theirs_card):
            for action in ("default", "remove"):
                refused = await browser.post(f"/portal/payment_methods/{method['id']}/{action}",
                                             data={"csrf_token": csrf})
                assert refused.status_code == 404
        assert (await browser.get("/portal/invoices/..%2F..%2Fetc")).status_code == 404
    # Nothing more was charged (the neighbour's one payment is the merchant's) and every card is where it was.
    for invoice, merchant in ((own, acme), (foreign, other)):
        assert await merchant.attempts_of(invoice["id"]) == []
        assert (await merchant.invoice(invoice["id"]))["status"] == "issued"
    assert [p.id for p in await acme.payments_of(neighbours["id"])] == [charged["payment_id"]]
    assert len(await acme.attempts_of(neighbours["id"])) == 1
    for merchant, customer, card in ((acme, mine, mine_card), (acme, neighbour, neighbours_card),
                                     (other, theirs, theirs_card)):
        assert [(m["id"], m["status"], m["is_default"]) for m in await merchant.methods(customer["id"])] == [
            (card["id"], "active", True)]


async def test_the_last_method_stays_while_autopay_is_on(customer_portal, new_merchant):
    acme = await new_merchant()
    auto = await acme.customer("Auto AG", "ap@auto.example")
    only = await acme.save_method(auto["id"], "pm_card_visa")
    assert (only["card"]["brand"], only["card"]["last4"], only["is_default"]) == ("visa", "4242", True)
    turned_on = await acme.set_autopay(auto["id"], {"enabled": True, "timing": "on_issue"})
    assert turned_on["autopay"]["enabled"] is True, turned_on
    async with signed_in(customer_portal, acme.key, auto["id"]) as browser:
        page = await browser.get("/portal/payment_methods")
        assert "4242" in page.text
        refused = await browser.post(f"/portal/payment_methods/{only['id']}/remove",
                                     data={"csrf_token": csrf_of(page.text)}, follow_redirects=True)
        assert "This is your only payment method and AutoPay is on" in refused.text
    assert [(m["id"], m["status"]) for m in await acme.methods(auto["id"])] == [(only["id"], "active")]
