"""Invoice documents: the PDF (PDF/A-3b) a finance team files and the Factur-X XML a machine reads.

content.py  invoice snapshot → DocumentInput (pure data, no I/O)
i18n.py     labels and number/date formats per locale (Babel)
facturx.py  DocumentInput → EN 16931 CII XML (drafthorse) and its XMP metadata
renderer.py DocumentInput → HTML (Jinja2) → PDF (WeasyPrint, one shared FontConfiguration)
service.py  render once per invoice version, cache in invoice_documents
api.py      GET /v1/invoices/{id}/pdf and /facturx.xml
bench.py    median render time for `make bench`
"""
