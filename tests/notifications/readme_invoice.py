"""The README's EUR invoice (two rates, a 10 % invoice discount and a line discount, a billing period) as
invoicing issues it, for tests that render emails without the other services.

12.5 h × €90.00 at 19 % (1 November – 30 November 2026) + 3 × €25.00 at 7 % less €5.00, then 10 % off
Σ(lines after their own discounts) = €119.50, spread pro rata (€112.50 and €7.00):
subtotal €1,200.00 − discounts €124.50 + tax (€192.38 + €4.41) = total €1,272.29.
"""

from __future__ import annotations

from typing import Any

from duely_contracts.models import InvoiceSnapshot

SUBTOTAL, TOTAL_DISCOUNT, TAX_19, TAX_7, TOTAL = 120000, 12450, 19238, 441, 127229


def readme_eur_invoice(organization_id: str = "org_readme", *, locale: str = "fr_FR", status: str = "issued",
                       invoice_id: str = "in_readme_eur", number: str = "ACME-2611-001", version: int = 2,
                       customer_email: str = "compta@client.example", **overrides: Any) -> InvoiceSnapshot:
    paid = status == "paid"
    body: dict[str, Any] = {
        "id": invoice_id, "organization_id": organization_id, "organization_name": "Demo Company",
        "number": number, "status": status, "currency": "eur", "locale": locale, "attach_pdf": True,
        "customer": {"id": "cus_readme", "name": "Client SARL", "email": customer_email,
                     "cc_emails": ["cfo@client.example"], "locale": "fr_FR",
                     "billing_address": {"lines": ["1 rue de la Paix"], "city": "Paris", "postal_code": "75002",
                                         "country": "FR"}},
        "payment_terms": "net_7", "issued_at": "2026-12-01T09:00:00Z", "due_date": "2026-12-08",
        "subtotal": SUBTOTAL, "total_discount": TOTAL_DISCOUNT, "tax": TAX_19 + TAX_7, "total": TOTAL,
        "amount_paid": TOTAL if paid else 0, "amount_due": 0 if paid else TOTAL,
        "discounts": [{"percentage": "10", "discount_amount": 11950}],
        "lines": [
            {"id": "il_1", "description": "Consulting", "quantity": "12.5", "unit_amount": 9000, "amount": 112500,
             "period": {"start": "2026-11-01", "end": "2026-11-30"}, "discount_amount": 11250,
             "tax_amount": TAX_19, "tax_rates": [{"display_name": "MwSt", "percentage": "19"}]},
            {"id": "il_2", "description": "Handbook", "quantity": "3", "unit_amount": 2500, "amount": 7500,
             "discounts": [{"amount": 500, "discount_amount": 500}], "discount_amount": 1200, "tax_amount": TAX_7,
             "tax_rates": [{"display_name": "MwSt ermäßigt", "percentage": "7"}]},
        ],
        "tax_breakdown": [
            {"display_name": "MwSt", "percentage": "19", "inclusive": False, "taxable_amount": 101250,
             "tax_amount": TAX_19},
            {"display_name": "MwSt ermäßigt", "percentage": "7", "inclusive": False, "taxable_amount": 6300,
             "tax_amount": TAX_7},
        ],
        "hosted_invoice_url": f"http://127.0.0.1:8000/i/{organization_id}.{invoice_id}.sig", "version": version,
        "issuer": {"company_name": "Acme GmbH", "tax_id": "DE123456789", "accent_color": "#0F766E",
                   "address": {"lines": ["Hauptstr. 1"], "city": "Berlin", "postal_code": "10115", "country": "DE"},
                   "accepted_payment_methods": ["card", "wire_transfer"],
                   "bank_details": {"account_name": "Acme GmbH", "iban": "DE89370400440532013000",
                                    "bic": "COBADEFFXXX"},
                   "footer": "Acme GmbH · Amtsgericht Berlin HRB 12345"},
    }
    body.update(overrides)
    return InvoiceSnapshot.model_validate(body)
