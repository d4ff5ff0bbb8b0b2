"""An invoice stays small enough to travel in its events: lines per invoice and snapshot bytes are
bounded when the invoice is written (422 in the one error shape), not discovered by the relay."""

from __future__ import annotations

from duely_invoicing.domain.limits import MAX_LINES, MAX_SNAPSHOT_BYTES
from duely_invoicing.models import RUNTIME_TABLES, Invoice, InvoiceLine

from tests.invoicing.helpers import create_customer, invoice_body
from tests.invoicing.test_invoicing_bad_input import assert_error

WIDE = "😀"  # four bytes in UTF-8


def lines(count: int, description: str = "Item") -> list[dict]:
    return [{"description": description, "quantity": 1, "unit_amount": 100} for _ in range(count)]


async def test_a_snapshot_over_the_limit_is_refused_at_creation(svc, org):
    _, api_key = org
    async with svc.client(api_key) as client:
        customer = await create_customer(client)
        before = (await svc.count(Invoice), await svc.count(InvoiceLine))
        body = {**invoice_body(customer["id"]), "lines": lines(200, WIDE * 700)}  # ~560 KB of text
        response = await client.post("/v1/invoices", json=body)
        assert_error(response, 422, "invoice_too_large", "lines")
        assert f"{MAX_SNAPSHOT_BYTES:,}" in response.json()["error"]["message"]
        assert (await svc.count(Invoice), await svc.count(InvoiceLine)) == before


async def test_lines_are_bounded_on_creation_and_when_added(svc, org):
    _, api_key = org
    async with svc.client(api_key) as client:
        customer = await create_customer(client)
        too_many = await client.post("/v1/invoices", json={**invoice_body(customer["id"]),
                                                           "lines": lines(MAX_LINES + 1)})
        assert_error(too_many, 400, "parameter_invalid", "lines")

        full = await client.post("/v1/invoices", json={**invoice_body(customer["id"]), "lines": lines(MAX_LINES)})
        assert full.status_code == 201, full.text
        invoice_id = full.json()["id"]
        one_more = await client.post(f"/v1/invoices/{invoice_id}/lines",
                                     json={"description": "One more", "quantity": 1, "unit_amount": 100})
        assert_error(one_more, 422, "invoice_line_limit", "lines")
        assert len((await client.get(f"/v1/invoices/{invoice_id}")).json()["lines"]) == MAX_LINES


async def test_growing_a_draft_line_by_line_stops_at_the_byte_limit(svc, org):
    _, api_key = org
    async with svc.client(api_key) as client:
        customer = await create_customer(client)
        created = await client.post("/v1/invoices", json={**invoice_body(customer["id"]),
                                                          "lines": lines(100, WIDE * 1000)})
        assert created.status_code == 201, created.text
        invoice_id = created.json()["id"]
        outbox_before = await svc.count(RUNTIME_TABLES.outbox)
        refused = None
        for _ in range(100):
            response = await client.post(f"/v1/invoices/{invoice_id}/lines",
                                         json={"description": WIDE * 1000, "quantity": 1, "unit_amount": 100})
            if response.status_code != 200:
                refused = response
                break
        assert refused is not None, "the byte limit must stop the draft before the line limit"
        assert_error(refused, 422, "invoice_too_large", "lines")
        approved = await client.post(f"/v1/invoices/{invoice_id}/approve")
        assert approved.status_code == 200, approved.text  # what was accepted can be published
        assert await svc.count(RUNTIME_TABLES.outbox) == outbox_before + 1
