"""DocumentInput → PDF/A-3b, drawn with reportlab (layout.py), with the Factur-X XML embedded when issued.

The presentation model is the one the hosted page and the emails render
(duely_presentation.view), so every figure reads the same on all of them.
Drawing the page directly costs a few milliseconds where HTML layout
(WeasyPrint) cost 50–70. Rendering is still CPU work: `render_invoice_async`
runs it on one dedicated thread, outside any database transaction, so the
event loop keeps serving; one thread also means reportlab's fonts, whose
subsetting state is per document, are never used by two renders at once.
"""

from __future__ import annotations

import asyncio
import io
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

from reportlab import rl_config
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from duely_invoicing.documents import facturx, layout, pdfa
from duely_presentation.content import DocumentInput
from duely_presentation.pdf import fonts
from duely_presentation.view import build_view

# Factur-X: the XML is the invoice's data ("Data"); "Alternative" is for XRechnung-style equivalence.
FACTURX_RELATIONSHIP = "Data"
PDF_VERSION = (1, 7)  # PDF/A-3 is based on PDF 1.7
rl_config.useA85 = 0  # binary streams: ASCII85 makes them a quarter larger and slower to write

_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pdf-render")


def render_pdf(doc: DocumentInput, facturx_xml: bytes | None = None) -> bytes:
    """The PDF/A-3b bytes; with `facturx_xml`, embedded as factur-x.xml with the Factur-X XMP.

    Runs on the render thread (render_invoice / render_invoice_async put it there).
    """
    view = build_view(doc)
    fonts.register()
    out = io.BytesIO()
    canvas = Canvas(out, pagesize=A4, pdfVersion=PDF_VERSION, pageCompression=1, initialFontName=fonts.REGULAR,
                    lang=view.lang)
    layout.draw_invoice(canvas, view)
    attachment = None if facturx_xml is None else pdfa.Attachment(
        facturx.FILENAME, facturx_xml, "text/xml", "Factur-X invoice (EN 16931)", FACTURX_RELATIONSHIP)
    pdfa.conform(canvas, title=view.title, author=view.seller.name, lang=view.lang,
                 stamp=datetime.now(timezone.utc).replace(microsecond=0),
                 xmp_extra=facturx.XMP_DESCRIPTIONS if attachment else "", attachment=attachment)
    canvas.save()
    return out.getvalue()


def _render_invoice(doc: DocumentInput) -> bytes:
    xml = facturx.build_xml(doc) if facturx.can_build(doc) else None
    return render_pdf(doc, xml)


def render_invoice(doc: DocumentInput) -> bytes:
    """The invoice PDF (blocking): issued invoices carry their Factur-X XML; drafts (no number) don't, nor do
    invoices that lack what EN 16931 requires (see en16931.missing_facts): they stay plain PDFs."""
    return _executor.submit(_render_invoice, doc).result()


async def render_invoice_async(doc: DocumentInput) -> bytes:
    return await asyncio.get_running_loop().run_in_executor(_executor, _render_invoice, doc)
