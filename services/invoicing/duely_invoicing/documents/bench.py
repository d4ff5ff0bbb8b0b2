"""`make bench`: the median time to render a one-page invoice PDF (with its Factur-X XML)."""

from __future__ import annotations

import statistics
import time
from datetime import date, timedelta
from decimal import Decimal

from duely_contracts.models import Address, BankDetails
from duely_invoicing.documents import renderer
from duely_presentation.content import DocumentInput, Line, Party, Rate, TaxEntry


def sample_invoice(i: int = 1) -> DocumentInput:
    """A typical one-page EUR invoice: three lines at 19 % and 7 %, addresses, tax ids, bank details."""
    vat, reduced = Rate("VAT", Decimal("19")), Rate("VAT reduced", Decimal("7"))
    lines = (Line("Consulting, March", Decimal("12.5"), 9000, 112500, (vat,)),
             Line("Hosting plan", Decimal("1"), 4900, 4900, (vat,), period_start=date(2026, 3, 1),
                  period_end=date(2026, 3, 31)),
             Line("Printed handbook", Decimal("3"), 2500, 7500, (reduced,)))
    issued = date(2026, 3, 31)
    return DocumentInput(
        invoice_id=f"in_bench{i}", version=1, number=f"INV-2026-{i:05d}", status="issued", currency="eur",
        locale="de_DE", issue_date=issued, due_date=issued + timedelta(days=30), payment_terms="net_30",
        memo="Vielen Dank für Ihren Auftrag.",
        seller=Party("Muster GmbH", "billing@muster.example",
                     Address(lines=["Hauptstraße 1"], postal_code="10115", city="Berlin", country="DE"), "DE123456789"),
        buyer=Party("Kunde AG", "ap@kunde.example",
                    Address(lines=["Rue de Rivoli 5"], postal_code="75001", city="Paris", country="FR"), "FR40303265045"),
        lines=lines, tax_breakdown=(TaxEntry("VAT", Decimal("19"), False, 117400, 22306),
                                    TaxEntry("VAT reduced", Decimal("7"), False, 7500, 525)),
        discounts=(), subtotal=124900, total_discount=0, tax=22831, total=147731, amount_paid=0,
        amount_due=147731, pay_url="https://pay.example/i/abc", footer="Muster GmbH · Amtsgericht Berlin HRB 1",
        bank=BankDetails(account_name="Muster GmbH", iban="DE89370400440532013000", bic="COBADEFFXXX"),
    )


def median_render_ms(n: int = 50) -> float:
    """Render `n` invoices (after one warm-up) on the render thread; the median wall time in ms."""
    renderer.render_invoice(sample_invoice(0))
    timings = []
    for i in range(1, n + 1):
        doc = sample_invoice(i)
        start = time.perf_counter()
        renderer.render_invoice(doc)
        timings.append((time.perf_counter() - start) * 1000)
    return statistics.median(timings)


if __name__ == "__main__":
    print(f"PDF render: median {median_render_ms():.1f} ms per one-page invoice")
