"""GET /v1/invoices and /v1/customers/{id}/invoices: 250 invoices read page by page under each filter,
newest first by (created_at, id), with cursors, starting_after, bad input, and the indexes behind them."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import text

from tests.invoicing.helpers import create_customer, invoice_body
from tests.invoicing.pricing_helpers import assert_error, line

COUNT = 250


async def read_all(client, path: str, limit: int, use_starting_after: bool = False, **params) -> list[dict]:
    """Every page of a listing, checking the page contract on the way."""
    found: list[dict] = []
    position: dict = {}
    while True:
        response = await client.get(path, params={**params, **position, "limit": limit})
        assert response.status_code == 200, response.text
        page = response.json()
        assert page["object"] == "list" and len(page["data"]) <= limit
        found.extend(page["data"])
        if not page["has_more"]:
            assert page["next_cursor"] is None
            return found
        assert len(page["data"]) == limit and page["next_cursor"]
        position = ({"starting_after": page["data"][-1]["id"]} if use_starting_after
                    else {"cursor": page["next_cursor"]})


def newest_first(invoices: list[dict]) -> list[str]:
    return [i["id"] for i in sorted(invoices, key=lambda i: (datetime.fromisoformat(i["created_at"]), i["id"]),
                                    reverse=True)]


@pytest.fixture(scope="module")
async def book(svc):
    """One organization with 250 invoices over 3 customers: drafts, issued with due dates over ten days, voids."""
    organization_id, api_key = await svc.create_org("Listing Co")
    async with svc.client(api_key) as client:
        customers = [await create_customer(client, name) for name in ("Ann", "Ben", "Cho")]
        gate = asyncio.Semaphore(8)

        async def make(i: int) -> dict:
            async with gate:
                body = invoice_body(customers[i % 3]["id"], payment_terms=f"net_{i % 10}",
                                    lines=[line(f"Item {i}", 1, 100 + i)])
                response = await client.post("/v1/invoices", json=body)
                assert response.status_code == 201, response.text
                return response.json()
        invoices = list(await asyncio.gather(*(make(i) for i in range(COUNT))))
        for i, invoice in enumerate(invoices):
            if i % 3 == 1 or i % 25 == 0:
                invoices[i] = (await client.post(f"/v1/invoices/{invoice['id']}/approve")).json()
            if i % 25 == 0:
                invoices[i] = (await client.post(f"/v1/invoices/{invoice['id']}/void")).json()
    return organization_id, api_key, customers, invoices


async def test_everything_page_by_page_newest_first(svc, book):
    _, api_key, _, invoices = book
    expected = newest_first(invoices)
    async with svc.client(api_key) as client:
        first = (await client.get("/v1/invoices", params={"limit": 100})).json()
        assert [i["id"] for i in first["data"]] == expected[:100] and first["has_more"] is True
        assert [i["id"] for i in await read_all(client, "/v1/invoices", 100)] == expected
        assert [i["id"] for i in await read_all(client, "/v1/invoices", 37, use_starting_after=True)] == expected
        default = (await client.get("/v1/invoices")).json()
        assert len(default["data"]) == 10 and default["has_more"] is True


async def test_filters_page_by_page(svc, book):
    _, api_key, customers, invoices = book
    async with svc.client(api_key) as client:
        for customer in customers:
            theirs = newest_first([i for i in invoices if i["customer_id"] == customer["id"]])
            got = await read_all(client, "/v1/invoices", 30, customer_id=customer["id"])
            assert [i["id"] for i in got] == theirs and len(theirs) in (83, 84)
            nested = await read_all(client, f"/v1/customers/{customer['id']}/invoices", 30)
            assert [i["id"] for i in nested] == theirs

        for status in ("draft", "issued", "void"):
            expected = newest_first([i for i in invoices if i["status"] == status])
            assert expected, status
            assert [i["id"] for i in await read_all(client, "/v1/invoices", 25, status=status)] == expected
        ann_issued = newest_first([i for i in invoices if i["status"] == "issued"
                                   and i["customer_id"] == customers[0]["id"]])
        got = await read_all(client, f"/v1/customers/{customers[0]['id']}/invoices", 7, status="issued")
        assert [i["id"] for i in got] == ann_issued

        by_age = sorted(invoices, key=lambda i: (i["created_at"], i["id"]))
        low, high = by_age[50]["created_at"], by_age[200]["created_at"]
        in_range = newest_first([i for i in invoices
                                 if datetime.fromisoformat(low) <= datetime.fromisoformat(i["created_at"])
                                 <= datetime.fromisoformat(high)])
        assert len(in_range) >= 151
        for params in ({"created[gte]": low, "created[lte]": high}, {"created_gte": low, "created_lte": high}):
            assert [i["id"] for i in await read_all(client, "/v1/invoices", 40, **params)] == in_range
        today = date.fromisoformat(by_age[0]["created_at"][:10])
        whole_day = await read_all(client, "/v1/invoices", 100, created_lte=today.isoformat(),
                                   created_gte=today.isoformat())
        assert len(whole_day) == sum(1 for i in invoices if i["created_at"][:10] == today.isoformat())
        epoch = int(datetime.fromisoformat(high).timestamp()) + 1
        assert len(await read_all(client, "/v1/invoices", 100, **{"created[lte]": str(epoch)})) >= 201

        due_from = min(date.fromisoformat(i["due_date"]) for i in invoices if i["due_date"]) + timedelta(days=2)
        due_to = due_from + timedelta(days=3)
        due = newest_first([i for i in invoices if i["due_date"]
                            and due_from <= date.fromisoformat(i["due_date"]) <= due_to])
        assert due
        for params in ({"due_date_gte": due_from.isoformat(), "due_date_lte": due_to.isoformat()},
                       {"due_date[gte]": due_from.isoformat(), "due_date[lte]": due_to.isoformat()}):
            assert [i["id"] for i in await read_all(client, "/v1/invoices", 9, **params)] == due


async def test_the_list_shows_what_get_shows(svc, book):
    _, api_key, _, invoices = book
    async with svc.client(api_key) as client:
        page = (await client.get("/v1/invoices", params={"limit": 3})).json()
        for item in page["data"]:
            assert item == (await client.get(f"/v1/invoices/{item['id']}")).json()
            assert item["pdf_url"].endswith(f"/v1/invoices/{item['id']}/pdf")


BAD = [
    ({"limit": 0}, "limit"), ({"limit": 101}, "limit"), ({"limit": "ten"}, "limit"),
    ({"status": "lost"}, "status"),
    ({"cursor": "not-a-cursor"}, "cursor"),
    ({"cursor": "bm9waXBl"}, "cursor"),  # base64 of "nopipe"
    ({"created_gte": "yesterday"}, "created_gte"),
    ({"created[lte]": "2026-13-40"}, "created_lte"),
    ({"created[gte]": "2026-01-01", "created_gte": "2026-02-01"}, "created_gte"),
    ({"due_date_gte": "soon"}, "due_date_gte"),
    ({"due_date[lte]": "2026-02-30"}, "due_date_lte"),
]


@pytest.mark.parametrize("params,param", BAD, ids=[p for _, p in BAD])
async def test_bad_listing_parameters(svc, book, params, param):
    _, api_key, _, _ = book
    async with svc.client(api_key) as client:
        assert_error(await client.get("/v1/invoices", params=params), 400, None, param)


async def test_positions_and_customers_of_another_organization(svc, book, org):
    _, api_key, customers, invoices = book
    _, other_key = org
    async with svc.client(api_key) as client:
        cursor = (await client.get("/v1/invoices", params={"limit": 1})).json()["next_cursor"]
        assert_error(await client.get("/v1/invoices", params={"cursor": cursor, "starting_after": invoices[0]["id"]}),
                     400, None, "cursor")
    async with svc.client(other_key) as other:
        assert (await other.get("/v1/invoices")).json()["data"] == []
        assert (await other.get("/v1/invoices", params={"customer_id": customers[0]["id"]})).json()["data"] == []
        assert_error(await other.get(f"/v1/customers/{customers[0]['id']}/invoices"), 404, "resource_missing", "id")
        assert_error(await other.get("/v1/invoices", params={"starting_after": invoices[0]["id"]}),
                     400, "resource_missing", "starting_after")


@pytest.mark.parametrize("where,index", [
    ("", "ix_invoices_org_created"),
    ("AND customer_id = :customer", "ix_invoices_org_customer_created"),
    ("AND status = 'issued'", "ix_invoices_org_status_created"),
])
async def test_each_listing_is_an_index_scan(svc, book, where, index):
    organization_id, _, customers, invoices = book
    newest = max(invoices, key=lambda i: (i["created_at"], i["id"]))
    async with svc.runtime.db.transaction() as session:
        await session.execute(text("SET LOCAL enable_seqscan = off"))  # small table: ask what an index can do
        plan = (await session.execute(text(
            "EXPLAIN SELECT id FROM invoices WHERE organization_id = :org " + where +
            " AND (created_at, id) < (:created, :id) ORDER BY created_at DESC, id DESC LIMIT 101"),
            {"org": organization_id, "customer": customers[0]["id"],
             "created": datetime.fromisoformat(newest["created_at"]), "id": newest["id"]})).scalars().all()
    text_plan = "\n".join(plan)
    assert index in text_plan and "Sort" not in text_plan, text_plan


async def test_nul_in_ids_and_filters_is_a_400_not_a_500(svc, book):
    _, api_key, _, _ = book
    async with svc.client(api_key) as client:
        for response in (await client.get("/v1/invoices", params={"customer_id": "\x00"}),
                         await client.get("/v1/invoices", params={"starting_after": "in_\x00"}),
                         await client.get("/v1/invoices/%00"),
                         await client.delete("/v1/invoices/in_%00/lines/il_1")):
            assert_error(response, 400, "parameter_invalid", None)
        assert_error(await client.post("/v1/tax_rates", json={"display_name": "V\x00AT", "percentage": "5"}),
                     400, "parameter_invalid", "display_name")
