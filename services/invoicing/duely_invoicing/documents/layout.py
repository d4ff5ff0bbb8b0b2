"""The invoice's pages: the presentation model (duely_presentation.view.InvoiceView, every string already worded
and formatted for the locale) drawn on a reportlab canvas.

Top to bottom: the merchant's logo and name beside the title, stamp and
dates; the two parties; the lines (their header repeated on each page they
continue on); the tax breakdown beside the totals and the amount due; the
legal tax notice; how to pay; the notes. Each page carries the merchant's
footer and "Page n of m"; a draft carries its watermark. The merchant's accent
colour marks the title, section titles, rules and the amount due.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from reportlab.pdfgen.canvas import Canvas

from duely_invoicing.documents import logo as logos
from duely_invoicing.documents.pages import (
    BOTTOM, CONTENT_TOP, CONTENT_WIDTH, LEFT, PAGE_WIDTH, Block, Section, paginate, paint,
)
from duely_presentation.pdf import shapes
from duely_presentation.pdf.text import (
    MM, MUTED, RED, RULE, SOFT, WHITE, Style, colour, draw, draw_lines, width, wrap,
)
from duely_presentation.view import InvoiceView

RIGHT_EDGE = LEFT + CONTENT_WIDTH
BODY = Style()
STRONG = Style(bold=True)
SMALL_MUTED = Style(size=7.5, colour=MUTED)
SUB = Style(size=8, colour=MUTED)
BORDER_GREY = colour("#9ca3af")
TAXES_RULE = colour("#d1d5db")
P_MARGIN = 9  # a paragraph's 1em margin
LOGO_BOX = (60 * MM, 18 * MM)


def draw_invoice(c: Canvas, v: InvoiceView) -> None:
    accent = colour(v.accent)
    sections = [_header(v, accent)]
    if v.is_draft:
        notice = wrap(v.labels["draft_notice"], STRONG, CONTENT_WIDTH)
        sections.append(Section([_paragraph(notice, STRONG.but(colour=RED))], space_before=3 * MM))
    sections.append(Section([_parties(v, accent)], space_before=7 * MM))
    sections.append(_lines_table(v, accent))
    sections.append(Section([_summary(v, accent)], space_before=6 * MM, keep_together=True))
    if v.tax_notice:
        sections.append(Section([_boxed_notice(v.tax_notice)], space_before=6 * MM, keep_together=True))
    if v.is_payable and v.payment_ways:
        sections.append(Section(_payment(v, accent), space_before=7 * MM, keep_together=True))
    if v.memo:
        title = _section_title(v.labels["notes"], accent)
        memo = [_paragraph([line], BODY) for line in wrap(v.memo, BODY, CONTENT_WIDTH, keep_newlines=True)]
        sections.append(Section([title, *memo], space_before=7 * MM, keep_together=True))
    pages = paginate(sections)
    paint(c, pages, _furniture(v), _watermark(v.labels["draft"]) if v.is_draft else None)


# --- building blocks -------------------------------------------------------------------------------------

def _paragraph(lines: list[str], style: Style, *, x: float = LEFT, space_after: float = 0) -> Block:
    return Block(len(lines) * style.leading + space_after, lambda c, top: draw_lines(c, lines, style, x, top))


def _section_title_style(accent) -> Style:
    return Style(size=7.5, bold=True, colour=accent, tracking=0.6, upper=True)


def _section_title(label: str, accent, *, space_after: float = 1.5 * MM) -> Block:
    return _paragraph([label], _section_title_style(accent), space_after=space_after)


# --- the header: brand on the left, title and dates on the right ------------------------------------------

def _header(v: InvoiceView, accent) -> Section:
    brand_width = 0.42 * CONTENT_WIDTH  # the title and dates take the rest, right-aligned
    logo = logos.load(v.logo_url, *LOGO_BOX)
    logo_size = logo.size_within(*LOGO_BOX) if logo else (0, 0)
    company_style = Style(size=12, bold=True)
    company = wrap(v.seller.name, company_style, brand_width)
    brand_height = (logo_size[1] + 2 * MM if logo else 0) + len(company) * company_style.leading

    title_style = Style(size=22, bold=True, colour=accent, tracking=0.5)
    tag_style = Style(size=11, bold=True, colour=accent, tracking=0.5, upper=True)
    tag = v.labels["draft"] if v.is_draft else None
    tag_pad = (0.5 * MM, 2 * MM)
    title_height = title_style.leading + 4 * MM
    stamp_style = STRONG.but(colour=RED, upper=True)
    stamp_pad = (0.8 * MM, 3 * MM)
    stamp_height = stamp_style.leading + 2 * stamp_pad[0] + 3 if v.stamp else 0
    meta_label, meta_value = BODY.but(colour=MUTED), STRONG
    meta_row = BODY.leading + 0.8 * MM
    value_width = max((width(value, meta_value) for _, value in v.meta), default=0)
    heading_height = title_height + (stamp_height + 3 * MM if v.stamp else 0) + len(v.meta) * meta_row
    rule_gap, rule = 5 * MM, 2
    height = max(brand_height, heading_height) + rule_gap + rule

    def paint_header(c: Canvas, top: float) -> None:
        y = top
        if logo:
            logo.draw(c, LEFT, y - logo_size[1], *logo_size)
            y -= logo_size[1] + 2 * MM
        draw_lines(c, company, company_style, LEFT, y)

        y = top
        right = RIGHT_EDGE
        if tag:
            tag_box_width = width(tag, tag_style) + 2 * tag_pad[1] + 2
            baseline = top - title_style.baseline
            # vertical-align: middle puts the tag's middle half an x-height (≈ 0.27 em) above the title's baseline
            tag_baseline = baseline + 0.27 * title_style.size - (tag_style.ascent - tag_style.descent) / 2
            box_top = tag_baseline + tag_style.ascent + tag_pad[0] + 1
            box_height = tag_style.ascent + tag_style.descent + 2 * tag_pad[0] + 2
            shapes.box(c, right - tag_box_width, box_top, tag_box_width, box_height, 1, accent)
            draw(c, tag, tag_style, right - tag_box_width + 1 + tag_pad[1], tag_baseline + tag_style.baseline)
            right -= tag_box_width + width(" ", title_style)
        draw(c, v.labels["invoice"], title_style, right, y, align="right")
        y -= title_height
        if v.stamp:
            stamp_width = width(v.stamp, stamp_style) + 2 * stamp_pad[1] + 3
            shapes.box(c, RIGHT_EDGE - stamp_width, y, stamp_width, stamp_height, 1.5, RED)
            draw(c, v.stamp, stamp_style, RIGHT_EDGE - stamp_width + 1.5 + stamp_pad[1], y - 1.5 - stamp_pad[0])
            y -= stamp_height + 3 * MM
        for label, value in v.meta:
            row_top = y - 0.4 * MM
            draw(c, value, meta_value, RIGHT_EDGE, row_top, align="right")
            draw(c, label, meta_label, RIGHT_EDGE - value_width - 4 * MM, row_top, align="right")
            y -= meta_row
        shapes.rule(c, LEFT, RIGHT_EDGE, top - height + rule / 2, rule, accent)

    return Section([Block(height, paint_header)])


# --- the parties ---------------------------------------------------------------------------------------------

def _parties(v: InvoiceView, accent) -> Block:
    column = 0.47 * CONTENT_WIDTH
    name_style = Style(size=10, bold=True)
    tax_style = BODY.but(colour=SOFT)
    columns = []
    for x, title, party in ((LEFT, v.labels["from"], v.seller), (LEFT + 0.53 * CONTENT_WIDTH, v.labels["bill_to"],
                                                                   v.buyer)):
        rows: list[tuple[list[str], Style, float]] = [([title], _section_title_style(accent), 1.5 * MM),
                                                      (wrap(party.name, name_style, column), name_style, 0)]
        for line in [*party.lines, *([party.email] if party.email else [])]:
            rows.append((wrap(line, BODY, column), BODY, 0))
        if party.tax_id:
            rows.append(([], BODY, 1 * MM))  # the tax id's margin
            rows.append((wrap(f"{v.labels['tax_id']}: {party.tax_id}", tax_style, column), tax_style, 0))
        columns.append((x, rows))
    height = max(sum(len(lines) * style.leading + gap for lines, style, gap in rows) for _, rows in columns)

    def paint_parties(c: Canvas, top: float) -> None:
        for x, rows in columns:
            y = top
            for lines, style, gap in rows:
                y = draw_lines(c, lines, style, x, y) - gap

    return Block(height, paint_parties)


# --- the lines ------------------------------------------------------------------------------------------------

def _lines_table(v: InvoiceView, accent) -> Section:
    head_style = Style(size=7.5, bold=True, colour=SOFT, upper=True)
    pad = 2 * MM
    headers = [v.labels["description"], v.labels["quantity"], v.labels["unit_price"],
               *([v.labels["tax"]] if v.show_tax_column else []), v.labels["amount"]]
    cells = [[line.quantity, line.unit_price, *([line.taxes] if v.show_tax_column else []), line.amount]
             for line in v.lines]
    # Fixed layout as the HTML had it (description 46 %, the rest shared), but a figure never overflows its
    # column: a numeric column widens to its widest figure, taken from the description.
    share = (0.54 * CONTENT_WIDTH - 2 * pad) / (len(headers) - 1)  # 46 % is the description's content width
    numeric = [max([share, width(headers[i + 1], head_style) + 2 * pad,
                    *(width(row[i], BODY) + 2 * pad for row in cells)]) for i in range(len(headers) - 1)]
    description = max(CONTENT_WIDTH - sum(numeric), 0.25 * CONTENT_WIDTH)
    rights = [LEFT + description + sum(numeric[:i + 1]) - pad for i in range(len(numeric))]

    head_height = 3 * MM + head_style.leading + 1.2

    def paint_head(c: Canvas, top: float) -> None:
        draw(c, headers[0], head_style, LEFT + pad, top - 1.5 * MM)
        for header, right in zip(headers[1:], rights):
            draw(c, header, head_style, right, top - 1.5 * MM, align="right")
        shapes.rule(c, LEFT, RIGHT_EDGE, top - head_height + 0.6, 1.2, accent)

    rows = []
    for line, figures in zip(v.lines, cells):
        text = wrap(line.description, BODY, description - 2 * pad)
        subs = [s for s in (f"{v.labels['period']}: {line.period}" if line.period else None, line.discount) if s]
        sub_lines = [part for s in subs for part in wrap(s, SUB, description - 2 * pad)]
        content = max(len(text) * BODY.leading + len(sub_lines) * SUB.leading, BODY.leading)
        rows.append(Block(content + 2 * pad + 0.5, _row_painter(text, sub_lines, figures, rights, pad,
                                                                 content + 2 * pad + 0.5)))
    head = Block(head_height, paint_head)
    if not rows:  # a draft without lines yet: the header alone
        return Section([head], space_before=7 * MM)
    return Section(rows, space_before=7 * MM, repeat=head)


def _row_painter(text: list[str], sub_lines: list[str], figures: list[str], rights: list[float], pad: float,
                 height: float) -> Callable[[Canvas, float], None]:
    def paint_row(c: Canvas, top: float) -> None:
        y = draw_lines(c, text, BODY, LEFT + pad, top - pad)
        draw_lines(c, sub_lines, SUB, LEFT + pad, y)
        for figure, right in zip(figures, rights):
            draw(c, figure, BODY, right, top - pad, align="right")
        shapes.rule(c, LEFT, RIGHT_EDGE, top - height + 0.25, 0.5, RULE)
    return paint_row


# --- tax breakdown and totals -------------------------------------------------------------------------------

def _summary(v: InvoiceView, accent) -> Block:
    """The tax breakdown on the left, the totals on the right; figures too wide to sit side by side (amounts in
    the billions) put the breakdown above the totals instead."""
    right = _totals(v, accent)
    beside = CONTENT_WIDTH - right.width - 10 * MM
    left = _tax_breakdown(v, accent, min(96 * MM, beside)) if v.tax_rows else None
    stacked = left is not None and left.width > beside
    if stacked:
        left = _tax_breakdown(v, accent, CONTENT_WIDTH)
    left_height = left.height + 6 * MM if stacked else 0
    height = left_height + right.height if stacked else max(left.height if left else 0, right.height)

    def paint_summary(c: Canvas, top: float) -> None:
        if left:
            left.paint(c, top)
        right.paint(c, top - left_height)

    return Block(height, paint_summary)


@dataclass
class _Column(Block):
    width: float = 0


def _tax_breakdown(v: InvoiceView, accent, table_width: float) -> _Column:
    pad = 1.5 * MM
    head_style = SMALL_MUTED
    headers = ["", v.labels["rate"], v.labels["taxable_amount"], v.labels["tax_amount"]]
    # Column widths as CSS's automatic table layout gives them: each column's widest content, the spare width
    # shared in proportion; the tax's name wraps when the figures leave it too little.
    natural = [max([width(headers[i], head_style), *(width(row[i], BODY) for row in v.tax_rows)]) + 2 * pad
               for i in range(4)]
    if sum(natural) <= table_width:
        widths = [w * table_width / sum(natural) for w in natural]
    else:
        widths = [max(table_width - sum(natural[1:]), 20 * MM), *natural[1:]]
    table_width = sum(widths)
    name_lines = [wrap(row[0], BODY, widths[0] - 2 * pad) for row in v.tax_rows]
    title = _section_title(v.labels["tax_breakdown"], accent)
    head_height = head_style.leading + 2 * MM + 0.5
    rows_height = sum(len(lines) * BODY.leading + 2 * MM for lines in name_lines)
    height = title.height + head_height + rows_height

    def paint_breakdown(c: Canvas, top: float) -> None:
        title.paint(c, top)
        y = top - title.height
        x = LEFT
        for header, w in zip(headers, widths):
            if header:
                draw(c, header, head_style, x + w - pad, y - 1 * MM, align="right")
            x += w
        y -= head_height
        shapes.rule(c, LEFT, LEFT + table_width, y + 0.25, 0.5, TAXES_RULE)
        for row, lines in zip(v.tax_rows, name_lines):
            draw_lines(c, lines, BODY, LEFT + pad, y - 1 * MM)
            x = LEFT + widths[0]
            for figure, w in zip(row[1:], widths[1:]):
                draw(c, figure, BODY, x + w - pad, y - 1 * MM, align="right")
                x += w
            y -= len(lines) * BODY.leading + 2 * MM

    return _Column(height, paint_breakdown, table_width)


def _totals(v: InvoiceView, accent) -> _Column:
    due_label, due_value = Style(size=8, bold=True, upper=True), Style(size=13, bold=True, colour=accent)
    due_pad = (2 * MM, 3 * MM)
    # 72 mm, or wider when the amount due and its label need it.
    box_width = max(72 * MM, width(v.labels["amount_due"], due_label) + width(v.amount_due, due_value)
                    + 2 * due_pad[1] + 2 * 1.2 + 4 * MM)
    x0 = RIGHT_EDGE - box_width
    value_width = max(width(row.value, STRONG if row.strong else BODY) for row in v.totals)
    label_width = box_width - value_width - 2 * MM
    rows = []
    for row in v.totals:
        label_style = (STRONG if row.strong else BODY).but(colour=SOFT)
        lines = wrap(row.label, label_style, label_width)
        top_pad = 1.5 * MM + 0.8 if row.strong else 1 * MM
        rows.append((row, lines, label_style, top_pad, top_pad + len(lines) * BODY.leading + 1 * MM))
    due_height = due_value.leading + 2 * due_pad[0] + 2 * 1.2
    height = sum(r[-1] for r in rows) + 2 * MM + due_height

    def paint_totals(c: Canvas, top: float) -> None:
        y = top
        for row, lines, label_style, top_pad, row_height in rows:
            if row.strong:
                shapes.rule(c, x0, RIGHT_EDGE, y - 0.4, 0.8, BORDER_GREY)
            draw_lines(c, lines, label_style, x0, y - top_pad)
            draw(c, row.value, STRONG if row.strong else BODY, RIGHT_EDGE, y - top_pad, align="right")
            y -= row_height
        y -= 2 * MM
        shapes.box(c, x0, y, box_width, due_height, 1.2, accent)
        baseline = y - 1.2 - due_pad[0] - due_value.baseline
        draw(c, v.labels["amount_due"], due_label, x0 + 1.2 + due_pad[1], baseline + due_label.baseline)
        draw(c, v.amount_due, due_value, RIGHT_EDGE - 1.2 - due_pad[1], baseline + due_value.baseline,
             align="right")

    return _Column(height, paint_totals, box_width)


def _boxed_notice(notice: str) -> Block:
    pad, border = (2 * MM, 3 * MM), 0.3 * MM
    lines = wrap(notice, STRONG, CONTENT_WIDTH - 2 * pad[1] - 2 * border)
    height = len(lines) * STRONG.leading + 2 * pad[0] + 2 * border

    def paint_notice(c: Canvas, top: float) -> None:
        shapes.box(c, LEFT, top, CONTENT_WIDTH, height, border, BORDER_GREY)
        draw_lines(c, lines, STRONG, LEFT + border + pad[1], top - border - pad[0])

    return Block(height, paint_notice)


# --- how to pay ---------------------------------------------------------------------------------------------

def _payment(v: InvoiceView, accent) -> list[Block]:
    blocks = [_section_title(v.labels["how_to_pay"], accent, space_after=0)]
    gap = P_MARGIN  # the first paragraph's margin, larger than the title's
    for way in v.payment_ways:
        if way["kind"] == "online":
            blocks.append(_pay_online(way["intro"], f"{v.labels['pay_online']} →", way["url"], accent, gap))
            gap = P_MARGIN
        elif way["kind"] == "autopay":
            text = wrap(f"{way['intro']} {''.join(way['lines'])}", STRONG, CONTENT_WIDTH)
            blocks.append(_spaced(gap, _paragraph(text, STRONG)))
            gap = P_MARGIN
        else:
            blocks.append(_spaced(max(gap, 3 * MM), _bank(way)))
            gap = 3 * MM
    return blocks


def _spaced(space: float, block: Block) -> Block:
    return Block(space + block.height, lambda c, top: block.paint(c, top - space))


def _pay_online(intro: str, button: str, url: str, accent, gap: float) -> Block:
    """The intro, then the pay button (a link) at the end of its last line, or under it when it won't fit."""
    pad = (1.2 * MM, 4 * MM)
    button_width = width(button, STRONG) + 2 * pad[1]
    lines = wrap(intro, BODY, CONTENT_WIDTH)
    inline = width(lines[-1], BODY) + width(" ", BODY) + button_width <= CONTENT_WIDTH
    rows = len(lines) + (0 if inline else 1)

    def paint_online(c: Canvas, top: float) -> None:
        top -= gap
        draw_lines(c, lines, BODY, LEFT, top)
        line_top = top - (rows - 1) * BODY.leading
        x = LEFT + width(lines[-1], BODY) + width(" ", BODY) if inline else LEFT
        baseline = line_top - BODY.baseline
        bottom = baseline - BODY.descent - pad[0]  # an inline box's background: the glyphs' box and its padding
        height = BODY.ascent + BODY.descent + 2 * pad[0]
        c.setFillColorRGB(*accent)
        c.rect(x, bottom, button_width, height, stroke=0, fill=1)
        draw(c, button, STRONG.but(colour=WHITE), x + pad[1], line_top)
        c.linkURL(url, (x, bottom, x + button_width, bottom + height), relative=0, thickness=0, F=4)

    return Block(gap + rows * BODY.leading, paint_online)


def _bank(way: dict) -> Block:
    label_style = BODY.but(colour=MUTED)
    title = wrap(way["title"], STRONG, CONTENT_WIDTH)
    intro = wrap(way["intro"], BODY, CONTENT_WIDTH)
    mail_to = [part for line in way["lines"] for part in wrap(line, BODY, CONTENT_WIDTH)]
    rows = way["rows"] if way["kind"] == "transfer" else []
    label_width = max((width(label, label_style) for label, _ in rows), default=0) + 4 * MM
    values = [wrap(value, BODY, CONTENT_WIDTH - label_width) for _, value in rows]
    row_pad = 0.3 * MM
    height = (len(title) * STRONG.leading + 1 * MM + len(intro) * BODY.leading + 1 * MM
              + (len(mail_to) * BODY.leading + 1 * MM if mail_to else 0)
              + sum(len(lines) * BODY.leading + 2 * row_pad for lines in values))

    def paint_bank(c: Canvas, top: float) -> None:
        y = draw_lines(c, title, STRONG, LEFT, top) - 1 * MM
        y = draw_lines(c, intro, BODY, LEFT, y) - 1 * MM
        if mail_to:
            y = draw_lines(c, mail_to, BODY, LEFT, y) - 1 * MM
        for (label, _), lines in zip(rows, values):
            draw(c, label, label_style, LEFT, y - row_pad)
            y = draw_lines(c, lines, BODY, LEFT + label_width, y - row_pad) - row_pad

    return Block(height, paint_bank)


# --- on every page ------------------------------------------------------------------------------------------

def _furniture(v: InvoiceView) -> Callable[[Canvas, int, int], None]:
    footer = wrap(v.footer, SMALL_MUTED, 0.75 * CONTENT_WIDTH, keep_newlines=True) if v.footer else []

    def paint_furniture(c: Canvas, number: int, total: int) -> None:
        draw_lines(c, footer, SMALL_MUTED, LEFT, BOTTOM)
        draw(c, f"{v.labels['page']} {number} {v.labels['of']} {total}", SMALL_MUTED, RIGHT_EDGE, BOTTOM,
             align="right")

    return paint_furniture


def _watermark(word: str) -> Callable[[Canvas], None]:
    style = Style(size=72, bold=True, colour=RULE, upper=True)

    def paint_watermark(c: Canvas) -> None:
        c.saveState()
        c.translate(PAGE_WIDTH / 2, CONTENT_TOP - 105 * MM - style.leading / 2)
        c.rotate(30)
        draw(c, word, style, 0, style.leading / 2, align="center")
        c.restoreState()

    return paint_watermark

