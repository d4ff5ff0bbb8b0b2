"""The customer portal's messages (issue #11) end to end (real broker, Postgres, SMTP catcher, a Standard Webhooks
receiver): portal.link_requested emails the sign-in link to the address it names — in the customer's language,
under the organization's brand, saying who sent it and when it expires — once per event, through the delivery
log; a link that expired while its email waited is not sent; portal.session_created is a webhook, the link never
is."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta, timezone

from duely_contracts import Envelope
from duely_contracts.events import PortalLinkRequested, PortalSessionCreated


def _plain(message) -> str:
    return " ".join(message.get_body(preferencelist=("plain",)).get_content().split())


def _html(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def link_requested(org_id: str, email: str, *, locale: str | None, requested_by: str = "merchant",
                   expires_at: datetime = datetime(2099, 12, 1, 10, 0, tzinfo=timezone.utc),
                   **extra) -> tuple[Envelope, str]:
    url = f"http://127.0.0.1:8000/portal/login/{uuid.uuid4().hex}"
    event = PortalLinkRequested(customer_id="cus_portal", email=email, customer_name="Anna Käufer", locale=locale,
                                url=url, expires_at=expires_at, requested_by=requested_by,
                                organization_name="Acme GmbH", **extra)
    return Envelope(type="portal.link_requested", organization_id=org_id, aggregate_id="cus_portal",
                    aggregate_version=1, correlation_id=str(uuid.uuid4()), data=event.model_dump(mode="json")), url


def address() -> str:
    return f"anna+{uuid.uuid4().hex[:8]}@example.test"


async def test_a_merchants_link_goes_out_branded_in_german_once_per_event(notifications, invoicing, publish,
                                                                          wait_for):
    org_id, api_key = await invoicing.create_org("Acme GmbH")
    email = address()
    envelope, url = link_requested(org_id, email, locale="de_DE", logo_url="https://cdn.example.test/acme.png",
                                   accent_color="#0055AA")
    await publish(envelope)
    await publish(envelope)  # redelivered: the inbox makes it a no-op

    async def mails():
        return notifications.catcher.messages(To=email) or None
    [message] = await wait_for(mails, timeout=30)
    assert message["Subject"] == "Ihr Anmeldelink zum Kundenportal von Acme GmbH"
    assert message["From"] == "Acme GmbH <billing@duely.local>"
    assert message["Cc"] is None
    text = _plain(message)
    for expected in ("Guten Tag Anna Käufer,",
                     "Acme GmbH hat Ihnen einen Link zu Ihrem Kundenportal geschickt.",
                     f"Kundenportal öffnen: {url}",
                     "Der Link funktioniert einmal und läuft am 1. Dezember 2099, 10:00 (UTC) ab.",
                     "Gesendet von Acme GmbH über Duely."):
        assert expected in text, (expected, text)
    html = _html(message)
    assert f'href="{url}"' in html and "Kundenportal öffnen" in html
    assert 'src="https://cdn.example.test/acme.png"' in html and "#0055AA" in html
    assert 'lang="de-DE"' in html

    # The delivery log has it (about no invoice), sent at the first attempt.
    async with notifications.client(api_key) as client:
        async def logged():
            rows = [r for r in (await client.get("/v1/messages")).json()["data"] if r["template"] == "portal_link"]
            return rows if rows and all(r["status"] != "pending" for r in rows) else None
        [row] = await wait_for(logged, timeout=30)
    assert (row["status"], row["to"], row["cc"], row["invoice_id"]) == ("sent", [email], [], None)
    assert row["subject"] == message["Subject"]

    # Another request for the same customer is another event: another email (the portal rate limits them).
    again, second_url = link_requested(org_id, email, locale="de_DE")
    await publish(again)

    async def two():
        found = notifications.catcher.messages(To=email)
        return found if len(found) == 2 else None
    found = await wait_for(two, timeout=30)
    assert any(second_url in _plain(m) for m in found)
    await asyncio.sleep(1.0)
    assert len(notifications.catcher.messages(To=email)) == 2


async def test_a_customers_own_request_in_french_and_a_link_with_no_locale_in_english(notifications, invoicing,
                                                                                      publish, wait_for):
    org_id, _ = await invoicing.create_org("Acme GmbH")
    french, english = address(), address()
    envelope, french_url = link_requested(org_id, french, locale="fr_FR", requested_by="customer",
                                          accent_color="red; background:url(x)")
    await publish(envelope)
    envelope, english_url = link_requested(org_id, english, locale=None,
                                           logo_url="http://insecure.example.test/x.png")
    await publish(envelope)

    async def both():
        found = notifications.catcher.messages(To=french) + notifications.catcher.messages(To=english)
        return found if len(found) == 2 else None
    by_to = {m["To"]: m for m in await wait_for(both, timeout=30)}

    message = by_to[french]
    assert message["Subject"] == "Votre lien de connexion à l’espace client de Acme GmbH"
    text = _plain(message)
    assert "Vous avez demandé un nouveau lien vers l’espace client de Acme GmbH" in text
    assert f"Ouvrir l’espace client : {french_url}" in text  # (the no-break space before the colon, joined)
    assert "expire le 1 décembre 2099" in text
    assert "background:url(x)" not in _html(message)  # not a colour: the default accent instead

    message = by_to[english]
    assert message["Subject"] == "Your sign-in link to the Acme GmbH billing portal"
    text = _plain(message)
    assert "Acme GmbH sent you a link to your billing portal" in text
    assert f"Open the billing portal: {english_url}" in text
    assert "The link works once and expires on December 1, 2099, 10:00 AM (UTC)." in text
    assert "insecure.example.test" not in _html(message)  # an email loads https logos only


async def test_a_link_that_expired_while_waiting_is_not_sent(notifications, invoicing, publish, wait_for):
    org_id, api_key = await invoicing.create_org("Late Co")
    email = address()
    envelope, _ = link_requested(org_id, email, locale="en",
                                 expires_at=datetime.now(timezone.utc) - timedelta(minutes=1))
    await publish(envelope)
    async with notifications.client(api_key) as client:
        async def settled():
            rows = [r for r in (await client.get("/v1/messages")).json()["data"] if r["template"] == "portal_link"]
            return rows[0] if rows and rows[0]["status"] != "pending" else None
        row = await wait_for(settled, timeout=30)
    assert row["status"] == "skipped" and row["sent_at"] is None
    assert row["skipped_reason"] == "the sign-in link expired before its email could go out"
    await asyncio.sleep(0.5)
    assert not notifications.catcher.messages(To=email)


async def test_a_portal_session_is_a_webhook_and_the_sign_in_link_never_is(notifications, invoicing,
                                                                           webhook_receiver, publish, wait_for):
    org_id, api_key = await invoicing.create_org("Hooks GmbH")
    name = f"portal-{uuid.uuid4().hex[:6]}"
    async with notifications.client(api_key) as client:
        response = await client.post("/v1/webhook_endpoints", json={"url": webhook_receiver.endpoint_url(name),
                                                                    "events": ["*"]})
        assert response.status_code == 201, response.text
        webhook_receiver.secrets[name] = response.json()["secret"]

    link, _ = link_requested(org_id, address(), locale="en")
    await publish(link)
    now = datetime.now(timezone.utc)
    session = PortalSessionCreated(session_id="psess_1", customer_id="cus_portal", created_at=now,
                                   expires_at=now + timedelta(hours=12))
    created = Envelope(type="portal.session_created", organization_id=org_id, aggregate_id="psess_1",
                       aggregate_version=1, correlation_id=str(uuid.uuid4()), data=session.model_dump(mode="json"))
    await publish(created)

    async def delivered():
        return webhook_receiver.accepted[name] or None
    [body] = await wait_for(delivered, timeout=30)  # accepted at the second attempt (the receiver refuses the first)
    assert body["type"] == "portal.session_created" and body["data"]["session_id"] == "psess_1"
    assert body["data"]["customer_id"] == "cus_portal"
    await asyncio.sleep(1.0)
    assert [b["type"] for b in webhook_receiver.accepted[name]] == ["portal.session_created"]


def test_one_email_per_event_and_an_expired_link_is_not_worth_sending():
    from duely_notifications.domain import keys
    from duely_notifications.domain.relevance import expired_link_reason
    assert keys.portal_link_key("evt-1") == "portal_link:evt-1" != keys.portal_link_key("evt-2")
    now = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)
    assert expired_link_reason("portal_link", {"expires_at": "2026-12-01T10:00:01Z"}, now) is None
    assert expired_link_reason("portal_link", {"expires_at": "2026-12-01T10:00:00Z"}, now)
    assert expired_link_reason("portal_link", {"expires_at": "2026-12-01T09:00:00"}, now)  # naive = UTC
    assert expired_link_reason("invoice_issued", {"expires_at": "2000-01-01T00:00:00Z"}, now) is None
