"""The VAT treatment applied to customers and invoices (duely_contracts/tax_treatment.py holds the rules).

Guards that refuse what the law would not accept (a reverse charge without both VAT ids, an exemption
without its reason), the zero-tax breakdown entry pricing writes, and the treatment as the API and the
invoice snapshot show it.
"""

from __future__ import annotations

from duely_contracts import tax_treatment as vat
from duely_contracts.models import TaxTreatmentApplied
from duely_invoicing.models import Invoice
from duely_runtime.errors import ApiError

# Where a caller fixes each problem: the invoice request itself, or the resource that holds the fact.
INVOICE_PARAMS = {vat.SELLER_TAX_ID: "settings.tax_id", vat.BUYER_TAX_ID: "customer.tax_id",
                  vat.EXEMPTION_REASON: "tax_exemption_reason"}


def applied(invoice: Invoice) -> vat.Applied:
    return vat.applied(invoice.tax_treatment, invoice.tax_exemption_reason, invoice.tax_exemption_reason_code)


def refuse_unmet(invoice: Invoice, *, status: int = 400) -> None:
    """400 at creation (409 at approval, when the VAT ids were retaken) naming what the treatment lacks."""
    issuer, billing = invoice.issuer or {}, invoice.billing_details or {}
    problems = vat.problems(applied(invoice), issuer.get("tax_id"), billing.get("tax_id"))
    if problems:
        first = problems[0]
        code = ("parameter_missing" if first.missing else "parameter_invalid") if status == 400 \
            else "tax_treatment_requirements_unmet"
        raise ApiError(status, code, f"tax_treatment {invoice.tax_treatment}: "
                       + " Also: ".join(p.message for p in problems), param=INVOICE_PARAMS[first.field])


def zero_tax_breakdown(invoice: Invoice) -> list[dict]:
    """The one tax-breakdown entry of a zero-tax treatment: its category at 0 % over the discounted lines."""
    if not invoice.lines:
        return []
    treatment = applied(invoice)
    taxable = sum(line.amount - (line.discount_amount or 0) for line in invoice.lines)
    return [{"display_name": treatment.label("en"), "percentage": "0", "inclusive": False,
             "taxable_amount": taxable, "tax_amount": 0, "category": treatment.category,
             "exemption_reason": treatment.exemption_reason or treatment.label("en"),
             "exemption_reason_code": treatment.exemption_reason_code}]


def snapshot_field(invoice: Invoice) -> TaxTreatmentApplied:
    treatment = applied(invoice)
    return TaxTreatmentApplied(type=treatment.type, category=treatment.category,
                               exemption_reason=treatment.exemption_reason,
                               exemption_reason_code=treatment.exemption_reason_code, notices=treatment.notices())
