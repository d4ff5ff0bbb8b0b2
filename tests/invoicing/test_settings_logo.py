"""The logo URL of the invoice settings: fetched once, through the outbound guard, when the settings are
saved; stored in invoicing's database; PDFs drawn from the stored bytes without touching the network.
A logo that can't be fetched is a 400 naming logo_url, and nothing is saved."""

from __future__ import annotations

from sqlalchemy import select

from duely_invoicing.logos.models import OrganizationLogo

from tests.invoicing.conftest import PNG
from tests.invoicing.helpers import create_customer

LINES = [{"description": "Support plan", "quantity": 1, "unit_amount": 50000}]


async def _issued_pdf(client, customer_id: str) -> bytes:
    draft = (await client.post("/v1/invoices", json={"customer_id": customer_id, "currency": "usd",
                                                      "lines": LINES})).json()
    invoice = (await client.post(f"/v1/invoices/{draft['id']}/approve")).json()
    response = await client.get(f"/v1/invoices/{invoice['id']}/pdf")
    assert response.status_code == 200, response.text
    return response.content


async def test_the_logo_is_fetched_once_when_saved_and_drawn_from_storage(svc, org, logo_server):
    organization_id, api_key = org
    path = f"/logo-{organization_id}.png"
    async with svc.client(api_key) as client:
        saved = await client.patch("/v1/settings/invoicing", json={"logo_url": logo_server.url + path})
        assert saved.status_code == 200, saved.text
        assert saved.json()["logo_url"] == logo_server.url + path
        assert logo_server.hits(path) == 1

        customer = await create_customer(client)
        pdfs = [await _issued_pdf(client, customer["id"]) for _ in range(2)]
    assert all(b"/Subtype /Image" in pdf for pdf in pdfs)
    assert logo_server.hits(path) == 1  # rendering two invoices fetched nothing
    async with svc.runtime.db.transaction() as session:
        stored = (await session.scalars(select(OrganizationLogo).where(
            OrganizationLogo.organization_id == organization_id))).one()
    assert (stored.url, stored.content, stored.content_type) == (logo_server.url + path, PNG, "image/png")


async def test_a_logo_that_cannot_be_fetched_is_a_400_naming_logo_url(svc, org, logo_server):
    _, api_key = org
    database_port = svc.database_url.rsplit("@", 1)[1].split("/", 1)[0].rsplit(":", 1)[1]
    broker_port = svc.settings.kafka_bootstrap_servers.rsplit(":", 1)[1]
    cases = [
        ("http://127.0.0.1:9/logo.png", "logo_unavailable", "could not connect"),
        (f"{logo_server.url}/missing.png", "logo_unavailable", "HTTP 404 Not Found"),
        (f"{logo_server.url}/html.png", "logo_unavailable", "the server sent text/html"),
        (f"{logo_server.url}/fake.png", "logo_unavailable", "the content is not one"),
        (f"{logo_server.url}/big.png", "logo_unavailable", f"larger than {svc.settings.logo_max_bytes} bytes"),
        (f"{logo_server.url}/metadata.png", "url_not_allowed", "169.254.169.254 is a link-local address"),
        ("http://169.254.169.254/latest/meta-data/iam", "url_not_allowed", "link-local"),
        ("http://[::1]/logo.png", "url_not_allowed", "loopback"),
        ("http://10.1.2.3/logo.png", "url_not_allowed", "private"),
        (f"http://127.0.0.1:{database_port}/logo.png", "url_not_allowed", "this platform's own services"),
        (f"http://0x7f000001:{broker_port}/logo.png", "url_not_allowed", "this platform's own services"),
    ]
    async with svc.client(api_key) as client:
        before = (await client.get("/v1/settings/invoicing")).json()
        for url, code, reason in cases:
            response = await client.patch("/v1/settings/invoicing", json={"logo_url": url, "footer": "changed"})
            assert response.status_code == 400, (url, response.text)
            error = response.json()["error"]
            assert (error["param"], error["code"]) == ("logo_url", code), (url, error)
            assert reason in error["message"], (url, error["message"])
        assert (await client.get("/v1/settings/invoicing")).json() == before  # nothing saved


async def test_an_organization_keeps_its_newest_logos_only(svc, org, logo_server):
    from duely_invoicing.logos.repository import KEPT_PER_ORGANIZATION
    organization_id, api_key = org
    async with svc.client(api_key) as client:
        for n in range(KEPT_PER_ORGANIZATION + 3):  # a tenant cycling logo URLs cannot fill the database
            saved = await client.patch("/v1/settings/invoicing",
                                       json={"logo_url": f"{logo_server.url}/cycle-{organization_id}-{n}.png"})
            assert saved.status_code == 200, saved.text
    async with svc.runtime.db.transaction() as session:
        urls = set((await session.scalars(select(OrganizationLogo.url).where(
            OrganizationLogo.organization_id == organization_id))).all())
    assert len(urls) == KEPT_PER_ORGANIZATION
    assert f"{logo_server.url}/cycle-{organization_id}-{KEPT_PER_ORGANIZATION + 2}.png" in urls  # the current one
