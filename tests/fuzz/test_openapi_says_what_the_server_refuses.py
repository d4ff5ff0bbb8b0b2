"""What the server refuses, its OpenAPI document says (found by an outside fuzz of the API): ISO codes
are enumerated, decimals carry their precision and bounds, text refuses control characters, an empty
clock advance is not a valid body, and no internal route is published."""

from __future__ import annotations

import re

import pytest

from duely_dunning.main import build as build_dunning
from duely_invoicing.main import build as build_invoicing


@pytest.fixture(scope="module")
def invoicing_doc() -> dict:
    return build_invoicing().openapi()


def component(doc: dict, name: str) -> dict:
    return doc["components"]["schemas"][name]


def branch(prop: dict, kind: str) -> dict:
    return next(b for b in prop.get("anyOf", [prop]) if b.get("type") == kind)


def test_iso_codes_are_enumerated_not_any_letters(invoicing_doc):
    currency = branch(component(invoicing_doc, "InvoiceCreate")["properties"]["currency"], "string")
    assert "usd" in currency["enum"] and "EUR" in currency["enum"] and "ZZZ" not in currency["enum"]
    address = component(invoicing_doc, "AddressIn")["properties"]["country"]
    assert "DE" in branch(address, "string")["enum"] and "XX" not in branch(address, "string")["enum"]
    locale = branch(component(invoicing_doc, "CustomerCreate")["properties"]["locale"], "string")
    assert {"en_US", "de_DE", "fr"} <= set(locale["enum"]) and "xx_YY" not in locale["enum"]


def test_decimals_document_their_precision_and_that_zero_is_no_quantity(invoicing_doc):
    quantity = component(invoicing_doc, "LineIn")["properties"]["quantity"]
    number, text = branch(quantity, "number"), branch(quantity, "string")
    assert number["exclusiveMinimum"] == 0 and number["multipleOf"] == pytest.approx(1e-6)
    pattern = re.compile(text["pattern"])
    assert pattern.match("1.5") and pattern.match("0.000001")
    assert not any(pattern.match(v) for v in ("0", "0.0", "1.1234567", "1e3", "-1"))
    percentage = branch(component(invoicing_doc, "TaxRateIn")["properties"]["percentage"], "string")
    assert re.match(percentage["pattern"], "8.25") and not re.match(percentage["pattern"], "8.12345")
    assert not re.match(percentage["pattern"], "100.5")


def test_text_fields_refuse_control_characters_and_blank_required_text(invoicing_doc):
    description = re.compile(component(invoicing_doc, "LineIn")["properties"]["description"]["pattern"])
    assert description.match("Consulting Q4") and description.match("Line one\nline two")
    assert not any(description.match(v) for v in ("Consulting\x1cQ4", "a\x00b", "a\x85b", "   "))


def test_terms_and_discounts_say_what_the_validators_say(invoicing_doc):
    terms = re.compile(branch(component(invoicing_doc, "InvoiceCreate")["properties"]["payment_terms"],
                              "string")["pattern"])
    assert terms.match("net_365") and terms.match("due_on_receipt") and not terms.match("net_366")
    assert len(component(invoicing_doc, "DiscountIn")["oneOf"]) == 2


def test_an_empty_clock_advance_is_not_a_valid_body():
    schema = build_dunning().openapi()["components"]["schemas"]["AdvanceTestClockIn"]
    assert all("required" in option for option in schema["oneOf"]), "{} matches no option"
    assert schema["properties"]["days"] == {"maximum": 3650, "minimum": 1, "title": "Days", "type": "integer"}


def test_no_internal_route_is_published():
    from duely_payments.main import build as build_payments
    for build in (build_payments, build_invoicing, build_dunning):
        paths = build().openapi()["paths"]
        assert not [p for p in paths if p.startswith(("/internal", "/ops"))], paths.keys()


def test_webhook_events_are_the_product_events_or_star_and_never_empty():
    from duely_notifications.main import build as build_notifications
    events = build_notifications().openapi()["components"]["schemas"]["WebhookEndpointCreate"]["properties"]["events"]
    assert all(option["minItems"] == 1 for option in events["anyOf"])
    assert "invoice.paid" in events["anyOf"][1]["items"]["enum"]
