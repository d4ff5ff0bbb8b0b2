"""The payment receipt's page: a ReceiptView (every string already worded and formatted) drawn on a reportlab
canvas, as the HTML receipt looked when WeasyPrint laid it out.

Top to bottom: the merchant's name, the title and "For invoice N" over the accent rule; the two parties; the
amount paid in an accent box with its date and method; the payment's rows; the invoice's balance (the
remaining amount in bold); what that leaves ("paid in full" or what remains), the thanks and the payment's id.
The merchant's footer sits at the foot of each page. A plain PDF with its fonts embedded and a title: a receipt
is not an archived e-invoice, so it is not PDF/A.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from dataclasses import dataclass

from reportlab import rl_config
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from duely_presentation.pdf import fonts, shapes
from duely_presentation.pdf.text import MM, Style, colour, draw_lines, wrap
from duely_presentation.receipt import ReceiptView

rl_config.useA85 = 0  # binary streams: ASCII85 makes them a quarter larger and slower to write (as the invoice)

PX = 0.75  # a CSS pixel, in points
PAGE_WIDTH, PAGE_HEIGHT = A4
# The page's margins (22 mm 20 mm 24 mm) plus the body's own 8 px, as the HTML had them.
LEFT = 20 * MM + 8 * PX
CONTENT_WIDTH = PAGE_WIDTH - 2 * LEFT
RIGHT_EDGE = LEFT + CONTENT_WIDTH
CONTENT_TOP = PAGE_HEIGHT - 22 * MM - 8 * PX
CONTINUED_TOP = PAGE_HEIGHT - 22 * MM  # the body's margin is not repeated on the pages it continues on
CONTENT_BOTTOM = 24 * MM + 8 * PX
FOOTER_BOTTOM = 10 * MM  # the footer's foot, 14 mm into the page's bottom margin

INK = colour("#1f2430")
MUTED = colour("#6b7280")
RULE = colour("#e5e7eb")
BODY = Style(size=10, colour=INK, line_height=1.45)
BOLD = BODY.but(bold=True)
GREY = BODY.but(colour=MUTED)
SMALL_GREY = BODY.but(size=8.5, colour=MUTED)
FOOTER = BODY.but(size=8, colour=MUTED)
CELL_PAD = 4  # a table cell's padding above and below
LABEL_SHARE = 0.4  # of the table's width, for the row's label

_lock = threading.Lock()  # reportlab's fonts keep each document's subset in shared objects: one render at a time


def render(receipt: ReceiptView) -> bytes:
    fonts.register()
    out = io.BytesIO()
    with _lock:
        c = Canvas(out, pagesize=A4, pageCompression=1, initialFontName=fonts.REGULAR, lang=receipt.lang)
        c.setTitle(f"{receipt.title} · {receipt.number}")
        c.setAuthor(receipt.seller.name)
        c.setCreator("Duely")
        draw_receipt(c, receipt)
        c.save()
    return out.getvalue()


@dataclass
class Block:
    height: float
    paint: Callable[[Canvas, float], None]  # draws the block with its top edge at y
    space_before: float = 0  # the collapsed CSS margin above it; none at the top of a page


def draw_receipt(c: Canvas, r: ReceiptView) -> None:
    accent = colour(r.accent)
    section = Style(size=8, colour=accent, upper=True, tracking=0.05 * 8, line_height=1.45)
    blocks = [_header(r, accent), _parties(r, section, space_before=16), _paid(r, accent, space_before=18),
              _lines([r.labels["receipt_payment"]], section, space_before=16, space_after=3),
              *_rows(r.rows, strong_last=False),
              _lines([f"{r.labels['invoice']} {r.number}"], section, space_before=16, space_after=3),
              *_rows(r.balance, strong_last=True),
              _lines(wrap(r.outcome, BOLD, CONTENT_WIDTH), BOLD, space_before=16),
              _lines(wrap(r.thanks, BODY, CONTENT_WIDTH), BODY, space_before=10),
              _lines(wrap(r.reference, SMALL_GREY, CONTENT_WIDTH), SMALL_GREY, space_before=10)]
    footer = wrap(r.footer, FOOTER, PAGE_WIDTH - 40 * MM, keep_newlines=True) if r.footer else []
    y = CONTENT_TOP
    page_has_content = False
    for block in blocks:
        if page_has_content:
            y -= block.space_before
            if y - block.height < CONTENT_BOTTOM:  # a block that does not fit starts the next page
                _foot(c, footer)
                c.showPage()
                y = CONTINUED_TOP
        block.paint(c, y)
        y -= block.height
        page_has_content = True
    _foot(c, footer)
    c.showPage()


def _foot(c: Canvas, footer: list[str]) -> None:
    draw_lines(c, footer, FOOTER, 20 * MM, FOOTER_BOTTOM + len(footer) * FOOTER.leading)


def _lines(lines: list[str], style: Style, *, space_before: float = 0, space_after: float = 0) -> Block:
    return Block(len(lines) * style.leading + space_after, lambda c, top: draw_lines(c, lines, style, LEFT, top),
                 space_before)


def _header(r: ReceiptView, accent) -> Block:
    company = Style(size=14, bold=True, colour=INK, line_height=1.45)
    title = Style(size=20, bold=True, colour=accent, line_height=1.45)
    rows = [(wrap(r.seller.name, company, CONTENT_WIDTH), company), (wrap(r.title, title, CONTENT_WIDTH), title),
            (wrap(r.subtitle, GREY, CONTENT_WIDTH), GREY)]
    padding, border = 10, 3 * PX
    height = sum(len(lines) * style.leading for lines, style in rows) + padding + border

    def paint_header(c: Canvas, top: float) -> None:
        y = top
        for lines, style in rows:
            y = draw_lines(c, lines, style, LEFT, y)
        shapes.rule(c, LEFT, RIGHT_EDGE, top - height + border / 2, border, accent)

    return Block(height, paint_header)


def _parties(r: ReceiptView, section: Style, *, space_before: float) -> Block:
    # Two cells of half the table each, with the browser's 2 px border spacing and 1 px cell padding.
    spacing, pad = 2 * PX, 1 * PX
    cell = (CONTENT_WIDTH - 3 * spacing) / 2
    column = cell - 2 * pad
    columns = []
    for x, title, party in ((LEFT + spacing + pad, r.labels["from"], r.seller),
                            (LEFT + 2 * spacing + cell + pad, r.labels["bill_to"], r.buyer)):
        rows = [([title], section, 3), (wrap(party.name, BOLD, column), BOLD, 0)]
        rows += [(wrap(line, BODY, column), BODY, 0) for line in party.lines]
        if party.tax_id:
            rows.append((wrap(f"{r.labels['tax_id']}: {party.tax_id}", SMALL_GREY, column), SMALL_GREY, 0))
        columns.append((x, rows))
    inset = spacing + pad
    height = max(sum(len(lines) * style.leading + gap for lines, style, gap in rows) for _, rows in columns)
    height += 2 * inset

    def paint_parties(c: Canvas, top: float) -> None:
        for x, rows in columns:
            y = top - inset
            for lines, style, gap in rows:
                y = draw_lines(c, lines, style, x, y) - gap

    return Block(height, paint_parties, space_before)


def _paid(r: ReceiptView, accent, *, space_before: float) -> Block:
    border, pad = 1.5, (10, 14)
    inner = CONTENT_WIDTH - 2 * border - 2 * pad[1]
    value = Style(size=20, bold=True, colour=accent, line_height=1.45)
    rows = [(wrap(r.labels["receipt_amount"], GREY, inner), GREY), (wrap(r.amount, value, inner), value),
            (wrap(f"{r.paid_on} · {r.method}", BODY, inner), BODY)]
    height = sum(len(lines) * style.leading for lines, style in rows) + 2 * (border + pad[0])

    def paint_paid(c: Canvas, top: float) -> None:
        shapes.box(c, LEFT, top, CONTENT_WIDTH, height, border, accent)
        y = top - border - pad[0]
        for lines, style in rows:
            y = draw_lines(c, lines, style, LEFT + border + pad[1], y)

    return Block(height, paint_paid, space_before)


def _rows(rows: list[tuple[str, str]], *, strong_last: bool) -> list[Block]:
    """A label on the left (40 %), its value on the right, both centred in the row; a hairline under each row
    but a strong last one (the remaining balance), which is bold."""
    label_width = LABEL_SHARE * CONTENT_WIDTH - 8  # the label's cell keeps 8 pt from the value
    value_width = (1 - LABEL_SHARE) * CONTENT_WIDTH
    blocks = []
    for i, (label, value) in enumerate(rows):
        strong = strong_last and i == len(rows) - 1
        label_style, value_style = (BOLD, BOLD) if strong else (GREY, BODY)
        label_lines, value_lines = wrap(label, label_style, label_width), wrap(value, value_style, value_width)
        content = max(len(label_lines), len(value_lines)) * BODY.leading
        rule = 0 if strong else 0.5
        blocks.append(Block(content + 2 * CELL_PAD + rule,
                            _row_painter(label_lines, label_style, value_lines, value_style, content, rule)))
    return blocks


def _row_painter(label: list[str], label_style: Style, value: list[str], value_style: Style, content: float,
                 rule: float) -> Callable[[Canvas, float], None]:
    def paint_row(c: Canvas, top: float) -> None:
        inner_top = top - CELL_PAD
        draw_lines(c, label, label_style, LEFT, inner_top - (content - len(label) * label_style.leading) / 2)
        draw_lines(c, value, value_style, RIGHT_EDGE, inner_top - (content - len(value) * value_style.leading) / 2,
                   align="right")
        if rule:
            shapes.rule(c, LEFT, RIGHT_EDGE, inner_top - content - CELL_PAD - rule / 2, rule, RULE)
    return paint_row
