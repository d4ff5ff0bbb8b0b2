"""The override chain, exhaustively: every field, every level, nulls inherit, cc lists merge."""

from __future__ import annotations

import dataclasses

import pytest

from duely_invoicing.domain.settings_resolution import (
    COLLECTION, CUSTOMER, CUSTOMER_ONLY, DEFAULT, DEFAULTS, INVOICE, ORGANIZATION, ORGANIZATION_ONLY, OVERRIDABLE, SUBSCRIPTION,
    TAX_TREATMENT, Contact, CustomerSettings, OrganizationSettings, Overrides, resolve,
)

ORG = OrganizationSettings(organization_name="Acme GmbH")
CUST = CustomerSettings(email="buyer@example.com")

# A distinct value per overridable field and level, so a wrong source shows up as a wrong value.
VALUES = {
    "payment_terms": {INVOICE: "net_5", SUBSCRIPTION: "net_10", CUSTOMER: "net_15", ORGANIZATION: "net_20"},
    "currency": {INVOICE: "chf", SUBSCRIPTION: "eur", CUSTOMER: "gbp", ORGANIZATION: "jpy"},
    "locale": {INVOICE: "it", SUBSCRIPTION: "de_DE", CUSTOMER: "fr_FR", ORGANIZATION: "en_GB"},
    "attach_pdf": {INVOICE: True, SUBSCRIPTION: False, CUSTOMER: True, ORGANIZATION: False},
    "memo": {INVOICE: "inv memo", SUBSCRIPTION: "sub memo", CUSTOMER: "cus memo", ORGANIZATION: "org memo"},
}
ORG_ATTR = {"memo": "default_memo"}
LEVELS = (INVOICE, SUBSCRIPTION, CUSTOMER, ORGANIZATION)


def build(field: str, levels: set[str]):
    """Inputs where `field` is set exactly at `levels` (everything else unset)."""
    values = VALUES[field]
    org = dataclasses.replace(ORG, **{ORG_ATTR.get(field, field): values[ORGANIZATION]}) \
        if ORGANIZATION in levels else ORG
    customer = dataclasses.replace(CUST, overrides=Overrides(**{field: values[CUSTOMER]})) \
        if CUSTOMER in levels else CUST
    subscription = Overrides(**{field: values[SUBSCRIPTION]}) if SUBSCRIPTION in levels else Overrides()
    invoice = Overrides(**{field: values[INVOICE]}) if INVOICE in levels else Overrides()
    return org, customer, subscription, invoice


SUBSETS = [set(LEVELS[i] for i in range(4) if mask >> i & 1) for mask in range(16)]


@pytest.mark.parametrize("field", OVERRIDABLE)
@pytest.mark.parametrize("levels", SUBSETS, ids=lambda s: "+".join(sorted(s)) or "none")
def test_the_most_specific_level_that_sets_a_field_wins(field, levels):
    org, customer, subscription, invoice = build(field, levels)
    resolved = resolve(org, customer, subscription, invoice)
    winner = next((level for level in LEVELS if level in levels), None)
    if winner is None:
        assert resolved.settings[field].value == DEFAULTS[field]
        assert resolved.source(field) == DEFAULT
    else:
        assert resolved[field] == VALUES[field][winner]
        assert resolved.source(field) == winner


@pytest.mark.parametrize("field", OVERRIDABLE)
def test_none_inherits_and_no_subscription_means_skip_that_level(field):
    org, customer, _, _ = build(field, {CUSTOMER, ORGANIZATION})
    for subscription in (None, Overrides()):
        for invoice in (None, Overrides()):
            resolved = resolve(org, customer, subscription, invoice)
            assert (resolved[field], resolved.source(field)) == (VALUES[field][CUSTOMER], CUSTOMER)


def test_false_is_a_value_not_an_absence():
    customer = dataclasses.replace(CUST, overrides=Overrides(attach_pdf=False), tax_exempt=False)
    resolved = resolve(dataclasses.replace(ORG, attach_pdf=True), customer)
    assert (resolved["attach_pdf"], resolved.source("attach_pdf")) == (False, CUSTOMER)
    assert (resolved["tax_exempt"], resolved.source("tax_exempt")) == (False, CUSTOMER)


ORG_VALUES = {
    "company_name": "Acme Trading GmbH", "address": {"lines": ["Hauptstr. 1"], "city": "Berlin", "country": "DE"},
    "tax_id": "DE123456789", "logo_url": "https://acme.example/logo.png", "accent_color": "#FF0000",
    "footer": "Acme GmbH · HRB 1234", "invoice_prefix": "ACME", "number_format": "{PREFIX}/{YY}/{NNN}",
    "number_reset": "yearly", "cc_finance_contacts": False, "extra_cc_emails": ("books@acme.example",),
    "accepted_payment_methods": ("card", "wire_transfer"),
    "bank_details": {"iban": "DE89370400440532013000", "bic": "COBADEFFXXX"},
    "email_from_name": "Acme Billing", "email_reply_to": "billing@acme.example",
}


@pytest.mark.parametrize("name,attr", ORGANIZATION_ONLY.items())
def test_organization_only_fields(name, attr):
    unset = resolve(ORG, CUST)
    expected_default = "Acme GmbH" if name == "company_name" else DEFAULTS[name]
    assert (unset[name], unset.source(name)) == (expected_default, DEFAULT)
    value = ORG_VALUES[attr]
    set_ = resolve(dataclasses.replace(ORG, **{attr: value}), CUST)
    assert (set_[name], set_.source(name)) == (value, ORGANIZATION)


CUSTOMER_VALUES = {
    "tax_exempt": True, "tax_id": "FR40303265045", "billing_address": {"lines": ["1 rue X"], "country": "FR"},
    "billing_contact": Contact("ap@buyer.example", "Accounts Payable"),
    "finance_contacts": (Contact("cfo@buyer.example", "CFO"),),
}


@pytest.mark.parametrize("name,attr", CUSTOMER_ONLY.items())
def test_customer_only_fields(name, attr):
    unset = resolve(ORG, CUST)
    assert (unset[name], unset.source(name)) == (DEFAULTS[name], DEFAULT)
    value = CUSTOMER_VALUES[attr]
    set_ = resolve(ORG, dataclasses.replace(CUST, **{attr: value}))
    assert (set_[name], set_.source(name)) == (value, CUSTOMER)


def test_every_setting_is_reported():
    names = set(resolve(ORG, CUST).settings)
    assert names == (set(OVERRIDABLE) | set(ORGANIZATION_ONLY) | set(CUSTOMER_ONLY) | set(TAX_TREATMENT) | {"cc_emails"}
                     | set(COLLECTION))


# --- cc lists: merged, in a documented order, de-duplicated ------------------------------

FULL_CUSTOMER = CustomerSettings(
    email="buyer@example.com",
    overrides=Overrides(cc_emails=("ops@buyer.example", "Shared@Buyer.example")),
    billing_contact=Contact("ap@buyer.example", "AP"),
    finance_contacts=(Contact("cfo@buyer.example"), Contact("shared@buyer.example")))
FULL_ORG = dataclasses.replace(ORG, extra_cc_emails=("books@acme.example", "BUYER@example.com"))


def test_cc_merges_every_level_in_order_without_duplicates_or_the_recipient():
    resolved = resolve(FULL_ORG, FULL_CUSTOMER, Overrides(cc_emails=("team@buyer.example", "ops@buyer.example")),
                       Overrides(cc_emails=("once@buyer.example",)))
    assert resolved.cc_emails == ["ap@buyer.example", "once@buyer.example", "team@buyer.example",
                                  "ops@buyer.example", "Shared@Buyer.example", "cfo@buyer.example",
                                  "books@acme.example"]
    assert [(e.source, e.reason) for e in resolved.cc] == [
        (CUSTOMER, "billing_contact"), (INVOICE, "cc"), (SUBSCRIPTION, "cc"), (SUBSCRIPTION, "cc"), (CUSTOMER, "cc"),
        (CUSTOMER, "finance_contact"), (ORGANIZATION, "extra_cc")]
    # ops@ is named by the subscription and the customer: the first (more specific) naming is kept
    assert resolved["cc_emails"] == resolved.cc_emails and resolved.source("cc_emails") == INVOICE


def test_finance_contacts_are_copied_only_when_the_organization_says_so():
    on = resolve(FULL_ORG, FULL_CUSTOMER)
    assert "cfo@buyer.example" in on.cc_emails  # the default is to cc them
    off = resolve(dataclasses.replace(FULL_ORG, cc_finance_contacts=False), FULL_CUSTOMER)
    assert "cfo@buyer.example" not in off.cc_emails
    assert "shared@buyer.example" in {e.lower() for e in off.cc_emails}  # still named by the customer's cc


@pytest.mark.parametrize("org,customer,subscription,source", [
    (ORG, CUST, None, DEFAULT),
    (FULL_ORG, CUST, None, ORGANIZATION),
    (ORG, FULL_CUSTOMER, None, CUSTOMER),
    (ORG, CUST, Overrides(cc_emails=("x@y.example",)), SUBSCRIPTION),
])
def test_cc_source_is_the_most_specific_contributor(org, customer, subscription, source):
    resolved = resolve(org, customer, subscription)
    assert resolved.source("cc_emails") == source
    assert (resolved.cc_emails == []) == (source == DEFAULT)


def test_resolve_is_pure():
    args = (FULL_ORG, FULL_CUSTOMER, Overrides(payment_terms="net_7"), Overrides(memo="m"))
    assert resolve(*args) == resolve(*args)
    assert FULL_CUSTOMER.overrides.cc_emails == ("ops@buyer.example", "Shared@Buyer.example")
