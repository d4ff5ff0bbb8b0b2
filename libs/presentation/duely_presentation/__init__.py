"""One presentation of an invoice for every surface that shows it to a customer.

    doc = from_snapshot(invoice_snapshot)     # content.py: what the invoice says, as plain data
    view = build_view(doc)                    # view.py: every string localized (labels, money, dates)

The PDF (invoicing), the hosted page (portal) and every email (notifications) render the same
`InvoiceView`, so no number or word can differ between them. Pure functions: no I/O, but for pdf/,
which draws the PDFs (reportlab) and reads its font files once per process.
"""
