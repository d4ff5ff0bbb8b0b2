"""DocumentInput → HTML (Jinja2) → PDF/A-3b (WeasyPrint), with the Factur-X XML embedded when issued.

Rendering is CPU work (≈50 ms a page): `render_pdf_async` runs it on one
dedicated thread, outside any database transaction, so the event loop keeps
serving. One thread also means the one module-level FontConfiguration (reusing
it saves ~40 ms a render) is never shared between threads: Pango and
fontconfig make no promise that it would be safe.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

import jinja2
from weasyprint import CSS, HTML, Attachment
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from duely_invoicing.documents import facturx
from duely_presentation.content import DocumentInput
from duely_presentation.view import build_view

log = logging.getLogger(__name__)

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
PDF_VARIANT = "pdf/a-3b"
# Factur-X: the XML is the invoice's data ("Data"); "Alternative" is for XRechnung-style equivalence.
FACTURX_RELATIONSHIP = "Data"

_templates = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
                                autoescape=jinja2.select_autoescape(["html"]), undefined=jinja2.StrictUndefined,
                                trim_blocks=True, lstrip_blocks=True)
_font_config: FontConfiguration | None = None
_stylesheet: CSS | None = None
_font_lock = threading.Lock()
_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pdf-render")


def font_config() -> FontConfiguration:
    """The one FontConfiguration of this process, made on first use."""
    global _font_config
    with _font_lock:
        if _font_config is None:
            _font_config = FontConfiguration()
        return _font_config


def stylesheet() -> CSS:
    """The static stylesheet, parsed once (parsing it per render costs more than the layout of a line)."""
    global _stylesheet
    config = font_config()
    with _font_lock:
        if _stylesheet is None:
            _stylesheet = CSS(filename=str(TEMPLATES_DIR / "invoice.css"), font_config=config)
        return _stylesheet


class NoNetworkFetcher(URLFetcher):
    """Resolves data: URIs only. The logo arrives as one (stored when the settings were saved, see
    duely_invoicing.logos), so a render never fetches anything; any other URL a document might name
    is refused and left out by WeasyPrint."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols={"data"})


_fetcher = NoNetworkFetcher()  # used by the render thread only


def render_html(doc: DocumentInput) -> str:
    return _templates.get_template("invoice.html").render(v=build_view(doc))


def render_pdf(doc: DocumentInput, facturx_xml: bytes | None = None) -> bytes:
    """The PDF/A-3b bytes; with `facturx_xml`, embedded as factur-x.xml with the Factur-X XMP.

    Runs on the render thread (render_invoice / render_invoice_async put it there).
    """
    document = HTML(string=render_html(doc), base_url=str(TEMPLATES_DIR), url_fetcher=_fetcher).render(
        font_config=font_config(), stylesheets=[stylesheet()])
    if facturx_xml is not None:
        stamp = datetime.now(timezone.utc)
        document.metadata.attachments = [Attachment(
            string=facturx_xml.decode("utf-8"), name=facturx.FILENAME, description="Factur-X invoice (EN 16931)",
            relationship=FACTURX_RELATIONSHIP, created=stamp, modified=stamp)]
        document.metadata.xmp_metadata = [facturx.XMP_RDF]
    return document.write_pdf(pdf_variant=PDF_VARIANT, finisher=_list_associated_files_once)


def _list_associated_files_once(_document, pdf) -> None:
    """WeasyPrint 70 puts each embedded file in the catalog's /AF twice (from the name tree and from the
    file specs it scans); an associated file is listed once."""
    associated = pdf.catalog.get("AF")
    if associated:
        unique = list(dict.fromkeys(associated))  # references (bytes like b"12 0 R"), in order
        associated.clear()
        associated.extend(unique)


def _render_invoice(doc: DocumentInput) -> bytes:
    xml = facturx.build_xml(doc) if facturx.can_build(doc) else None
    return render_pdf(doc, xml)


def render_invoice(doc: DocumentInput) -> bytes:
    """The invoice PDF (blocking): issued invoices carry their Factur-X XML; drafts (no number) don't, nor do
    invoices that lack what EN 16931 requires (see en16931.missing_facts): they stay plain PDFs."""
    return _executor.submit(_render_invoice, doc).result()


async def render_invoice_async(doc: DocumentInput) -> bytes:
    return await asyncio.get_running_loop().run_in_executor(_executor, _render_invoice, doc)
