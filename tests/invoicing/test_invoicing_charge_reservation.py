"""The charge reservation: payments holds an invoice while it charges it, and void and write-off
wait (409 invoice_payment_in_progress) until the outcome is known or the hold expires.

Pure rules first, then the internal API of a real invoicing on Postgres and the broker.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from duely_runtime.auth import INTERNAL_HEADER
from duely_invoicing.domain import status as st
from duely_invoicing.domain.charge_reservation import closing_refusal, reservation_refusal
from duely_invoicing.main import build

from tests.invoicing.conftest import InvoicingUnderTest
from tests.invoicing.helpers import issued_invoice, payment_envelope
from tests.invoicing.pricing_helpers import assert_error
from duely_invoicing.config import Settings

NOW = datetime(2030, 1, 1, 12, 0, tzinfo=timezone.utc)
LATER = NOW + timedelta(minutes=2)
EARLIER = NOW - timedelta(seconds=1)


# --- the rules ----------------------------------------------------------------------

@pytest.mark.parametrize("status", [st.ISSUED, st.PAST_DUE])
def test_an_open_invoice_with_money_due_can_be_reserved(status):
    assert reservation_refusal(status, 100, None, None, "payatt_a", NOW) is None


@pytest.mark.parametrize("status", [st.DRAFT, st.PAID, st.VOID, st.UNCOLLECTIBLE])
def test_other_statuses_cannot(status):
    assert reservation_refusal(status, 100, None, None, "payatt_a", NOW).code == "invoice_not_payable"


def test_nothing_due_cannot_be_reserved():
    assert reservation_refusal(st.ISSUED, 0, None, None, "payatt_a", NOW).code == "invoice_not_payable"


def test_one_attempt_at_a_time_and_the_same_attempt_gets_the_same_answer():
    assert reservation_refusal(st.ISSUED, 100, "payatt_a", LATER, "payatt_b", NOW).code == "payment_in_progress"
    assert reservation_refusal(st.ISSUED, 100, "payatt_a", LATER, "payatt_a", NOW) is None
    # An expired hold is nobody's: the next attempt takes the invoice.
    assert reservation_refusal(st.ISSUED, 100, "payatt_a", EARLIER, "payatt_b", NOW) is None


def test_closing_waits_for_a_hold_until_it_expires():
    refusal = closing_refusal("payatt_a", LATER, NOW)
    assert refusal.code == "invoice_payment_in_progress" and "2030-01-01T12:02:00Z" in refusal.message
    assert closing_refusal("payatt_a", EARLIER, NOW) is None
    assert closing_refusal(None, None, NOW) is None
    assert closing_refusal("payatt_a", LATER.replace(tzinfo=None), NOW) is not None  # SQLite's naive timestamps


@pytest.mark.parametrize("status,reason", [(st.ISSUED, None), (st.PAST_DUE, None), (st.VOID, "invoice_void"),
                                           (st.UNCOLLECTIBLE, None),  # a written-off invoice may be paid
                                           (st.PAID, "invoice_already_paid")])
def test_which_payments_an_invoice_takes(status, reason):
    assert st.payment_rejection(status) == reason


# --- through the internal API --------------------------------------------------------

def internal(svc: InvoicingUnderTest) -> dict:
    return {INTERNAL_HEADER: svc.settings.internal_secret}


async def reserve(client, svc, organization_id: str, invoice_id: str, attempt_id: str):
    return await client.post(f"/internal/invoices/{invoice_id}/charge_reservation", headers=internal(svc),
                             json={"organization_id": organization_id, "attempt_id": attempt_id})


async def release(client, svc, organization_id: str, invoice_id: str, attempt_id: str):
    return await client.post(f"/internal/invoices/{invoice_id}/charge_reservation/release", headers=internal(svc),
                             json={"organization_id": organization_id, "attempt_id": attempt_id})


async def test_void_and_write_off_are_refused_while_a_charge_holds_the_invoice(svc, org):
    organization_id, api_key = org
    async with svc.client(api_key) as client:
        invoice = await issued_invoice(client)
        held = await reserve(client, svc, organization_id, invoice["id"], "payatt_one")
        assert held.status_code == 200, held.text
        body = held.json()
        assert (body["object"], body["invoice_id"], body["attempt_id"]) == (
            "charge_reservation", invoice["id"], "payatt_one")
        expires_at = datetime.fromisoformat(body["expires_at"])
        assert timedelta(seconds=100) < expires_at - datetime.now(timezone.utc) <= timedelta(seconds=120)
        # What payments charges: the invoice as it is, at the same version (a hold is not a new version).
        assert (body["invoice"]["amount_due"], body["invoice"]["version"]) == (invoice["amount_due"], invoice["version"])

        await asyncio.sleep(0.05)
        again = await reserve(client, svc, organization_id, invoice["id"], "payatt_one")  # retried, or renewed
        assert again.status_code == 200 and again.json()["attempt_id"] == "payatt_one"
        assert datetime.fromisoformat(again.json()["expires_at"]) > expires_at, "the holder renews its hold"
        assert_error(await reserve(client, svc, organization_id, invoice["id"], "payatt_two"), 409,
                     "payment_in_progress", None)

        for action in ("void", "mark_uncollectible"):
            error = assert_error(await client.post(f"/v1/invoices/{invoice['id']}/{action}"), 409,
                                 "invoice_payment_in_progress", None)
            assert error["type"] == "conflict_error"
        unchanged = (await client.get(f"/v1/invoices/{invoice['id']}")).json()
        assert (unchanged["status"], unchanged["version"]) == ("issued", invoice["version"])

        # Only the holder releases; then the invoice can be closed, and no longer reserved.
        assert (await release(client, svc, organization_id, invoice["id"], "payatt_two")).json()["released"] is False
        assert (await release(client, svc, organization_id, invoice["id"], "payatt_one")).json()["released"] is True
        assert (await release(client, svc, organization_id, invoice["id"], "payatt_one")).json()["released"] is False
        voided = await client.post(f"/v1/invoices/{invoice['id']}/void")
        assert voided.status_code == 200 and voided.json()["status"] == "void"
        assert_error(await reserve(client, svc, organization_id, invoice["id"], "payatt_three"), 409,
                     "invoice_not_payable", None)


async def test_reservations_are_scoped_to_the_organization_and_need_the_internal_secret(svc, org):
    organization_id, api_key = org
    other_organization_id, _ = await svc.create_org("Other")
    async with svc.client(api_key) as client:
        invoice = await issued_invoice(client)
        assert_error(await reserve(client, svc, other_organization_id, invoice["id"], "payatt_x"), 404,
                     "resource_missing", "id")
        anonymous = await client.post(f"/internal/invoices/{invoice['id']}/charge_reservation",
                                      json={"organization_id": organization_id, "attempt_id": "payatt_x"})
        assert anonymous.status_code == 403
        bad = await reserve(client, svc, organization_id, invoice["id"], "payatt_\x00")
        assert_error(bad, 400, None, "attempt_id")
        assert (await client.post(f"/v1/invoices/{invoice['id']}/void")).status_code == 200  # nothing was held


async def test_the_payment_of_the_holding_attempt_ends_the_hold(svc, org, publish, wait_for):
    organization_id, api_key = org
    async with svc.client(api_key) as client:
        invoice = await issued_invoice(client)
        assert (await reserve(client, svc, organization_id, invoice["id"], "payatt_partial")).status_code == 200
        # A partial payment keeps the invoice open: the hold must be gone all the same.
        await publish(payment_envelope(invoice, organization_id, f"pay_p_{invoice['id']}", 100,
                                       attempt_id="payatt_partial"))

        async def next_attempt_may_reserve():
            response = await reserve(client, svc, organization_id, invoice["id"], "payatt_next")
            return response if response.status_code == 200 else None
        await wait_for(next_attempt_may_reserve, timeout=30)
        assert (await client.get(f"/v1/invoices/{invoice['id']}")).json()["amount_paid"] == 100


@pytest.mark.parametrize("database", ["postgres", "sqlite"])  # SQLite: `make run`'s database, zone-less timestamps
async def test_a_hold_expires_so_a_payer_that_died_cannot_block_void(serve, settings_env, database_url, tmp_path,
                                                                     database):
    url = await database_url("invoicing_ttl") if database == "postgres" else f"sqlite+aiosqlite:///{tmp_path}/i.db"
    settings = settings_env(Settings, url, service_name=f"invoicing-ttl-{uuid.uuid4().hex[:6]}",
                            charge_reservation_ttl_s=1.0)
    app = build(settings)
    async with serve(app) as url:
        svc = InvoicingUnderTest(url, app.state.runtime, settings, settings.database_url)
        organization_id, api_key = await svc.create_org("Short holds")
        async with svc.client(api_key) as client:
            invoice = await issued_invoice(client)
            held = await reserve(client, svc, organization_id, invoice["id"], "payatt_dead")
            assert held.status_code == 200, held.text
            again = await reserve(client, svc, organization_id, invoice["id"], "payatt_dead")  # a renewal
            assert again.json()["expires_at"] >= held.json()["expires_at"]
            assert_error(await reserve(client, svc, organization_id, invoice["id"], "payatt_other"), 409,
                         "payment_in_progress", None)
            assert_error(await client.post(f"/v1/invoices/{invoice['id']}/void"), 409,
                         "invoice_payment_in_progress", None)
            await asyncio.sleep(1.2)
            voided = await client.post(f"/v1/invoices/{invoice['id']}/void")
            assert voided.status_code == 200 and voided.json()["status"] == "void"
