"""The gateway's route table: every path goes to the service that owns it."""

from __future__ import annotations

import re

import pytest

from duely_gateway.routes import ROUTES, route, service_for


@pytest.mark.parametrize("path, service", [
    # payments
    ("/v1/invoices/in_123/pay", "payments"),
    ("/v1/invoices/in_123/pay/", "payments"),
    ("/v1/invoices/in_123/payment_attempts", "payments"),
    ("/v1/invoices/in_123/payment_attempts/pa_1", "payments"),
    ("/v1/payments", "payments"),
    ("/v1/payments/py_1", "payments"),
    ("/v1/payments/py_1/refunds", "payments"),
    ("/v1/payment_methods/pm_1", "payments"),
    ("/v1/invoices/in_1/payments", "payments"),
    ("/v1/customers/cus_1/payment_methods", "payments"),
    ("/v1/customers/cus_1/payment_methods/pm_1/default", "payments"),
    ("/v1/customers/cus_1", "invoicing"),
    ("/webhooks/stripe", "payments"),
    ("/v1/payment_attempts", "payments"),  # the attempts log across invoices
    ("/v1/reports/collected", "payments"),
    ("/v1/reports/dunning_outcomes", "dunning"),
    ("/v1/reports/receivables", "invoicing"),  # every other report is invoicing's
    ("/v1/reports/collectedx", "invoicing"),
    ("/v1/invoices/in_1/collection", "dunning"),
    # notifications
    ("/v1/webhook_endpoints", "notifications"),
    ("/v1/webhook_endpoints/we_1", "notifications"),
    ("/v1/webhook_endpoints/we_1/deliveries", "notifications"),
    ("/v1/webhook_deliveries", "notifications"),
    ("/v1/messages", "notifications"),
    ("/v1/messages/msg_1", "notifications"),
    ("/v1/email_templates", "notifications"),
    ("/v1/email_templates/invoice_reminder_firm", "notifications"),
    ("/v1/email_templates/invoice_issued/preview", "notifications"),
    # dunning
    ("/v1/invoices/in_123/remind", "dunning"),  # manual reminders go on the collection timeline
    ("/v1/dunning", "dunning"),
    ("/v1/dunning/schedules", "dunning"),
    ("/v1/dunning_schedules/ds_1", "dunning"),
    ("/v1/test_clocks", "dunning"),
    ("/v1/test_clocks/clock_1/advance", "dunning"),
    # portal (hosted pages)
    ("/i/org_1.in_1.mac", "portal"),
    ("/i/org_1.in_1.mac/pay", "portal"),
    ("/portal", "portal"),
    ("/portal/sessions/abc", "portal"),
    # invoicing: everything else under /v1
    ("/v1/customers", "invoicing"),
    ("/v1/customers/cus_1", "invoicing"),
    ("/v1/invoices", "invoicing"),
    ("/v1/invoices/in_123", "invoicing"),
    ("/v1/invoices/in_123/approve", "invoicing"),
    ("/v1/invoices/in_123/void", "invoicing"),
    ("/v1/invoices/in_123/payable", "invoicing"),        # not /pay
    ("/v1/invoices/in_123/pay/extra", "invoicing"),     # /pay is exact
    ("/v1/invoices/pay", "invoicing"),                  # an invoice id is required before /pay
    ("/v1/paymentsx", "invoicing"),                     # /v1/payments is a whole segment
    ("/v1/webhook_endpointsx", "invoicing"),
    ("/v1/email_templatesx", "invoicing"),
    ("/v1/invoice_settings", "invoicing"),
    ("/v1/subscriptions/sub_1", "invoicing"),
])
def test_each_path_goes_to_its_owner(path, service):
    assert service_for(path) == service


@pytest.mark.parametrize("path", ["/", "/v1", "/v1/", "/v2/customers", "/i", "/i/", "/portalx", "/internal/x",
                                  "/healthz/x", "/metrics2"])
def test_unknown_paths_have_no_route(path):
    assert service_for(path) is None


def test_first_match_wins_and_the_catch_all_is_last():
    assert ROUTES[-1].service == "invoicing"
    assert ROUTES[-1].pattern.pattern == r"^/v1/.+$"
    table = (route(r"^/v1/a$", "first"), route(r"^/v1/.+$", "second"))
    assert service_for("/v1/a", table) == "first"
    assert service_for("/v1/b", table) == "second"


def test_every_route_is_anchored_and_names_a_known_service():
    for candidate in ROUTES:
        assert candidate.pattern.pattern.startswith("^") and candidate.pattern.pattern.endswith("$")
        assert candidate.service in {"invoicing", "payments", "dunning", "notifications", "portal"}
        assert isinstance(candidate.pattern, re.Pattern)
