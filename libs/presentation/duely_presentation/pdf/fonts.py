"""The documents' typeface: DejaVu Sans, regular and bold, embedded (as subsets) in every PDF we draw (the
invoice, where PDF/A requires it, and the payment receipt).

DejaVu covers Latin, Greek and Cyrillic with the currency signs, arrows and
no-break spaces our formats use. The files come with the system (Debian's
fonts-dejavu-core, which fontconfig depends on); fc-match finds them elsewhere.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

from fontTools.ttLib import TTFont as FontFile
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

REGULAR = "DejaVuSans"
BOLD = "DejaVuSans-Bold"
_FILES = {REGULAR: ("DejaVuSans.ttf", "DejaVu Sans:style=Book"),
          BOLD: ("DejaVuSans-Bold.ttf", "DejaVu Sans:style=Bold")}
_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"),
         Path("/usr/share/fonts/TTF"), Path("/usr/local/share/fonts"))


@dataclass(frozen=True)
class Metrics:
    """The font's vertical metrics as browsers (and WeasyPrint) place lines: hhea ascender and descender, in em."""

    ascent: float
    descent: float


_metrics: Metrics | None = None
_lock = threading.Lock()


class FontMissing(RuntimeError):
    pass


def _find(file_name: str, pattern: str) -> Path:
    for folder in _DIRS:
        if (folder / file_name).is_file():
            return folder / file_name
    if shutil.which("fc-match"):
        found = subprocess.run(["fc-match", "--format=%{file}", pattern], capture_output=True, text=True).stdout
        if found.endswith(file_name) and Path(found).is_file():
            return Path(found)
    raise FontMissing(f"{file_name} not found: install fonts-dejavu-core")


def register() -> Metrics:
    """Register both faces with reportlab (once per process) and give their shared line metrics."""
    global _metrics
    with _lock:
        if _metrics is None:
            paths = {name: _find(*spec) for name, spec in _FILES.items()}
            for name, path in paths.items():
                pdfmetrics.registerFont(TTFont(name, str(path)))
            font = FontFile(str(paths[REGULAR]), lazy=True)
            units, hhea = font["head"].unitsPerEm, font["hhea"]
            _metrics = Metrics(hhea.ascent / units, -hhea.descent / units)
        return _metrics
