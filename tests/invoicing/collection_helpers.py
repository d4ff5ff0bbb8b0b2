"""Events payments publishes for issue #9 (saved methods, payments with their new fields, refunds), built the
way payments builds them, for invoicing's integration tests to publish on the real broker."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

from duely_contracts import Envelope
from duely_contracts.events import PaymentMethodChanged, PaymentRefunded, PaymentSucceeded
from duely_contracts.models import CustomerRef, InvoiceSummary, PaymentMethodRef


def _summary(invoice: dict) -> InvoiceSummary:
    customer = invoice["customer"]
    return InvoiceSummary(id=invoice["id"], number=invoice["number"], organization_name="Org",
                          currency=invoice["currency"], total=invoice["total"], amount_due=invoice["amount_due"],
                          customer=CustomerRef(id=customer["id"], name=customer["name"], email=customer["email"]))


def method_envelope(organization_id: str, customer_id: str, method_id: str, *, version: int = 1,
                    event_type: str = "payment_method.attached", type: str = "card", is_default: bool = True,
                    status: str = "active", last4: str = "4242") -> Envelope:
    method = PaymentMethodRef(
        id=method_id, organization_id=organization_id, customer_id=customer_id, type=type,
        brand="visa" if type == "card" else None, last4=last4, exp_month=12 if type == "card" else None,
        exp_year=2030 if type == "card" else None, status=status, is_default=is_default,
        mandate_reference=None if type == "card" else f"MANDATE-{method_id}")
    return Envelope(type=event_type, organization_id=organization_id, aggregate_id=method_id,
                    aggregate_version=version, correlation_id=str(uuid.uuid4()),
                    data=PaymentMethodChanged(payment_method=method).model_dump(mode="json"))


def payment_envelope(invoice: dict, organization_id: str, payment_id: str, amount: int, *,
                     method_type: str = "card", manual: bool = False, allow_overpayment: bool = False,
                     attempt_id: str | None = None) -> Envelope:
    event = PaymentSucceeded(
        payment_id=payment_id, invoice_id=invoice["id"], attempt_number=1, attempt_id=attempt_id, amount=amount,
        currency=invoice["currency"], payment_method=method_type, succeeded_at=datetime.now(timezone.utc),
        invoice=_summary(invoice), method_type=method_type, manual=manual, allow_overpayment=allow_overpayment)
    return Envelope(type="payment.succeeded", organization_id=organization_id, aggregate_id=payment_id,
                    aggregate_version=1, correlation_id=str(uuid.uuid4()), data=event.model_dump(mode="json"))


def refund_envelope(invoice: dict, organization_id: str, payment_id: str, refund_id: str, amount: int, *,
                    manual: bool = False) -> Envelope:
    event = PaymentRefunded(refund_id=refund_id, payment_id=payment_id, invoice_id=invoice["id"], amount=amount,
                            currency=invoice["currency"], manual=manual, reason="requested_by_customer",
                            refunded_at=datetime.now(timezone.utc), invoice=_summary(invoice))
    return Envelope(type="payment.refunded", organization_id=organization_id, aggregate_id=payment_id,
                    aggregate_version=2, correlation_id=str(uuid.uuid4()), data=event.model_dump(mode="json"))
