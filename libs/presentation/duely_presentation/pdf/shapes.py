"""Lines and boxes on the page, with borders drawn as CSS draws them."""

from __future__ import annotations

from reportlab.pdfgen.canvas import Canvas

from duely_presentation.pdf.text import Colour


def rule(c: Canvas, x0: float, x1: float, y: float, thickness: float, rgb: Colour) -> None:
    c.setStrokeColorRGB(*rgb)
    c.setLineWidth(thickness)
    c.line(x0, y, x1, y)


def box(c: Canvas, x: float, y_top: float, w: float, h: float, thickness: float, rgb: Colour) -> None:
    """A rectangle's border drawn inside the box (as a CSS border is)."""
    c.setStrokeColorRGB(*rgb)
    c.setLineWidth(thickness)
    half = thickness / 2
    c.rect(x + half, y_top - h + half, w - thickness, h - thickness, stroke=1, fill=0)
