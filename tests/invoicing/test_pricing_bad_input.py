"""Bad pricing input: a 4xx naming the field, in the one error shape, and nothing written."""

from __future__ import annotations

import pytest

from duely_invoicing.models import RUNTIME_TABLES, ExchangeRate, Invoice, InvoiceLine, TaxRate

from tests.invoicing.helpers import create_customer, invoice_body
from tests.invoicing.pricing_helpers import assert_error, create_tax_rate, line


def one_line(**extra) -> dict:
    return {"lines": [{**line("Thing", 1, 1000), **extra}]}


INVOICE_CASES = [
    ("line discount above the line", one_line(discounts=[{"amount": 1001}]), "discount_too_large",
     "lines[0].discounts[0]"),
    ("line discounts add up above the line", one_line(discounts=[{"percentage": "60"}, {"percentage": "50"}]),
     "discount_too_large", "lines[0].discounts[1]"),
    ("invoice discount above the subtotal", {"discounts": [{"amount": 10**9}]}, "discount_too_large",
     "discounts[0]"),
    ("invoice discount above what line discounts leave",
     {**one_line(discounts=[{"amount": 900}]), "discounts": [{"amount": 101}]}, "discount_too_large", "discounts[0]"),
    ("discount of both kinds", {"discounts": [{"percentage": "5", "amount": 5}]}, "parameter_invalid", "discounts[0]"),
    ("discount of neither kind", {"discounts": [{}]}, "parameter_invalid", "discounts[0]"),
    ("zero percent discount", {"discounts": [{"percentage": "0"}]}, "parameter_invalid", "discounts[0].percentage"),
    ("discount above 100%", {"discounts": [{"percentage": "100.01"}]}, "parameter_invalid",
     "discounts[0].percentage"),
    ("non-numeric discount", {"discounts": [{"percentage": "lots"}]}, "parameter_invalid", "discounts[0].percentage"),
    ("negative discount amount", {"discounts": [{"amount": -5}]}, "parameter_invalid", "discounts[0].amount"),
    ("fractional discount amount", {"discounts": [{"amount": 5.5}]}, "parameter_invalid", "discounts[0].amount"),
    ("string discount amount", {"discounts": [{"amount": "500"}]}, "parameter_invalid", "discounts[0].amount"),
    ("discount amount too large", {"discounts": [{"amount": 10**16}]}, "parameter_invalid", "discounts[0].amount"),
    ("period ending before it starts", one_line(period={"start": "2026-02-01", "end": "2026-01-31"}),
     "parameter_invalid", "lines[0].period.end"),
    ("period without an end", one_line(period={"start": "2026-02-01"}), "parameter_missing", "lines[0].period.end"),
    ("period not a date", one_line(period={"start": "soon", "end": "2026-01-31"}), "parameter_invalid",
     "lines[0].period.start"),
    ("unknown tax rate id", one_line(tax_rate_ids=["txr_nope"]), "resource_missing", "lines[0].tax_rate_ids[0]"),
    ("unknown reporting currency", {"reporting_currency": "XYZ"}, "parameter_invalid", "reporting_currency"),
    ("non-numeric quantity", one_line(quantity="1,5"), "parameter_invalid", "lines[0].quantity"),
]


async def _counts(svc) -> tuple[int, ...]:
    return (await svc.count(Invoice), await svc.count(InvoiceLine), await svc.count(TaxRate),
            await svc.count(ExchangeRate), await svc.count(RUNTIME_TABLES.outbox))


@pytest.mark.parametrize("name,change,code,param", INVOICE_CASES, ids=[c[0] for c in INVOICE_CASES])
async def test_bad_pricing_on_an_invoice(svc, org, name, change, code, param):
    _, api_key = org
    async with svc.client(api_key) as client:
        customer = await create_customer(client)
        before = await _counts(svc)
        body = {**invoice_body(customer["id"]), **change}
        assert_error(await client.post("/v1/invoices", json=body), 400, code, param)
        assert await _counts(svc) == before


TAX_RATE_CASES = [
    ("percentage above 100", {"percentage": "100.5"}, "percentage"),
    ("negative percentage", {"percentage": "-1"}, "percentage"),
    ("five decimals", {"percentage": "8.12345"}, "percentage"),
    ("non-numeric percentage", {"percentage": "ten"}, "percentage"),
    ("missing percentage", {"percentage": None}, "percentage"),
    ("empty name", {"display_name": "  "}, "display_name"),
    ("unknown country", {"country": "XX"}, "country"),
    ("unknown field", {"rate": "5"}, "rate"),
    ("inclusive not a bool", {"inclusive": "sometimes"}, "inclusive"),
]


@pytest.mark.parametrize("name,change,param", TAX_RATE_CASES, ids=[c[0] for c in TAX_RATE_CASES])
async def test_bad_tax_rate(svc, org, name, change, param):
    _, api_key = org
    async with svc.client(api_key) as client:
        before = await _counts(svc)
        body = {k: v for k, v in {"display_name": "VAT", "percentage": "20", **change}.items() if v is not None}
        response = await client.post("/v1/tax_rates", json=body)
        assert_error(response, 400, None, param)
        assert await _counts(svc) == before


EXCHANGE_RATE_CASES = [
    ("same currency", {"quote": "usd"}, "quote"),
    ("unknown currency", {"base": "ABC"}, "base"),
    ("zero rate", {"rate": "0"}, "rate"),
    ("negative rate", {"rate": "-1.2"}, "rate"),
    ("non-numeric rate", {"rate": "high"}, "rate"),
    ("bad date", {"date": "2026-02-30"}, "date"),
]


@pytest.mark.parametrize("name,change,param", EXCHANGE_RATE_CASES, ids=[c[0] for c in EXCHANGE_RATE_CASES])
async def test_bad_exchange_rate(svc, org, name, change, param):
    _, api_key = org
    async with svc.client(api_key) as client:
        before = await _counts(svc)
        body = {"base": "USD", "quote": "EUR", "rate": "0.92", "date": "2026-01-01", **change}
        assert_error(await client.post("/v1/exchange_rates", json=body), 400, None, param)
        assert await _counts(svc) == before


async def test_another_organizations_tax_rate_is_unknown(svc, org):
    _, api_key = org
    _, other_key = await svc.create_org("Other")
    async with svc.client(other_key) as other:
        foreign = await create_tax_rate(other, "Their VAT", "20")
    async with svc.client(api_key) as client:
        customer = await create_customer(client)
        before = await _counts(svc)
        assert_error(await client.get(f"/v1/tax_rates/{foreign['id']}"), 404, "resource_missing", "id")
        assert_error(await client.post(f"/v1/tax_rates/{foreign['id']}", json={"active": False}),
                     404, "resource_missing", "id")
        body = invoice_body(customer["id"])
        body["lines"][1]["tax_rate_ids"] = [foreign["id"]]
        body["lines"][1]["tax_rates"] = []
        assert_error(await client.post("/v1/invoices", json=body), 400, "resource_missing", "lines[1].tax_rate_ids[0]")
        listed = (await client.get("/v1/tax_rates")).json()
        assert foreign["id"] not in [r["id"] for r in listed["data"]]
        assert_error(await client.get("/v1/tax_rates", params={"starting_after": foreign["id"]}),
                     400, "resource_missing", "starting_after")
        assert await _counts(svc) == before
