"""The merchant's logo: a data: URI (stored when the settings were saved, see duely_invoicing.logos) → an image
XObject on the page.

Decoding, flattening and compressing an image costs more than laying out a
page, and an organization sends the same logo on every invoice: the encoded
image is kept (a few, by URI), and each PDF only wraps the ready bytes.
Transparency is flattened onto the white page (a soft mask would be
transparency, which PDF/A-3 allows but archiving tools handle badly); the
image is scaled down to what 300 dpi needs at the largest size it is drawn.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import logging
import zlib
from dataclasses import dataclass
from functools import lru_cache

from PIL import Image, ImageFile, UnidentifiedImageError
from reportlab.pdfbase import pdfdoc
from reportlab.pdfgen.canvas import Canvas

log = logging.getLogger(__name__)

# A logo whose data is cut short or fails a checksum is drawn as far as it decodes, as browsers (the hosted
# page) and WeasyPrint before did. Pillow has this switch for the whole process only; nothing else here decodes.
ImageFile.LOAD_TRUNCATED_IMAGES = True
CSS_PX = 0.75  # pt: the image's natural size, as the HTML invoice showed it (96 px per inch)
MAX_DPI = 300


@dataclass(frozen=True)
class Logo:
    name: str
    pixels: tuple[int, int]
    natural: tuple[float, float]  # pt
    data: bytes  # zlib-compressed RGB samples

    def size_within(self, max_width: float, max_height: float) -> tuple[float, float]:
        """Its natural size, shrunk (never grown) to fit, as CSS max-width/max-height do."""
        w, h = self.natural
        scale = min(1.0, max_width / w, max_height / h)
        return w * scale, h * scale

    def draw(self, c: Canvas, x: float, y: float, w: float, h: float) -> None:
        doc = c._doc
        registered = doc.getXObjectName(self.name)
        if registered not in doc.idToObject:
            image = pdfdoc.PDFImageXObject(self.name)
            image.width, image.height = self.pixels
            image.bitsPerComponent, image.colorSpace = 8, "DeviceRGB"
            image._filters, image.streamContent, image.mask = ("FlateDecode",), self.data, None
            c._setXObjects(image)
            doc.Reference(image, registered)
            doc.addForm(self.name, image)
        c.saveState()
        c.translate(x, y)
        c.scale(w, h)
        c._code.append(f"/{registered} Do")
        c.restoreState()
        c._formsinuse.append(self.name)


def load(data_uri: str | None, max_width: float, max_height: float) -> Logo | None:
    """The logo of a data: URI, or None (no logo, a URL that is not data:, or bytes that are no image)."""
    if not data_uri or not data_uri.startswith("data:"):
        return None
    return _decode(data_uri, max_width, max_height)


@lru_cache(maxsize=32)
def _decode(data_uri: str, max_width: float, max_height: float) -> Logo | None:
    try:
        header, _, payload = data_uri.partition(",")
        raw = base64.b64decode(payload) if header.endswith(";base64") else payload.encode()
        image = Image.open(io.BytesIO(raw))
        image.load()
    except (binascii.Error, ValueError, OSError, UnidentifiedImageError):
        log.warning("logo left out: not a readable image")
        return None
    natural = (image.width * CSS_PX, image.height * CSS_PX)
    scale = min(1.0, max_width / natural[0], max_height / natural[1])
    limit = (natural[0] * scale * MAX_DPI / 72, natural[1] * scale * MAX_DPI / 72)
    rgba = image.convert("RGBA")
    flat = Image.new("RGB", image.size, (255, 255, 255))
    flat.paste(rgba, mask=rgba.getchannel("A"))
    if flat.width > limit[0] * 1.05:
        flat = flat.resize((max(1, round(limit[0])), max(1, round(limit[1]))), Image.LANCZOS, reducing_gap=3.0)
    name = "logo" + hashlib.sha1(data_uri.encode()).hexdigest()[:16]
    return Logo(name, flat.size, natural, zlib.compress(flat.tobytes()))
