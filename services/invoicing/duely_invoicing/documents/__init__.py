"""Invoice documents: the PDF (PDF/A-3b) a finance team files and the Factur-X XML a machine reads.

facturx.py  DocumentInput → EN 16931 CII XML (drafthorse) and its XMP metadata
renderer.py DocumentInput → PDF/A-3b (reportlab), on one render thread
layout.py   the invoice's page, drawn from the presentation model (pages.py flows it, logo.py draws the
            merchant's logo; type, fonts and boxes come from duely_presentation.pdf, shared with the receipt)
pdfa.py     what makes the PDF a PDF/A-3b: output intent, XMP, the embedded Factur-X file
service.py  render once per invoice version, cache in invoice_documents
router.py   GET /v1/invoices/{id}/pdf and /facturx.xml
bench.py    median render time for `make bench`

The DocumentInput comes from duely_presentation: content.py reads the InvoiceSnapshot into it, i18n.py
words and formats it per locale.
"""
