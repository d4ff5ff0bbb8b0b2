"""Collections settings (issue #10) through the API: reminders, late fees and the dunning schedule at their levels
with their sources, validation naming the field (and changing nothing), the collection plan on the issued invoice's
snapshot, and the customer's phone (E.164, libphonenumber) and SMS consent (real Postgres + broker)."""

from __future__ import annotations

import pytest

from duely_contracts.events import CustomerCreated, CustomerUpdated, InvoiceIssued, SubscriptionChanged
from duely_contracts.models import LateFeeSettings, ReminderSettings
from duely_invoicing.domain import collections
from duely_invoicing.domain.settings_resolution import CustomerSettings, OrganizationSettings, Overrides, resolve

from tests.invoicing.helpers import create_customer, create_draft
from tests.invoicing.pricing_helpers import assert_error

DEFAULT_REMINDERS = ReminderSettings().model_dump(mode="json")
DEFAULT_LATE_FEE = LateFeeSettings().model_dump(mode="json")

ORG_REMINDERS = {"before_due": {"enabled": True, "days": [3, 7], "templates": ["invoice_reminder"]},
                 "after_due": {"enabled": True, "days": [14, 1], "templates": ["invoice_reminder_gentle",
                                                                                "invoice_reminder_final"]},
                 "channels": ["email", "sms"]}
# What the API keeps of ORG_REMINDERS: days in the order the reminders go out.
ORG_REMINDERS_STORED = {"before_due": {"enabled": True, "days": [7, 3], "templates": ["invoice_reminder"]},
                        "after_due": {"enabled": True, "days": [1, 14], "templates": ["invoice_reminder_gentle",
                                                                                       "invoice_reminder_final"]},
                        "channels": ["email", "sms"]}
CUSTOMER_REMINDERS = {"after_due": {"enabled": True, "days": [5], "templates": ["invoice_reminder_firm"]}}
CUSTOMER_REMINDERS_STORED = {"before_due": DEFAULT_REMINDERS["before_due"],
                             "after_due": {"enabled": True, "days": [5], "templates": ["invoice_reminder_firm"]},
                             "channels": ["email"]}
ORG_LATE_FEE = {"enabled": True, "percentage": "1.50", "after_days": 15, "recurrence": "monthly", "cap": 5000}
ORG_LATE_FEE_STORED = {"enabled": True, "percentage": "1.5", "fixed_amount": None, "after_days": 15,
                       "recurrence": "monthly", "cap": 5000}
CUSTOMER_LATE_FEE = {"enabled": True, "fixed_amount": 2500}
CUSTOMER_LATE_FEE_STORED = {"enabled": True, "percentage": None, "fixed_amount": 2500, "after_days": 30,
                            "recurrence": "once", "cap": None}


# --- the pure resolution -----------------------------------------------------------------------------------------

def test_collections_resolve_whole_with_their_sources():
    org = OrganizationSettings(organization_name="Acme", reminders=ORG_REMINDERS_STORED, late_fee=ORG_LATE_FEE_STORED)
    bare = CustomerSettings(email="a@example.com")
    resolved = resolve(OrganizationSettings(organization_name="Acme"), bare)
    assert (resolved["reminders"], resolved.source("reminders")) == (DEFAULT_REMINDERS, "default")
    assert (resolved["late_fee"], resolved.source("late_fee")) == (DEFAULT_LATE_FEE, "default")
    assert (resolved["dunning_schedule_id"], resolved.source("dunning_schedule_id")) == (None, "default")

    resolved = resolve(org, bare, Overrides())
    assert (resolved["reminders"], resolved.source("reminders")) == (ORG_REMINDERS_STORED, "organization")
    assert (resolved["late_fee"], resolved.source("late_fee")) == (ORG_LATE_FEE_STORED, "organization")

    customer = CustomerSettings(email="a@example.com", overrides=Overrides(
        reminders=CUSTOMER_REMINDERS_STORED, late_fee=CUSTOMER_LATE_FEE_STORED, dunning_schedule_id="dsch_cust"))
    resolved = resolve(org, customer)
    assert (resolved["reminders"], resolved.source("reminders")) == (CUSTOMER_REMINDERS_STORED, "customer")
    assert (resolved["late_fee"], resolved.source("late_fee")) == (CUSTOMER_LATE_FEE_STORED, "customer")
    assert (resolved["dunning_schedule_id"], resolved.source("dunning_schedule_id")) == ("dsch_cust", "customer")

    # A subscription decides reminders and the schedule, never the late fee (a customer-level setting).
    subscription = Overrides(reminders=DEFAULT_REMINDERS, late_fee={"enabled": False},
                             dunning_schedule_id="dsch_sub")
    resolved = resolve(org, customer, subscription)
    assert (resolved["reminders"], resolved.source("reminders")) == (DEFAULT_REMINDERS, "subscription")
    assert (resolved["late_fee"], resolved.source("late_fee")) == (CUSTOMER_LATE_FEE_STORED, "customer")
    assert (resolved["dunning_schedule_id"], resolved.source("dunning_schedule_id")) == ("dsch_sub", "subscription")
    # The organization has no dunning schedule setting here: null means its default schedule, which dunning owns.
    assert resolve(org, bare, Overrides(dunning_schedule_id=None)).source("dunning_schedule_id") == "default"


@pytest.mark.parametrize("percentage,fixed,balance,cap,charged,fee", [
    ("1.5", None, 12345, None, 0, 185),       # 185.175 → 185
    ("1.5", None, 12300, None, 0, 185),       # 184.5 → 185 (half up)
    ("2.5", None, 1, None, 0, 0),             # 0.025 → 0
    ("10", 500, 10000, None, 0, 1500),
    (None, 2500, 10000, 4000, 2500, 1500),    # capped: 4000 − 2500 already
    ("10", None, 10000, 3000, 3000, 0),       # the cap reached: no fee
    ("100", None, 0, None, 0, 0),             # nothing owed: no fee
    ("0.0001", None, 999_999_999, None, 0, 1000),  # 999.9999999 → 1000
])
def test_late_fee_amount_is_exact_and_capped(percentage, fixed, balance, cap, charged, fee):
    assert collections.late_fee_amount(percentage=percentage, fixed_amount=fixed, balance=balance, cap=cap,
                                       already_charged=charged) == fee


# --- through the API ---------------------------------------------------------------------------------------------

async def test_three_levels_through_the_api_with_sources(svc, org):
    _, api_key = org
    async with svc.client(api_key) as client:
        customer = await create_customer(client)

        async def resolved(subscription_id=None):
            params = {"customer_id": customer["id"]}
            if subscription_id:
                params["subscription_id"] = subscription_id
            response = await client.get("/v1/settings/invoicing/resolved", params=params)
            assert response.status_code == 200, response.text
            return response.json()["settings"]

        settings = await resolved()
        assert settings["reminders"] == {"value": DEFAULT_REMINDERS, "source": "default"}
        assert settings["late_fee"] == {"value": DEFAULT_LATE_FEE, "source": "default"}
        assert settings["dunning_schedule_id"] == {"value": None, "source": "default"}
        body = (await client.get("/v1/settings/invoicing")).json()
        assert (body["reminders"], body["late_fee"]) == (DEFAULT_REMINDERS, DEFAULT_LATE_FEE)
        assert {"reminders", "late_fee"} <= set(body["defaults"])

        response = await client.patch("/v1/settings/invoicing", json={"reminders": ORG_REMINDERS,
                                                                       "late_fee": ORG_LATE_FEE})
        assert response.status_code == 200, response.text
        assert (response.json()["reminders"], response.json()["late_fee"]) == (ORG_REMINDERS_STORED,
                                                                               ORG_LATE_FEE_STORED)
        assert not {"reminders", "late_fee"} & set(response.json()["defaults"])
        settings = await resolved()
        assert settings["reminders"] == {"value": ORG_REMINDERS_STORED, "source": "organization"}
        assert settings["late_fee"] == {"value": ORG_LATE_FEE_STORED, "source": "organization"}

        response = await client.patch(f"/v1/customers/{customer['id']}", json={
            "reminders": CUSTOMER_REMINDERS, "late_fee": CUSTOMER_LATE_FEE, "dunning_schedule_id": "dsch_vip_1"})
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["reminders"], body["late_fee"], body["dunning_schedule_id"]) == (
            CUSTOMER_REMINDERS_STORED, CUSTOMER_LATE_FEE_STORED, "dsch_vip_1")
        assert (await client.get(f"/v1/customers/{customer['id']}")).json()["reminders"] == CUSTOMER_REMINDERS_STORED
        settings = await resolved()
        assert settings["reminders"] == {"value": CUSTOMER_REMINDERS_STORED, "source": "customer"}
        assert settings["late_fee"] == {"value": CUSTOMER_LATE_FEE_STORED, "source": "customer"}
        assert settings["dunning_schedule_id"] == {"value": "dsch_vip_1", "source": "customer"}

        response = await client.post("/v1/subscriptions", json={"customer_id": customer["id"], "settings": {
            "reminders": {"channels": ["sms"]}, "dunning_schedule_id": "dsch_sub"}})
        assert response.status_code == 201, response.text
        subscription = response.json()
        sub_reminders = {**DEFAULT_REMINDERS, "channels": ["sms"]}
        assert subscription["settings"]["reminders"] == sub_reminders
        assert subscription["settings"]["dunning_schedule_id"] == "dsch_sub"
        settings = await resolved(subscription["id"])
        assert settings["reminders"] == {"value": sub_reminders, "source": "subscription"}
        assert settings["dunning_schedule_id"] == {"value": "dsch_sub", "source": "subscription"}
        assert settings["late_fee"] == {"value": CUSTOMER_LATE_FEE_STORED, "source": "customer"}

        # null = inherit again, level by level
        response = await client.patch(f"/v1/subscriptions/{subscription['id']}", json={"settings": {
            "reminders": None, "dunning_schedule_id": None}})
        assert response.status_code == 200, response.text
        settings = await resolved(subscription["id"])
        assert settings["reminders"]["source"] == "customer" and settings["dunning_schedule_id"]["source"] == "customer"
        await client.patch(f"/v1/customers/{customer['id']}", json={"reminders": None, "late_fee": None,
                                                                    "dunning_schedule_id": None})
        settings = await resolved(subscription["id"])
        assert [settings[n]["source"] for n in ("reminders", "late_fee", "dunning_schedule_id")] == [
            "organization", "organization", "default"]
        body = (await client.patch("/v1/settings/invoicing", json={"reminders": None, "late_fee": None})).json()
        assert (body["reminders"], body["late_fee"]) == (DEFAULT_REMINDERS, DEFAULT_LATE_FEE)


async def test_customer_and_subscription_events_carry_the_settings_and_the_phone(svc, org, read_events, wait_for):
    _, api_key = org
    async with svc.client(api_key) as client:
        response = await client.post("/v1/customers", json={
            "name": "Texter", "email": "t@example.com", "phone": "+1 415-555-0132", "sms_opt_in": True,
            "late_fee": CUSTOMER_LATE_FEE, "dunning_schedule_id": "dsch_a"})
        assert response.status_code == 201, response.text
        customer = response.json()
        await client.patch(f"/v1/customers/{customer['id']}", json={"reminders": CUSTOMER_REMINDERS})
        subscription = (await client.post("/v1/subscriptions", json={"customer_id": customer["id"], "settings": {
            "dunning_schedule_id": "dsch_b"}})).json()

    async def event(topic, aggregate_id):
        found = [e for e in await read_events(topic, timeout=3) if e.aggregate_id == aggregate_id]
        return found[-1] if found else None
    created = CustomerCreated.model_validate((await wait_for(lambda: event("customer.created", customer["id"]),
                                                             timeout=30)).data)
    assert (created.phone, created.sms_opt_in) == ("+14155550132", True)
    assert created.invoice_settings.late_fee.fixed_amount == 2500
    assert created.invoice_settings.dunning_schedule_id == "dsch_a"
    updated = CustomerUpdated.model_validate((await wait_for(lambda: event("customer.updated", customer["id"]),
                                                             timeout=30)).data)
    assert updated.invoice_settings.reminders.after_due.days == [5]
    changed = SubscriptionChanged.model_validate((await wait_for(
        lambda: event("subscription.created", subscription["id"]), timeout=30)).data)
    assert changed.invoice_settings.dunning_schedule_id == "dsch_b" and changed.invoice_settings.reminders is None


BAD_ORGANIZATION = [
    ({"reminders": {"before_due": {"days": [0]}}}, "reminders.before_due.days[0]"),
    ({"reminders": {"before_due": {"days": [3, 91]}}}, "reminders.before_due.days[1]"),
    ({"reminders": {"before_due": {"days": list(range(1, 12))}}}, "reminders.before_due.days"),
    ({"reminders": {"after_due": {"days": [1, 7, 1]}}}, "reminders.after_due.days"),
    ({"reminders": {"after_due": {"days": []}}}, "reminders.after_due.days"),
    ({"reminders": {"after_due": {"days": ["7"]}}}, "reminders.after_due.days[0]"),
    ({"reminders": {"after_due": {"templates": ["invoice_reminder_rude"]}}}, "reminders.after_due.templates[0]"),
    ({"reminders": {"after_due": {"templates": []}}}, "reminders.after_due.templates"),
    ({"reminders": {"channels": ["email", "fax"]}}, "reminders.channels[1]"),
    ({"reminders": {"channels": ["email", "email"]}}, "reminders.channels"),
    ({"reminders": {"channels": []}}, "reminders.channels"),
    ({"reminders": {"before_due": {"enabled": True, "colour": "red"}}}, "reminders.before_due.colour"),
    ({"late_fee": {"enabled": True, "percentage": "0"}}, "late_fee.percentage"),
    ({"late_fee": {"enabled": True, "percentage": "100.5"}}, "late_fee.percentage"),
    ({"late_fee": {"enabled": True, "percentage": "1.23456"}}, "late_fee.percentage"),
    ({"late_fee": {"enabled": True, "percentage": "lots"}}, "late_fee.percentage"),
    ({"late_fee": {"enabled": True, "fixed_amount": -1}}, "late_fee.fixed_amount"),
    ({"late_fee": {"enabled": True, "fixed_amount": 12.5}}, "late_fee.fixed_amount"),
    ({"late_fee": {"enabled": True}}, "late_fee"),
    ({"late_fee": {"enabled": True, "fixed_amount": 0}}, "late_fee"),
    ({"late_fee": {"enabled": True, "fixed_amount": 100, "after_days": 366}}, "late_fee.after_days"),
    ({"late_fee": {"enabled": True, "fixed_amount": 100, "after_days": -1}}, "late_fee.after_days"),
    ({"late_fee": {"enabled": True, "fixed_amount": 100, "recurrence": "weekly"}}, "late_fee.recurrence"),
    ({"late_fee": {"enabled": True, "fixed_amount": 100, "cap": 0}}, "late_fee.cap"),
    ({"dunning_schedule_id": "dsch_1"}, "dunning_schedule_id"),  # not an organization setting
]


@pytest.mark.parametrize("patch,param", BAD_ORGANIZATION)
async def test_bad_organization_collection_settings_are_400_naming_the_field(svc, org, patch, param):
    _, api_key = org
    async with svc.client(api_key) as client:
        before = (await client.get("/v1/settings/invoicing")).json()
        error = assert_error(await client.patch("/v1/settings/invoicing", json={**patch, "footer": "changed?"}),
                             400, None, param)
        assert param in error["message"]
        after = (await client.get("/v1/settings/invoicing")).json()
        assert after == before  # nothing was stored, not even the valid field beside it


BAD_CUSTOMER = [
    ({"reminders": {"before_due": {"days": [100]}}}, "reminders.before_due.days[0]"),
    ({"late_fee": {"enabled": True, "percentage": "-1"}}, "late_fee.percentage"),
    ({"dunning_schedule_id": "sched_1"}, "dunning_schedule_id"),
    ({"dunning_schedule_id": "dsch_"}, "dunning_schedule_id"),
    ({"dunning_schedule_id": "dsch_a-b"}, "dunning_schedule_id"),
    ({"dunning_schedule_id": "dsch_" + "a" * 61}, "dunning_schedule_id"),
    ({"phone": "4155550132"}, "phone"),            # national number without +
    ({"phone": "+1 415 555"}, "phone"),            # too short
    ({"phone": "+999 12345678"}, "phone"),         # no such country code
    ({"phone": "call me"}, "phone"),
    ({"sms_opt_in": "yes please"}, "sms_opt_in"),
]


@pytest.mark.parametrize("patch,param", BAD_CUSTOMER)
async def test_bad_customer_collection_fields_are_400_naming_the_field(svc, org, patch, param):
    _, api_key = org
    async with svc.client(api_key) as client:
        assert_error(await client.post("/v1/customers", json={"name": "N", "email": "n@example.com", **patch}),
                     400, None, param)
        customer = await create_customer(client)
        assert_error(await client.patch(f"/v1/customers/{customer['id']}", json={**patch, "name": "Changed?"}),
                     400, None, param)
        after = (await client.get(f"/v1/customers/{customer['id']}")).json()
        assert after == customer  # nothing changed


@pytest.mark.parametrize("settings,param", [
    ({"reminders": {"after_due": {"templates": ["nope"]}}}, "settings.reminders.after_due.templates[0]"),
    ({"dunning_schedule_id": "DSCH_1"}, "settings.dunning_schedule_id"),
    ({"late_fee": {"enabled": True, "fixed_amount": 100}}, "settings.late_fee"),  # a customer-level setting
])
async def test_bad_subscription_collection_settings_are_400_naming_the_field(svc, org, settings, param):
    _, api_key = org
    async with svc.client(api_key) as client:
        customer = await create_customer(client)
        assert_error(await client.post("/v1/subscriptions", json={"customer_id": customer["id"],
                                                                  "settings": settings}), 400, None, param)
        subscription = (await client.post("/v1/subscriptions", json={"customer_id": customer["id"]})).json()
        assert_error(await client.patch(f"/v1/subscriptions/{subscription['id']}", json={
            "settings": settings, "description": "changed?"}), 400, None, param)
        assert (await client.get(f"/v1/subscriptions/{subscription['id']}")).json() == subscription


async def test_phone_is_normalised_to_e164_and_sms_consent_kept(svc, org):
    _, api_key = org
    async with svc.client(api_key) as client:
        response = await client.post("/v1/customers", json={"name": "P", "email": "p@example.com",
                                                            "phone": " +49 30 901820 "})
        assert response.status_code == 201, response.text
        customer = response.json()
        assert (customer["phone"], customer["sms_opt_in"]) == ("+4930901820", False)
        response = await client.patch(f"/v1/customers/{customer['id']}", json={"phone": "+44 20 7946 0958",
                                                                                 "sms_opt_in": True})
        assert response.status_code == 200, response.text
        assert (response.json()["phone"], response.json()["sms_opt_in"]) == ("+442079460958", True)
        read = (await client.get(f"/v1/customers/{customer['id']}")).json()
        assert (read["phone"], read["sms_opt_in"]) == ("+442079460958", True)
        # null removes the phone; sms_opt_in can't be null
        assert_error(await client.patch(f"/v1/customers/{customer['id']}", json={"sms_opt_in": None}),
                     400, None, "sms_opt_in")
        response = await client.patch(f"/v1/customers/{customer['id']}", json={"phone": None})
        assert (response.json()["phone"], response.json()["sms_opt_in"]) == (None, True)


async def test_the_snapshot_carries_the_collection_plan_fixed_at_approval(svc, org, read_events, wait_for):
    _, api_key = org
    async with svc.client(api_key) as client:
        await client.patch("/v1/settings/invoicing", json={"reminders": ORG_REMINDERS, "late_fee": ORG_LATE_FEE})
        response = await client.post("/v1/customers", json={
            "name": "Planned", "email": "plan@example.com", "phone": "+14155550199", "sms_opt_in": True,
            "late_fee": CUSTOMER_LATE_FEE, "dunning_schedule_id": "dsch_cust"})
        customer = response.json()
        subscription = (await client.post("/v1/subscriptions", json={"customer_id": customer["id"], "settings": {
            "reminders": CUSTOMER_REMINDERS}})).json()
        draft = await create_draft(client, customer["id"], subscription_id=subscription["id"])
        assert draft["collection"] is None  # a draft has no plan yet
        approved = (await client.post(f"/v1/invoices/{draft['id']}/approve")).json()
        expected = {"dunning_schedule_id": "dsch_cust", "dunning_schedule_source": "customer",
                    "reminders": CUSTOMER_REMINDERS_STORED, "reminders_source": "subscription",
                    "late_fee": CUSTOMER_LATE_FEE_STORED, "late_fee_source": "customer"}
        assert approved["collection"] == expected and approved["late_fee_for"] is None

        # Settings changed after approval change later invoices, not this one.
        await client.patch(f"/v1/customers/{customer['id']}", json={"late_fee": None, "dunning_schedule_id": "dsch_x",
                                                                    "phone": "+14155550100"})
        await client.patch(f"/v1/subscriptions/{subscription['id']}", json={"settings": {"reminders": None}})
        assert (await client.get(f"/v1/invoices/{draft['id']}")).json()["collection"] == expected

    async def issued():
        return [e for e in await read_events("invoice.issued", timeout=3) if e.aggregate_id == draft["id"]]
    [envelope] = await wait_for(issued, timeout=30)
    snapshot = InvoiceIssued.model_validate(envelope.data).invoice
    assert snapshot.collection.model_dump(mode="json") == expected
    assert (snapshot.customer.phone, snapshot.customer.sms_opt_in) == ("+14155550199", True)
    assert snapshot.late_fee_for is None
