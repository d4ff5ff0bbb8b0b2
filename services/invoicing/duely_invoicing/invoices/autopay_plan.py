"""An invoice's AutoPay plan, fixed at approval from its resolved settings (invoices/settings.py stamps them):
whether AutoPay charges it, on which day (domain/autopay.py, in the organization's timezone), with which saved
method as known then (the setting's payment_method_id while still attached, else the customer's default method
from the read model, else none: payments then reports `no_payment_method` at charge time), and from which level.

Stored on the invoice (`invoices.autopay_plan`), so every later snapshot carries the same plan. An invoice
with nothing left to collect at approval (a zero total, or paid by the customer's credit) has no plan.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from duely_contracts.models import AutopayPlan
from duely_invoicing.domain import autopay
from duely_invoicing.domain import settings_resolution as res
from duely_invoicing.models import Invoice
from duely_invoicing.payment_methods import service as payment_methods_service


def _resolved(invoice: Invoice, name: str) -> tuple[object, str]:
    entry = ((invoice.resolved_settings or {}).get("settings") or {}).get(name)
    if entry is None:
        return res.DEFAULTS[name], res.DEFAULT
    return entry["value"], entry["source"]


async def plan(session: AsyncSession, invoice: Invoice, issued_at: datetime) -> AutopayPlan | None:
    setting, source = _resolved(invoice, "autopay")
    setting = {**res.DEFAULTS["autopay"], **(setting or {})}
    if not setting["enabled"]:
        return None
    tz, _ = _resolved(invoice, "timezone")
    prenotification_days, _ = _resolved(invoice, "sepa_prenotification_days")

    method, method_source = None, None
    if setting["payment_method_id"]:
        row = await payment_methods_service.get_method(session, invoice.organization_id,
                                                       setting["payment_method_id"])
        if row is not None and row.customer_id == invoice.customer_id and row.status != "detached":
            method, method_source = row, source  # subscription | customer: the level that named it
    if method is None:
        method = await payment_methods_service.default_method(session, invoice.organization_id,
                                                              invoice.customer_id)
        method_source = autopay.METHOD_FROM_CUSTOMER_DEFAULT if method is not None else None
    day = autopay.charge_day(setting["timing"], setting["days_before_due"], issued_at=issued_at,
                             due_date=invoice.due_date, tz=tz, method_type=method.type if method else None,
                             sepa_prenotification_days=prenotification_days)
    return AutopayPlan(
        enabled=True, timing=setting["timing"], days_before_due=setting["days_before_due"],
        charge_date=day.charge_date, timezone=tz,
        payment_method=payment_methods_service.method_ref(method) if method else None,
        payment_method_source=method_source, source=source, prenotified=day.prenotified)


def stored(invoice: Invoice) -> AutopayPlan | None:
    return AutopayPlan.model_validate(invoice.autopay_plan) if invoice.autopay_plan else None


def accepted_payment_methods(invoice: Invoice) -> list[str] | None:
    """The methods this invoice may be paid by: resolved customer → organization, stamped with the issuer."""
    if invoice.issuer is None:
        return None
    return list(invoice.issuer.get("accepted_payment_methods") or [])
