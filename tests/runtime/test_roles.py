"""What each role may do on the public API (duely_runtime.roles.allowed), as the design's table says."""

from __future__ import annotations

import pytest

from duely_runtime.roles import ROLES, allowed, at_least, refusal_message

READS = [("GET", "/v1/settings/invoicing"), ("HEAD", "/v1/invoices"), ("OPTIONS", "/v1/users"),
         ("GET", "/v1/api_keys")]
FINANCE_WRITES = [("POST", "/v1/invoices"), ("POST", "/v1/invoices/in_1/approve"), ("POST", "/v1/invoices/in_1/void"),
                  ("POST", "/v1/invoices/in_1/mark_uncollectible"), ("POST", "/v1/invoices/in_1/pay"),
                  ("POST", "/v1/invoices/in_1/payments"), ("POST", "/v1/invoices/in_1/remind"),
                  ("DELETE", "/v1/invoices/in_1/lines/il_1"), ("PATCH", "/v1/customers/cus_1"),
                  ("POST", "/v1/customers"), ("POST", "/v1/customers/cus_1/payment_methods"),
                  ("POST", "/v1/customers/cus_1/portal_sessions"), ("POST", "/v1/customers/cus_1/payments"),
                  ("PATCH", "/v1/subscriptions/sub_1"), ("POST", "/v1/payments/pay_1/refunds"),
                  ("POST", "/v1/credit_notes"), ("POST", "/v1/invoices/")]
CONFIGURATION_WRITES = [("PATCH", "/v1/settings/invoicing"), ("POST", "/v1/dunning_schedules"),
                        ("PUT", "/v1/email_templates/invoice_issued"), ("POST", "/v1/webhook_endpoints"),
                        ("POST", "/v1/api_keys"), ("DELETE", "/v1/api_keys/key_1"), ("POST", "/v1/users"),
                        ("PATCH", "/v1/users/usr_1"), ("POST", "/v1/tax_rates"), ("POST", "/v1/test_clocks/advance"),
                        ("POST", "/v1/exchange_rates")]
LOOKALIKES = [("POST", "/v1/invoicesx"), ("POST", "/v1/customers_export"), ("POST", "/v1/paymentsettings")]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method,path", READS)
def test_every_role_reads(role, method, path):
    assert allowed(role, method, path)


@pytest.mark.parametrize("method,path", FINANCE_WRITES + CONFIGURATION_WRITES)
def test_a_viewer_writes_nothing(method, path):
    assert not allowed("viewer", method, path)


@pytest.mark.parametrize("method,path", FINANCE_WRITES)
def test_finance_writes_on_the_money_side(method, path):
    assert allowed("finance", method, path)


@pytest.mark.parametrize("method,path", CONFIGURATION_WRITES + LOOKALIKES)
def test_finance_does_not_change_the_configuration(method, path):
    assert not allowed("finance", method, path)


@pytest.mark.parametrize("role", ["admin", "owner"])
@pytest.mark.parametrize("method,path", FINANCE_WRITES + CONFIGURATION_WRITES)
def test_admins_and_owners_write_everything(role, method, path):
    assert allowed(role, method, path)


def test_an_unknown_role_only_reads():
    assert allowed("intern", "GET", "/v1/invoices") and not allowed("intern", "POST", "/v1/invoices")


def test_ranks_and_the_refusal_names_the_role():
    assert at_least("owner", "admin") and at_least("admin", "admin") and not at_least("finance", "admin")
    assert not at_least("nobody", "viewer")
    assert "'finance'" in refusal_message("finance") and "settings" in refusal_message("finance")
    assert "change nothing" in refusal_message("viewer")
