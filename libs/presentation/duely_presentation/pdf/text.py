"""Text on the page: styles, widths, wrapping and drawing (reportlab canvas, DejaVu Sans).

Lines are placed as CSS places them (line-height 1.35 unless a style says
otherwise, the glyphs centred in the line box by the font's hhea metrics), so
the layouts read like the HTML documents did.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from duely_presentation.pdf import fonts

LINE_HEIGHT = 1.35
MM = 72 / 25.4
_SPACES = re.compile(r"\s+")

Colour = tuple[float, float, float]


def colour(hex_code: str) -> Colour:
    """'#0a7d4f' or '#abc' → RGB in 0..1."""
    digits = hex_code.lstrip("#")
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    return tuple(int(digits[i:i + 2], 16) / 255 for i in (0, 2, 4))  # type: ignore[return-value]


INK = colour("#1f2937")
MUTED = colour("#6b7280")
SOFT = colour("#374151")
RULE = colour("#e5e7eb")
RED = colour("#b91c1c")
WHITE = (1.0, 1.0, 1.0)


@dataclass(frozen=True)
class Style:
    size: float = 9
    bold: bool = False
    colour: Colour = INK
    tracking: float = 0  # letter-spacing, pt
    upper: bool = False
    line_height: float = LINE_HEIGHT  # in em

    @property
    def font(self) -> str:
        return fonts.BOLD if self.bold else fonts.REGULAR

    @property
    def leading(self) -> float:
        return self.size * self.line_height

    @property
    def ascent(self) -> float:
        return fonts.register().ascent * self.size

    @property
    def descent(self) -> float:
        return fonts.register().descent * self.size

    @property
    def baseline(self) -> float:
        """From the top of a line box to its baseline (the glyphs' box centred in the line, as CSS does)."""
        return (self.leading - self.ascent - self.descent) / 2 + self.ascent

    def but(self, **changes) -> "Style":
        return replace(self, **changes)

    def shown(self, text: str) -> str:
        return text.upper() if self.upper else text


def width(text: str, style: Style) -> float:
    text = style.shown(text)
    return stringWidth(text, style.font, style.size) + style.tracking * len(text)


def wrap(text: str, style: Style, max_width: float, *, keep_newlines: bool = False) -> list[str]:
    """Greedy lines no wider than max_width: spaces collapse (or, with keep_newlines, line breaks stay, as
    CSS pre-line); a word wider than a line is cut wherever it must (overflow-wrap: anywhere)."""
    paragraphs = text.split("\n") if keep_newlines else [text]
    lines: list[str] = []
    for paragraph in paragraphs:
        words = _SPACES.split(paragraph.strip())
        current = ""
        for word in words:
            candidate = f"{current} {word}" if current else word
            if width(candidate, style) <= max_width:
                current = candidate
                continue
            if current:
                lines.append(current)
            current = ""
            while width(word, style) > max_width:
                cut = _fitting(word, style, max_width)
                lines.append(word[:cut])
                word = word[cut:]
            current = word
        lines.append(current)
    return lines


def _fitting(word: str, style: Style, max_width: float) -> int:
    """How many leading characters of `word` fit in max_width (at least one, so wrapping always advances)."""
    total = 0.0
    for i, char in enumerate(word):
        total += width(char, style)
        if total > max_width:
            return max(i, 1)
    return len(word)


def draw(c: Canvas, text: str, style: Style, x: float, top: float, *, align: str = "left") -> None:
    """One line of text whose line box starts at `top`; x is its left edge, or its right edge when right-aligned,
    or its centre."""
    shown = style.shown(text)
    if align == "right":
        x -= width(text, style)
    elif align == "center":
        x -= width(text, style) / 2
    c.setFont(style.font, style.size)
    c.setFillColorRGB(*style.colour)
    c.drawString(x, top - style.baseline, shown, charSpace=style.tracking)


def draw_lines(c: Canvas, lines: list[str], style: Style, x: float, top: float, *, align: str = "left") -> float:
    """Lines one under the other from `top`; returns the y below the last."""
    for line in lines:
        draw(c, line, style, x, top, align=align)
        top -= style.leading
    return top
