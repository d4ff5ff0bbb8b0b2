"""Numbering formats from the settings: {PREFIX}, yearly reset, and gapless series under concurrency."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timezone

import pytest

from duely_invoicing.domain import numbering

from tests.invoicing.helpers import create_customer, create_draft
from duely_invoicing.invoices import service as invoices_service


# --- pure -----------------------------------------------------------------------------

@pytest.mark.parametrize("fmt,prefix,counter,on,expected", [
    ("{PREFIX}-{YYYY}-{NNNNN}", "INV", 1, date(2026, 1, 5), "INV-2026-00001"),
    ("{PREFIX}-{YY}{MM}-{NNN}", "ACME", 42, date(2026, 11, 3), "ACME-2611-042"),
    ("{PREFIX}-{YY}{MM}-{NNN}", "ACME", 1234, date(2026, 11, 3), "ACME-2611-1234"),  # outgrows, never wraps
    ("{PREFIX}/{NN}", "A.B_C", 7, date(2026, 1, 1), "A.B_C/07"),
    ("{N}", "X", 9, date(2026, 1, 1), "9"),
    ("{PREFIX}{PREFIX}-{N}", "Z", 3, date(2026, 1, 1), "ZZ-3"),
])
def test_format_number_with_prefix(fmt, prefix, counter, on, expected):
    assert numbering.format_number(fmt, counter, on, prefix=prefix) == expected


def test_series_keys():
    on = date(2027, 3, 1)
    # The default settings draw from the series issue 2 used, so existing organizations continue their counter.
    assert numbering.series_key(numbering.DEFAULT_NUMBER_FORMAT, "INV", "never", on) == numbering.DEFAULT_FORMAT
    assert numbering.series_key("{PREFIX}-{YY}-{NNN}", "AC", "yearly", on) == "AC-{YY}-{NNN}@2027"
    assert numbering.series_key("{PREFIX}-{YY}-{NNN}", "AC", "never", on) == "AC-{YY}-{NNN}"


@pytest.mark.parametrize("fmt,prefix,reset,ok", [
    ("{PREFIX}-{YYYY}-{NNNNN}", "INV", "never", True),
    ("{PREFIX}-{YYYY}-{NNNNN}", "INV", "yearly", True),
    ("{PREFIX}-{YY}{MM}-{NNN}", "INV", "yearly", True),
    ("{PREFIX}-{MM}-{NNN}", "INV", "yearly", False),  # numbers would repeat next year
    ("{PREFIX}-{NNN}", "INV", "never", True),
    ("{PREFIX}-{DD}-{NNN}", "INV", "never", False),
    ("{PREFIX}-{YYYY}", "INV", "never", False),
    ("{PREFIX}{PREFIX}{PREFIX}-{NNNNNNNNNN}", "ABCDEFGHIJKLMNOPQRST", "never", False),  # too long
])
def test_format_problems(fmt, prefix, reset, ok):
    assert (numbering.format_problem(fmt, prefix, reset) is None) == ok


@pytest.mark.parametrize("prefix,ok", [("INV", True), ("A-1/2.3_x", True), ("", False), ("-INV", False),
                                       ("IN V", False), ("{X}", False), ("A" * 21, False)])
def test_prefixes(prefix, ok):
    assert numbering.is_valid_prefix(prefix) == ok


# --- on Postgres -------------------------------------------------------------------------

async def _approve_all(client, drafts) -> list[str]:
    responses = await asyncio.gather(*[client.post(f"/v1/invoices/{d['id']}/approve") for d in drafts])
    assert [r.status_code for r in responses] == [200] * len(drafts), [r.text for r in responses]
    return [r.json()["number"] for r in responses]


async def test_concurrent_approvals_are_gapless_per_organization_and_format(svc):
    today = date.today()
    orgs = [await svc.create_org("Numbers A"), await svc.create_org("Numbers B")]
    async with svc.client(orgs[0][1]) as a, svc.client(orgs[1][1]) as b:
        ok = await a.patch("/v1/settings/invoicing", json={"invoice_prefix": "ACME",
                                                           "number_format": "{PREFIX}-{YY}{MM}-{NNN}"})
        assert ok.status_code == 200, ok.text
        drafts_a = [await create_draft(a, (await create_customer(a))["id"]) for _ in range(12)]
        drafts_b = [await create_draft(b, (await create_customer(b))["id"]) for _ in range(12)]
        numbers_a, numbers_b = await asyncio.gather(_approve_all(a, drafts_a), _approve_all(b, drafts_b))
        assert sorted(numbers_a) == [f"ACME-{today:%y%m}-{n:03d}" for n in range(1, 13)]
        assert sorted(numbers_b) == [f"INV-{today.year}-{n:05d}" for n in range(1, 13)]

        # A new format starts its own series; going back continues the old one, still gapless.
        await a.patch("/v1/settings/invoicing", json={"number_format": "{PREFIX}{NNNN}"})
        customer = await create_customer(a)
        assert await _approve_all(a, [await create_draft(a, customer["id"])]) == ["ACME0001"]
        await a.patch("/v1/settings/invoicing", json={"number_format": "{PREFIX}-{YY}{MM}-{NNN}"})
        more = [await create_draft(a, customer["id"]) for _ in range(5)]
        assert sorted(await _approve_all(a, more)) == [f"ACME-{today:%y%m}-{n:03d}" for n in range(13, 18)]


async def test_yearly_reset_restarts_the_counter_each_year(svc, org):
    organization_id, api_key = org
    async with svc.client(api_key) as client:
        ok = await client.patch("/v1/settings/invoicing", json={"number_reset": "yearly",
                                                                "number_format": "{PREFIX}{YY}-{NNNN}"})
        assert ok.status_code == 200, ok.text
        customer = await create_customer(client)
        drafts = [await create_draft(client, customer["id"]) for _ in range(5)]
    numbers = []
    for draft, year in zip(drafts, (2027, 2027, 2028, 2028, 2027)):
        async with svc.runtime.db.transaction() as session:
            invoice = await invoices_service.approve_invoice(session, svc.runtime.outbox, svc.settings, organization_id,
                                                    draft["id"], now=datetime(year, 6, 1, tzinfo=timezone.utc))
            numbers.append(invoice.number)
    assert numbers == ["INV27-0001", "INV27-0002", "INV28-0001", "INV28-0002", "INV27-0003"]


async def test_a_number_already_printed_by_another_format_is_a_conflict_not_a_duplicate(svc, org):
    _, api_key = org
    async with svc.client(api_key) as client:
        customer = await create_customer(client)
        # Prefix and format count as one: "A1" + "{PREFIX}{N}" is the same series as "A" + "{PREFIX}1{N}".
        await client.patch("/v1/settings/invoicing", json={"invoice_prefix": "A1", "number_format": "{PREFIX}{N}"})
        assert await _approve_all(client, [await create_draft(client, customer["id"])]) == ["A11"]
        await client.patch("/v1/settings/invoicing", json={"invoice_prefix": "A", "number_format": "{PREFIX}1{N}"})
        assert await _approve_all(client, [await create_draft(client, customer["id"])]) == ["A12"]
        # A different series that prints the same text: refused rather than a duplicate or a 500.
        await client.patch("/v1/settings/invoicing", json={"number_format": "{PREFIX}{N}1"})  # 1 → A11
        draft = await create_draft(client, customer["id"])
        refused = await client.post(f"/v1/invoices/{draft['id']}/approve")
        assert refused.status_code == 409 and refused.json()["error"]["code"] == "invoice_number_taken"
        assert (await client.get(f"/v1/invoices/{draft['id']}")).json()["status"] == "draft"
