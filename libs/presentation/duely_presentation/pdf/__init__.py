"""Drawing our PDFs directly with reportlab (a few milliseconds a page, where HTML layout took 50–100):
the pieces the invoice (duely_invoicing.documents) and the payment receipt share.

fonts.py    DejaVu Sans, regular and bold, registered once and embedded as subsets
text.py     styles, widths, wrapping and drawing lines of text as CSS would place them
shapes.py   rules and boxes
receipt.py  the payment receipt's page (duely_presentation.receipt.ReceiptView → PDF bytes)
"""
