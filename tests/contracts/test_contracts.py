"""Contracts: the envelope round-trips, every event is registered, the export is current."""

from datetime import date, datetime, timezone

import pytest
from pydantic import ValidationError

from duely_contracts import REGISTRY, Envelope, model_for, topic_for
from duely_contracts.export import DEFAULT_PATH, build_document, render
from duely_contracts.registry import WEBHOOK_EVENT_TYPES

PRODUCT_WEBHOOK_EVENTS = {"invoice.issued", "invoice.viewed", "invoice.paid", "invoice.payment_failed",
                          "invoice.past_due", "invoice.reminder_sent"}


# Payment collection's own: every payment counted (partial ones too), a balance reopened by a refund, a bank
# debit in flight, AutoPay's skipped moments, saved methods, and money that went back.
COLLECTION_WEBHOOK_EVENTS = {"invoice.payment_succeeded", "invoice.reopened", "payment.processing",
                             "invoice.autopay_skipped", "payment_method.attached", "payment_method.updated",
                             "payment_method.detached", "payment_method.expiring", "payment.refunded",
                             "invoice.dunning_step_executed", "invoice.sent_to_collections"}


# The customer portal's (issue #11): a session opened is a webhook; a sign-in link requested is not (it carries the
# link itself, which only the customer's inbox may see).
PORTAL_WEBHOOK_EVENTS = {"portal.session_created"}


def test_the_six_webhook_events_of_the_product_are_registered():
    assert set(WEBHOOK_EVENT_TYPES) == PRODUCT_WEBHOOK_EVENTS | COLLECTION_WEBHOOK_EVENTS | PORTAL_WEBHOOK_EVENTS


def test_the_portal_events_are_registered_and_the_link_is_never_a_webhook():
    assert topic_for("portal.session_created") == "portal.session_created"
    assert REGISTRY["portal.session_created"].publisher == REGISTRY["portal.link_requested"].publisher == "portal"
    assert "portal.link_requested" not in WEBHOOK_EVENT_TYPES
    session = model_for("portal.session_created").model_validate(
        {"session_id": "psess_1", "customer_id": "cus_1", "created_at": "2026-12-01T10:00:00+01:00",
         "expires_at": "2026-12-01T21:00:00Z"})
    assert session.model_dump(mode="json")["created_at"] == "2026-12-01T09:00:00Z"
    link = model_for("portal.link_requested")
    base = {"customer_id": "cus_1", "email": "ann@example.com", "customer_name": "Ann",
            "url": "https://pay.example.com/portal/login/tok", "expires_at": "2026-12-01T10:00:00Z",
            "requested_by": "merchant", "organization_name": "Acme"}
    event = link.model_validate(base)
    assert (event.locale, event.logo_url, event.accent_color) == (None, None, None)
    with pytest.raises(ValidationError):
        link.model_validate({k: v for k, v in base.items() if k != "url"})
    document = build_document()
    assert document["components"]["messages"]["portal.link_requested"]["x-webhook"] is False
    assert document["components"]["messages"]["portal.session_created"]["x-webhook"] is True


def test_topic_is_the_event_type():
    for event_type in REGISTRY:
        assert topic_for(event_type) == event_type


def test_envelope_round_trip_keeps_every_field():
    envelope = Envelope(type="invoice.viewed", organization_id="org_1", aggregate_id="inv_1", aggregate_version=3,
                        correlation_id="corr", causation_id="cause",
                        data={"invoice_id": "inv_1", "invoice_number": "INV-1",
                              "viewed_at": datetime(2026, 1, 2, tzinfo=timezone.utc).isoformat()})
    again = Envelope.from_bytes(envelope.to_bytes())
    assert again == envelope
    payload = model_for(again.type).model_validate(again.data)
    assert payload.invoice_number == "INV-1"


def test_envelope_rejects_unknown_fields_and_negative_versions():
    with pytest.raises(ValidationError):
        Envelope(type="x", organization_id="o", aggregate_id="a", aggregate_version=-1, correlation_id="c", data={})
    with pytest.raises(ValidationError):
        Envelope.model_validate({"type": "x", "organization_id": "o", "aggregate_id": "a", "aggregate_version": 1,
                                 "correlation_id": "c", "data": {}, "surprise": 1})


def test_payment_failed_requires_a_positive_attempt_number():
    model = model_for("invoice.payment_failed")
    summary = {"id": "inv_1", "number": "INV-1", "organization_name": "Acme", "currency": "usd", "total": 100,
               "amount_due": 100, "due_date": date(2026, 1, 1).isoformat(),
               "customer": {"id": "cus_1", "name": "Ann", "email": "ann@example.com"}}
    base = {"invoice_id": "inv_1", "failure_code": "card_declined", "failure_message": "declined", "amount": 100,
            "currency": "usd", "payment_method": "pm_card_chargeDeclined",
            "failed_at": datetime.now(timezone.utc).isoformat(), "invoice": summary}
    assert model.model_validate({**base, "attempt_number": 2}).attempt_number == 2
    with pytest.raises(ValidationError):
        model.model_validate({**base, "attempt_number": 0})


def test_committed_asyncapi_document_is_current():
    assert DEFAULT_PATH.read_text() == render(), "run: python -m duely_contracts.export"


def test_asyncapi_document_has_a_channel_and_schema_per_event():
    document = build_document()
    assert set(document["channels"]) == set(REGISTRY)
    for spec in REGISTRY.values():
        assert spec.model.__name__ in document["components"]["schemas"]


def test_the_envelope_schema_marks_every_published_field_required():
    required = set(Envelope.model_json_schema()["required"])
    assert {"id", "occurred_at", "aggregate_type", "aggregate_id", "aggregate_version"} <= required


def test_every_event_names_its_aggregate_type_and_kafka_key():
    from duely_contracts.export import build_document
    document = build_document()
    for spec in REGISTRY.values():
        assert spec.aggregate, spec.type
        message = document["components"]["messages"][spec.type]
        assert message["x-aggregate-type"] == spec.aggregate
        assert message["bindings"]["kafka"]["key"]["type"] == "string"
    # One publisher per aggregate type: that is what makes "newer version wins" hold.
    publishers: dict[str, set[str]] = {}
    for spec in REGISTRY.values():
        publishers.setdefault(spec.aggregate, set()).add(spec.publisher)
    assert all(len(p) == 1 for p in publishers.values()), publishers


def test_an_event_published_before_aggregate_type_existed_still_reads():
    old = {"id": "e1", "type": "invoice.payment_failed", "occurred_at": "2026-11-01T00:00:00Z",
           "organization_id": "org_1", "aggregate_id": "in_1", "aggregate_version": 1, "correlation_id": "c",
           "causation_id": None, "data": {}}
    assert Envelope.model_validate(old).aggregate_type == "invoice_payments"
