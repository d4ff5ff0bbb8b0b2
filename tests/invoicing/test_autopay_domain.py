"""AutoPay's pure rules (issue #9): the charge day for each timing, in the organization's timezone, with the SEPA
pre-notification shift; which settings hold together; and AutoPay's resolution with its source."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timezone

import pytest

from duely_invoicing.domain import autopay
from duely_invoicing.domain.settings_resolution import (
    CUSTOMER, DEFAULT, DEFAULTS, ORGANIZATION, SUBSCRIPTION, CustomerSettings, OrganizationSettings, Overrides, resolve,
)

UTC = timezone.utc
ISSUED = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # a Monday afternoon in UTC
DUE = date(2026, 4, 1)


def day(timing, n=None, **kw):
    kw.setdefault("issued_at", ISSUED)
    kw.setdefault("due_date", DUE)
    return autopay.charge_day(timing, n, **kw)


def test_on_issue_is_the_issue_day():
    assert day("on_issue") == autopay.ChargeDay(date(2026, 3, 2), False)


def test_on_due_date_is_the_due_date():
    assert day("on_due_date").charge_date == DUE


def test_days_before_due_counts_back_from_the_due_date():
    assert day("days_before_due", 3).charge_date == date(2026, 3, 29)
    assert day("days_before_due", 30).charge_date == date(2026, 3, 2)  # exactly the issue day


def test_never_before_the_issue_day():
    assert day("days_before_due", 60).charge_date == date(2026, 3, 2)
    # a due date already behind (due on receipt, counted in UTC while the organization is a day ahead)
    assert day("on_due_date", due_date=date(2026, 3, 1)).charge_date == date(2026, 3, 2)


def test_the_issue_day_is_the_organizations_day():
    late_utc = datetime(2026, 3, 2, 20, 30, tzinfo=UTC)  # 09:30 on 3 March in Auckland (NZDT, UTC+13)
    assert day("on_issue", issued_at=late_utc, tz="Pacific/Auckland").charge_date == date(2026, 3, 3)
    assert day("on_issue", issued_at=late_utc, tz="UTC").charge_date == date(2026, 3, 2)
    early_utc = datetime(2026, 3, 3, 5, 0, tzinfo=UTC)  # 21:00 on 2 March in Los Angeles (PST, UTC−8)
    assert day("on_issue", issued_at=early_utc, tz="America/Los_Angeles").charge_date == date(2026, 3, 2)
    assert day("on_issue", issued_at=early_utc).charge_date == date(2026, 3, 3)
    # due on receipt, counted in UTC (2 March): Auckland is already on 3 March, its issue day, and charges then
    assert day("on_due_date", issued_at=late_utc, due_date=date(2026, 3, 2),
               tz="Pacific/Auckland").charge_date == date(2026, 3, 3)


def test_a_daylight_saving_change_does_not_move_the_day():
    # Auckland leaves daylight saving on 5 April 2026; Los Angeles enters it on 8 March 2026.
    assert day("on_issue", issued_at=datetime(2026, 4, 4, 11, 30, tzinfo=UTC),
               tz="Pacific/Auckland").charge_date == date(2026, 4, 5)
    assert day("on_issue", issued_at=datetime(2026, 3, 8, 7, 30, tzinfo=UTC),
               tz="America/Los_Angeles").charge_date == date(2026, 3, 7)


@pytest.mark.parametrize("timing,n,expected", [
    ("on_issue", None, date(2026, 3, 16)),  # issue day + 14
    ("days_before_due", 20, date(2026, 3, 16)),  # 12 March would be too early
    ("days_before_due", 5, date(2026, 3, 27)),  # already far enough ahead: unchanged
    ("on_due_date", None, DUE),
])
def test_sepa_is_never_charged_before_the_prenotification_period(timing, n, expected):
    charge = day(timing, n, method_type="sepa_debit")
    assert charge == autopay.ChargeDay(expected, True)


def test_sepa_period_is_the_organizations_and_cards_are_not_shifted():
    assert day("on_issue", method_type="sepa_debit", sepa_prenotification_days=2).charge_date == date(2026, 3, 4)
    assert day("on_issue", method_type="card") == autopay.ChargeDay(date(2026, 3, 2), False)
    assert day("on_issue", method_type="us_bank_account").prenotified is False
    assert day("on_issue", method_type=None).prenotified is False


@pytest.mark.parametrize("timing,n,field", [
    ("days_before_due", None, "days_before_due"),
    ("days_before_due", 0, "days_before_due"),
    ("days_before_due", 61, "days_before_due"),
    ("on_issue", 3, "days_before_due"),
    ("on_due_date", 3, "days_before_due"),
    ("weekly", None, "timing"),
])
def test_settings_that_do_not_hold_together(timing, n, field):
    assert autopay.timing_problem(timing, n)[0] == field


@pytest.mark.parametrize("timing,n", [("on_issue", None), ("on_due_date", None), ("days_before_due", 1),
                                      ("days_before_due", 60)])
def test_settings_that_do(timing, n):
    assert autopay.timing_problem(timing, n) is None


@pytest.mark.parametrize("name,ok", [("UTC", True), ("Europe/Berlin", True), ("Pacific/Auckland", True),
                                     ("America/Los_Angeles", True), ("Mars/Olympus", False), ("+02:00", False),
                                     ("", False), ("../etc/passwd", False), ("Europe/berlin", False)])
def test_timezones_are_iana_names(name, ok):
    assert autopay.is_valid_timezone(name) is ok


# --- resolution: subscription → customer → organization → default, the whole object from one level ---------

ORG = OrganizationSettings(organization_name="Acme")
CUST = CustomerSettings(email="buyer@example.com")
ORG_AUTOPAY = {"enabled": True, "timing": "on_due_date", "days_before_due": None, "payment_method_id": None}
CUS_AUTOPAY = {"enabled": True, "timing": "days_before_due", "days_before_due": 3, "payment_method_id": "pm_cus"}
SUB_AUTOPAY = {"enabled": True, "timing": "on_issue", "days_before_due": None, "payment_method_id": "pm_sub"}


def test_autopay_defaults_to_disabled():
    resolved = resolve(ORG, CUST)
    assert resolved.settings["autopay"].source == DEFAULT
    assert resolved["autopay"] == DEFAULTS["autopay"] and resolved["autopay"]["enabled"] is False
    assert (resolved["timezone"], resolved.source("timezone")) == ("UTC", DEFAULT)
    assert (resolved["sepa_prenotification_days"], resolved.source("sepa_prenotification_days")) == (14, DEFAULT)


@pytest.mark.parametrize("levels,source", [
    ({ORGANIZATION}, ORGANIZATION),
    ({ORGANIZATION, CUSTOMER}, CUSTOMER),
    ({CUSTOMER}, CUSTOMER),
    ({ORGANIZATION, CUSTOMER, SUBSCRIPTION}, SUBSCRIPTION),
    ({CUSTOMER, SUBSCRIPTION}, SUBSCRIPTION),
    ({SUBSCRIPTION}, SUBSCRIPTION),
])
def test_the_most_specific_autopay_wins_whole(levels, source):
    org = dataclasses.replace(ORG, autopay=ORG_AUTOPAY) if ORGANIZATION in levels else ORG
    customer = dataclasses.replace(CUST, overrides=Overrides(autopay=CUS_AUTOPAY)) if CUSTOMER in levels else CUST
    subscription = Overrides(autopay=SUB_AUTOPAY) if SUBSCRIPTION in levels else Overrides()
    resolved = resolve(org, customer, subscription)
    assert resolved.source("autopay") == source
    assert resolved["autopay"] == {ORGANIZATION: ORG_AUTOPAY, CUSTOMER: CUS_AUTOPAY, SUBSCRIPTION: SUB_AUTOPAY}[source]


def test_a_customer_can_switch_autopay_off_and_the_invoice_level_never_sets_it():
    off = {**DEFAULTS["autopay"], "enabled": False}
    customer = dataclasses.replace(CUST, overrides=Overrides(autopay=off))
    resolved = resolve(dataclasses.replace(ORG, autopay=ORG_AUTOPAY), customer, None, Overrides(autopay=SUB_AUTOPAY))
    assert (resolved["autopay"], resolved.source("autopay")) == (off, CUSTOMER)


def test_accepted_payment_methods_are_the_customers_first():
    org = dataclasses.replace(ORG, accepted_payment_methods=("card", "wire_transfer"), timezone="Pacific/Auckland",
                              sepa_prenotification_days=5)
    customer = dataclasses.replace(CUST, overrides=Overrides(accepted_payment_methods=("sepa_debit",)))
    resolved = resolve(org, customer)
    assert (resolved["accepted_payment_methods"], resolved.source("accepted_payment_methods")) == \
        (("sepa_debit",), CUSTOMER)
    assert resolve(org, CUST).source("accepted_payment_methods") == ORGANIZATION
    assert (resolved["timezone"], resolved.source("timezone")) == ("Pacific/Auckland", ORGANIZATION)
    assert (resolved["sepa_prenotification_days"], resolved.source("sepa_prenotification_days")) == (5, ORGANIZATION)
