"""Bad input: each a 4xx in the one error shape naming the field, and nothing written."""

from __future__ import annotations

import pytest

from duely_invoicing.models import RUNTIME_TABLES, Customer, Invoice, InvoiceLine

from tests.invoicing.helpers import create_customer, create_draft, invoice_body

TAX = {"display_name": "VAT", "percentage": "20", "inclusive": False}


def with_line(**line) -> dict:
    base = {"description": "Thing", "quantity": 1, "unit_amount": 1000}
    base.update(line)
    return {"lines": [base]}


INVOICE_CASES = [
    ("unknown customer", {"customer_id": "cus_doesnotexist"}, 400, "resource_missing", "customer_id"),
    ("empty lines", {"lines": []}, 400, "parameter_invalid", "lines"),
    ("missing lines", {"lines": None}, 400, "parameter_missing", "lines"),
    ("negative quantity", with_line(quantity=-1), 400, "parameter_invalid", "lines[0].quantity"),
    ("zero quantity", with_line(quantity="0"), 400, "parameter_invalid", "lines[0].quantity"),
    ("non-numeric quantity", with_line(quantity="lots"), 400, "parameter_invalid", "lines[0].quantity"),
    ("too many decimals", with_line(quantity="1.1234567"), 400, "parameter_invalid", "lines[0].quantity"),
    ("huge quantity", with_line(quantity="1e12"), 400, "parameter_invalid", "lines[0].quantity"),
    ("line amount too large", with_line(quantity="100000000", unit_amount=10**12), 400, "parameter_invalid",
     "lines[0].quantity"),
    ("negative unit amount", with_line(unit_amount=-5), 400, "parameter_invalid", "lines[0].unit_amount"),
    ("fractional unit amount", with_line(unit_amount=10.5), 400, "parameter_invalid", "lines[0].unit_amount"),
    ("unit amount too large", with_line(unit_amount=10**12 + 1), 400, "parameter_invalid", "lines[0].unit_amount"),
    ("unknown currency", {"currency": "ZZZ"}, 400, "parameter_invalid", "currency"),
    ("unknown terms", {"payment_terms": "net_soon"}, 400, "parameter_invalid", "payment_terms"),
    ("tax above 100", with_line(tax_rates=[dict(TAX, percentage="100.5")]), 400, "parameter_invalid",
     "lines[0].tax_rates[0].percentage"),
    ("negative tax", with_line(tax_rates=[dict(TAX, percentage=-1)]), 400, "parameter_invalid",
     "lines[0].tax_rates[0].percentage"),
    ("tax decimals", with_line(tax_rates=[dict(TAX, percentage="8.12345")]), 400, "parameter_invalid",
     "lines[0].tax_rates[0].percentage"),
    ("mixed inclusive", with_line(tax_rates=[TAX, dict(TAX, display_name="B", inclusive=True)]), 400,
     "parameter_invalid", "lines[0].tax_rates"),
    ("empty description", with_line(description=" "), 400, "parameter_invalid", "lines[0].description"),
    ("unknown field", {"colour": "red"}, 400, "parameter_invalid", "colour"),
]


async def _counts(svc) -> tuple[int, ...]:
    return (await svc.count(Customer), await svc.count(Invoice), await svc.count(InvoiceLine),
            await svc.count(RUNTIME_TABLES.outbox))


def assert_error(response, status: int, code: str | None, param: str | None):
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"type", "code", "message", "param"}
    assert error["message"]
    if code:
        assert error["code"] == code
    assert error["param"] == param


@pytest.mark.parametrize("name,change,status,code,param", INVOICE_CASES, ids=[c[0] for c in INVOICE_CASES])
async def test_bad_invoice_is_rejected_and_nothing_written(svc, org, name, change, status, code, param):
    _, api_key = org
    async with svc.client(api_key) as client:
        customer = await create_customer(client)
        before = await _counts(svc)
        body = {**invoice_body(customer["id"]), **change}
        body = {k: v for k, v in body.items() if v is not None}
        assert_error(await client.post("/v1/invoices", json=body), status, code, param)
        assert await _counts(svc) == before


async def test_another_organizations_customer_is_unknown(svc, org):
    _, api_key = org
    _, other_key = await svc.create_org("Other")
    async with svc.client(other_key) as other:
        foreign = await create_customer(other)
    async with svc.client(api_key) as client:
        before = await _counts(svc)
        response = await client.post("/v1/invoices", json=invoice_body(foreign["id"]))
        assert_error(response, 400, "resource_missing", "customer_id")
        assert_error(await client.get(f"/v1/customers/{foreign['id']}"), 404, "resource_missing", "id")
        assert await _counts(svc) == before


@pytest.mark.parametrize("body,param", [
    ({"name": "", "email": "a@example.com"}, "name"),
    ({"name": "A", "email": "not-an-email"}, "email"),
    ({"name": "A"}, "email"),
    ({"name": "A", "email": "a@example.com", "cc_emails": ["ok@example.com", "nope"]}, "cc_emails[1]"),
])
async def test_bad_customer_is_rejected_and_nothing_written(svc, org, body, param):
    _, api_key = org
    async with svc.client(api_key) as client:
        before = await _counts(svc)
        response = await client.post("/v1/customers", json=body)
        assert_error(response, 400, None, param)
        assert await _counts(svc) == before


async def test_malformed_json(svc, org):
    _, api_key = org
    async with svc.client(api_key) as client:
        before = await _counts(svc)
        response = await client.post("/v1/invoices", content=b'{"customer_id": "cus_x", "lines": [',
                                     headers={"Content-Type": "application/json"})
        assert_error(response, 400, "invalid_json", None)
        assert await _counts(svc) == before


async def test_missing_or_wrong_key(svc, org):
    _, api_key = org
    async with svc.client(api_key) as client:
        customer = await create_customer(client)
    before = await _counts(svc)
    async with svc.client() as anonymous:
        assert_error(await anonymous.post("/v1/invoices", json=invoice_body(customer["id"])), 401,
                     "api_key_missing", None)
    async with svc.client("sk_live_not_a_real_key") as wrong:
        assert_error(await wrong.post("/v1/invoices", json=invoice_body(customer["id"])), 401,
                     "api_key_invalid", None)
        assert_error(await wrong.get("/v1/invoices"), 401, "api_key_invalid", None)
    assert await _counts(svc) == before


async def test_another_organizations_key_sees_404(svc, org):
    _, api_key = org
    _, other_key = await svc.create_org("Snooper")
    async with svc.client(api_key) as client:
        customer = await create_customer(client)
        draft = await create_draft(client, customer["id"])
    before = await _counts(svc)
    async with svc.client(other_key) as other:
        for method, path in [("GET", f"/v1/invoices/{draft['id']}"), ("POST", f"/v1/invoices/{draft['id']}/approve"),
                             ("POST", f"/v1/invoices/{draft['id']}/void"), ("GET", f"/v1/customers/{customer['id']}")]:
            assert_error(await other.request(method, path), 404, "resource_missing", "id")
        listed = (await other.get("/v1/invoices")).json()
        assert draft["id"] not in [i["id"] for i in listed["data"]]
    assert await _counts(svc) == before
    async with svc.client(api_key) as client:
        assert (await client.get(f"/v1/invoices/{draft['id']}")).json()["status"] == "draft"


BODY_CASES = [
    ("no content type", {"content": b'{"name": "A", "email": "a@example.com"}'}, "this request has no Content-Type"),
    ("text/plain", {"content": b'{"name": "A", "email": "a@example.com"}', "headers": {"Content-Type": "text/plain"}},
     "this request has Content-Type: text/plain"),
    ("form", {"data": {"name": "A", "email": "a@example.com"}},
     "this request has Content-Type: application/x-www-form-urlencoded"),
    ("empty body", {"content": b"", "headers": {"Content-Type": "application/json"}}, "The request body is empty"),
    ("array", {"json": [{"name": "A", "email": "a@example.com"}]}, "must be a JSON object"),
]


@pytest.mark.parametrize("name,request_args,wording", BODY_CASES, ids=[c[0] for c in BODY_CASES])
async def test_a_body_that_is_not_a_json_object_gets_one_clear_error(svc, org, name, request_args, wording):
    _, api_key = org
    async with svc.client(api_key) as client:
        before = await _counts(svc)
        response = await client.post("/v1/customers", **request_args)
        assert_error(response, 400, "invalid_body", None)
        message = response.json()["error"]["message"]
        assert wording in message and ("application/json" in message or "JSON object" in message), message
        assert "as a whole" in message and "Field required" not in message and "dictionary" not in message
        assert await _counts(svc) == before


MINOR_UNITS_RULE = ("must be an integer number of the currency's minor units: 1050 for USD or EUR 10.50, "
                    "1050 for JPY 1,050 (no minor unit), 10500 for KWD 10.500")


@pytest.mark.parametrize("where,value,param,hint", [  # no example computed from the value: its currency decides
    ("unit_amount", "10.50", "lines[0].unit_amount", MINOR_UNITS_RULE),
    ("unit_amount", 10.5, "lines[0].unit_amount", MINOR_UNITS_RULE),
    ("unit_amount", 1000.0, "lines[0].unit_amount", MINOR_UNITS_RULE),
    ("unit_amount", "1999", "lines[0].unit_amount", 'must be a JSON integer, not a string: 1999, not "1999"'),
    ("discount", "5.25", "lines[0].discounts[0].amount", MINOR_UNITS_RULE),
])
async def test_an_amount_in_major_units_is_refused_with_a_minor_units_hint(svc, org, where, value, param, hint):
    _, api_key = org
    async with svc.client(api_key) as client:
        customer = await create_customer(client)
        change = with_line(unit_amount=value) if where == "unit_amount" else with_line(discounts=[{"amount": value}])
        before = await _counts(svc)
        response = await client.post("/v1/invoices", json={**invoice_body(customer["id"]), **change})
        assert_error(response, 400, "parameter_invalid", param)
        assert response.json()["error"]["message"] == f"{param} {hint}"
        assert await _counts(svc) == before
