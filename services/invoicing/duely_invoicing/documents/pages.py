"""Blocks flowed onto A4 pages: what goes on which page is decided before anything is drawn, so every page can
say "Page 2 of 3".

A Block is an unbreakable strip of the content width (a line of the table, the
totals); a Section is a run of blocks with the space above it, kept together
on one page when it fits on one (as CSS page-break-inside: avoid), and, for
the lines table, a header block repeated at the top of each page it continues on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

from duely_presentation.pdf.text import MM

PAGE_WIDTH, PAGE_HEIGHT = A4
LEFT = RIGHT = TOP = 16 * MM
BOTTOM = 22 * MM
CONTENT_WIDTH = PAGE_WIDTH - LEFT - RIGHT
CONTENT_TOP = PAGE_HEIGHT - TOP


@dataclass
class Block:
    height: float
    paint: Callable[[Canvas, float], None]  # draws the block with its top edge at y


@dataclass
class Section:
    blocks: list[Block]
    space_before: float = 0
    keep_together: bool = False
    repeat: Block | None = None  # drawn again above the blocks that continue on a new page


@dataclass
class Page:
    placed: list[tuple[float, Block]] = field(default_factory=list)


def paginate(sections: list[Section]) -> list[Page]:
    pages = [Page()]
    y = CONTENT_TOP
    usable = CONTENT_TOP - BOTTOM

    def new_page() -> None:
        nonlocal y
        pages.append(Page())
        y = CONTENT_TOP

    def place(block: Block) -> None:
        nonlocal y
        pages[-1].placed.append((y, block))
        y -= block.height

    for section in sections:
        if not section.blocks:
            continue
        if pages[-1].placed:
            y -= section.space_before  # a section that starts a page has no space above it, as in CSS
        header = section.repeat.height if section.repeat else 0
        total = sum(b.height for b in section.blocks) + header
        if pages[-1].placed and (
                (section.keep_together and y - total < BOTTOM and total <= usable)
                or y - header - section.blocks[0].height < BOTTOM):  # no table header alone at a page's foot
            new_page()
        if section.repeat:
            place(section.repeat)
        for i, block in enumerate(section.blocks):
            # The first block goes where the section starts (checked above); a block taller than a page is
            # drawn from the top of one all the same, and cut at its foot.
            if i and y - block.height < BOTTOM:
                new_page()
                if section.repeat:
                    place(section.repeat)
            place(block)
    return pages


def paint(c: Canvas, pages: list[Page], furniture: Callable[[Canvas, int, int], None],
          background: Callable[[Canvas], None] | None = None) -> None:
    """Each page: the background (a draft's watermark), its blocks, then the furniture (footer, page number)."""
    for number, page in enumerate(pages, start=1):
        if background:
            background(c)
        for top, block in page.placed:
            block.paint(c, top)
        furniture(c, number, len(pages))
        c.showPage()
