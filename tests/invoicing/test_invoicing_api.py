"""Numbering under concurrency, lists, idempotency, internal endpoints and the OpenAPI document."""

from __future__ import annotations

import asyncio
from datetime import date

from duely_runtime.auth import INTERNAL_HEADER, hash_key
from duely_invoicing.models import Invoice

from tests.invoicing.helpers import create_customer, create_draft, invoice_body


async def test_concurrent_approvals_get_gapless_unique_numbers(svc, org):
    organization_id, api_key = org
    async with svc.client(api_key) as client:
        customer = await create_customer(client)
        drafts = [await create_draft(client, customer["id"]) for _ in range(20)]
        responses = await asyncio.gather(*[client.post(f"/v1/invoices/{d['id']}/approve") for d in drafts])
    assert [r.status_code for r in responses] == [200] * 20
    numbers = sorted(r.json()["number"] for r in responses)
    year = date.today().year
    assert numbers == [f"INV-{year}-{n:05d}" for n in range(1, 21)]


async def test_concurrent_approvals_of_one_invoice_issue_it_once(svc, org):
    _, api_key = org
    async with svc.client(api_key) as client:
        customer = await create_customer(client)
        draft = await create_draft(client, customer["id"])
        responses = await asyncio.gather(*[client.post(f"/v1/invoices/{draft['id']}/approve") for _ in range(6)])
        codes = sorted(r.status_code for r in responses)
        assert codes == [200] + [409] * 5
        # The losers took no number: the next approval gets 00002.
        second = await create_draft(client, customer["id"])
        approved = (await client.post(f"/v1/invoices/{second['id']}/approve")).json()
        assert approved["number"].endswith("-00002")


async def test_lists_are_newest_first_with_limit_and_filters(svc, org):
    _, api_key = org
    async with svc.client(api_key) as client:
        alice = await create_customer(client, "Alice")
        bob = await create_customer(client, "Bob")
        first = await create_draft(client, alice["id"])
        second = await create_draft(client, bob["id"])
        third = await create_draft(client, alice["id"])
        await client.post(f"/v1/invoices/{third['id']}/approve")

        page = (await client.get("/v1/invoices", params={"limit": 2})).json()
        assert page["object"] == "list" and page["has_more"] is True
        assert [i["id"] for i in page["data"]] == [third["id"], second["id"]]
        everything = (await client.get("/v1/invoices")).json()
        assert [i["id"] for i in everything["data"]] == [third["id"], second["id"], first["id"]]
        assert everything["has_more"] is False
        by_alice = (await client.get("/v1/invoices", params={"customer_id": alice["id"]})).json()
        assert [i["id"] for i in by_alice["data"]] == [third["id"], first["id"]]
        drafts = (await client.get("/v1/invoices", params={"status": "draft"})).json()
        assert [i["id"] for i in drafts["data"]] == [second["id"], first["id"]]
        bad = await client.get("/v1/invoices", params={"status": "lost"})
        assert bad.status_code == 400 and bad.json()["error"]["param"] == "status"

        customers = (await client.get("/v1/customers", params={"limit": 1})).json()
        assert [c["id"] for c in customers["data"]] == [bob["id"]] and customers["has_more"] is True
        fetched = (await client.get(f"/v1/customers/{alice['id']}")).json()
        assert fetched == alice and fetched["object"] == "customer" and fetched["id"].startswith("cus_")


async def test_idempotency_key_creates_one_invoice(svc, org):
    organization_id, api_key = org
    async with svc.client(api_key) as client:
        customer = await create_customer(client)
        body = invoice_body(customer["id"])
        headers = {"Idempotency-Key": "create-once"}
        first = await client.post("/v1/invoices", json=body, headers=headers)
        again = await client.post("/v1/invoices", json=body, headers=headers)
        assert first.status_code == again.status_code == 201
        assert first.json()["id"] == again.json()["id"]
        assert await svc.count(Invoice, Invoice.organization_id == organization_id) == 1
        other = await client.post("/v1/invoices", json={**body, "memo": "changed"}, headers=headers)
        assert other.status_code == 400 and other.json()["error"]["code"] == "idempotency_key_reused"


async def test_internal_endpoints_need_the_secret_and_verify_keys(svc, org):
    organization_id, api_key = org
    secret = {INTERNAL_HEADER: svc.settings.internal_secret}
    async with svc.client() as client:
        denied = await client.post("/internal/auth/verify", json={"key_hash": hash_key(api_key)},
                                   headers={INTERNAL_HEADER: "guess"})
        assert denied.status_code == 403 and denied.json()["error"]["code"] == "forbidden"
        assert (await client.post("/internal/organizations", json={"name": "x"})).status_code == 403

        verified = await client.post("/internal/auth/verify", json={"key_hash": hash_key(api_key)}, headers=secret)
        assert verified.status_code == 200
        assert verified.json()["organization_id"] == organization_id
        assert verified.json()["api_key_id"].startswith("key_")
        unknown = await client.post("/internal/auth/verify", json={"key_hash": hash_key("sk_live_nope")},
                                    headers=secret)
        assert unknown.status_code == 404

        missing = await client.get("/internal/invoices/in_nope", params={"organization_id": organization_id},
                                   headers=secret)
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "resource_missing"
        empty_name = await client.post("/internal/organizations", json={"name": "  "}, headers=secret)
        assert empty_name.status_code == 400 and empty_name.json()["error"]["param"] == "name"


async def test_openapi_lists_the_public_api_only(svc):
    async with svc.client() as client:
        paths = (await client.get("/openapi.json")).json()["paths"]
    assert "/v1/invoices/{invoice_id}/approve" in paths and "/v1/customers" in paths
    assert not [p for p in paths if p.startswith("/internal")]


async def test_shared_invoicing_fixture_creates_usable_keys(invoicing):
    import httpx
    organization_id, api_key = await invoicing.create_org("Shared fixture")
    async with httpx.AsyncClient(base_url=invoicing.url, headers={"Authorization": f"Bearer {api_key}"}) as client:
        customer = await create_customer(client)
        assert (await client.get(f"/v1/customers/{customer['id']}")).status_code == 200
    assert organization_id.startswith("org_")
