"""What makes a reportlab PDF a PDF/A-3b (ISO 19005-3, level B) with an associated file.

reportlab already embeds the TrueType subsets (fonts.py) and writes a file ID;
it knows nothing of PDF/A, so this adds to its catalog:
- an sRGB output intent (GTS_PDFA1, the ICC's sRGB2014 profile): every colour
  on the page is DeviceRGB;
- the XMP metadata (uncompressed) declaring pdfaid part 3, conformance B, and
  repeating the document info dictionary, which must agree with it (this
  module writes that dictionary too);
- for Factur-X, the XML as an embedded file listed in the catalog's /AF with
  its relationship, and the caller's extra XMP (the fx: schema).
Nothing here uses transparency, encryption, JavaScript or unembedded fonts.
"""

from __future__ import annotations

import hashlib
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.pdfbase import pdfdoc
from reportlab.pdfbase.pdfdoc import PDFArray, PDFCatalog, PDFDictionary, PDFName, PDFObject, PDFString
from reportlab.pdfgen.canvas import Canvas

# The ICC's sRGB profile (freely redistributable), compressed once for every PDF.
ICC_PROFILE = zlib.compress((Path(__file__).resolve().parent / "sRGB2014.icc").read_bytes())
PRODUCER = "Duely (ReportLab)"
CREATOR = "Duely"


def _eol_before_endstream(format_stream):
    """PDF/A (6.1.7.1) wants an end-of-line before each `endstream`, not counted in /Length; reportlab writes
    its streams (pages, fonts) without one. Its stream class is patched once, for this process's PDFs only."""
    def format(self, document) -> bytes:
        formatted = format_stream(self, document)
        if formatted.endswith(b"endstream\n") and not formatted.endswith(b"\nendstream\n"):
            formatted = formatted[:-len(b"endstream\n")] + b"\nendstream\n"
        return formatted
    format.eol_before_endstream = True
    return format


if not getattr(pdfdoc.PDFStream.format, "eol_before_endstream", False):
    pdfdoc.PDFStream.format = _eol_before_endstream(pdfdoc.PDFStream.format)


@dataclass(frozen=True)
class Attachment:
    name: str
    data: bytes
    mime_type: str
    description: str
    relationship: str  # Data, Source, Alternative, Supplement, Unspecified


class _Stream(PDFObject):
    """A stream as it is stored, its dictionary given as PDF source: reportlab's own can't spell a name with a '/'
    (/text#2Fxml), and would compress the XMP, which must carry no /Filter."""

    __RefOnly__ = 1

    def __init__(self, dictionary: str, stored: bytes) -> None:
        self.dictionary, self.stored = dictionary, stored

    def format(self, document) -> bytes:
        return (f"<< {self.dictionary} /Length {len(self.stored)} >>\nstream\n".encode() + self.stored
                + b"\nendstream")


class _Info(PDFObject):
    """The document information dictionary, holding exactly what the XMP repeats."""

    def __init__(self, title: str, author: str, stamp: datetime) -> None:
        self.title, self.author, self.stamp = title, author, stamp
        self.invariant = 0

    def digest(self, md5object) -> None:  # reportlab feeds the file ID with it
        md5object.update(f"{self.title}{self.author}{self.stamp.isoformat()}".encode())

    def format(self, document) -> bytes:
        date = PDFString(pdf_date(self.stamp))
        return PDFDictionary({"Title": PDFString(self.title), "Author": PDFString(self.author),
                              "Creator": PDFString(CREATOR), "Producer": PDFString(PRODUCER),
                              "CreationDate": date, "ModDate": date}).format(document)


def pdf_date(stamp: datetime) -> str:
    return stamp.astimezone(timezone.utc).strftime("D:%Y%m%d%H%M%S+00'00'")


def xmp_date(stamp: datetime) -> str:
    return stamp.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def xmp_packet(title: str, author: str, lang: str, stamp: datetime, extra: str = "") -> bytes:
    """The XMP of a PDF/A-3b: its identification, the info dictionary's values, and `extra` rdf:Descriptions."""
    when = xmp_date(stamp)
    return f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">
    <pdfaid:part>3</pdfaid:part>
    <pdfaid:conformance>B</pdfaid:conformance>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">
    <dc:format>application/pdf</dc:format>
    <dc:title><rdf:Alt><rdf:li xml:lang="x-default">{escape(title)}</rdf:li></rdf:Alt></dc:title>
    <dc:creator><rdf:Seq><rdf:li>{escape(author)}</rdf:li></rdf:Seq></dc:creator>
    <dc:language><rdf:Bag><rdf:li>{escape(lang)}</rdf:li></rdf:Bag></dc:language>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/">
    <xmp:CreatorTool>{CREATOR}</xmp:CreatorTool>
    <xmp:CreateDate>{when}</xmp:CreateDate>
    <xmp:ModifyDate>{when}</xmp:ModifyDate>
    <xmp:MetadataDate>{when}</xmp:MetadataDate>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:pdf="http://ns.adobe.com/pdf/1.3/">
    <pdf:Producer>{PRODUCER}</pdf:Producer>
  </rdf:Description>
{extra}</rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>""".encode()


def conform(c: Canvas, *, title: str, author: str, lang: str, stamp: datetime, xmp_extra: str = "",
            attachment: Attachment | None = None) -> None:
    """Make the canvas's document PDF/A-3b; call it once, before c.save()."""
    doc = c._doc
    catalog = doc.Catalog
    # reportlab's catalog writes the keys it knows; AF and OutputIntents are PDF/A's.
    catalog.__NoDefault__ = [*PDFCatalog.__NoDefault__, "AF", "OutputIntents"]
    doc.info = _Info(title, author, stamp)
    catalog.Metadata = doc.Reference(_Stream("/Type /Metadata /Subtype /XML",
                                             xmp_packet(title, author, lang, stamp, xmp_extra)))
    profile = doc.Reference(_Stream("/N 3 /Filter /FlateDecode", ICC_PROFILE))
    catalog.OutputIntents = PDFArray([PDFDictionary({
        "Type": PDFName("OutputIntent"), "S": PDFName("GTS_PDFA1"),
        "OutputConditionIdentifier": PDFString("sRGB IEC61966-2.1"), "Info": PDFString("sRGB IEC61966-2.1"),
        "RegistryName": PDFString("http://www.color.org"), "DestOutputProfile": profile})])
    if attachment is not None:
        spec = doc.Reference(_file_spec(doc, attachment, stamp))
        catalog.AF = PDFArray([spec])
        catalog.Names = PDFDictionary({"EmbeddedFiles": PDFDictionary({
            "Names": PDFArray([PDFString(attachment.name), spec])})})


def _file_spec(doc, attachment: Attachment, stamp: datetime) -> PDFDictionary:
    subtype = attachment.mime_type.replace("/", "#2F")
    checksum = hashlib.md5(attachment.data).hexdigest()
    date = pdf_date(stamp)
    embedded = doc.Reference(_Stream(
        f"/Type /EmbeddedFile /Subtype /{subtype} /Filter /FlateDecode /Params << /Size {len(attachment.data)} "
        f"/CheckSum <{checksum}> /CreationDate ({date}) /ModDate ({date}) >>", zlib.compress(attachment.data)))
    return PDFDictionary({
        "Type": PDFName("Filespec"), "F": PDFString(attachment.name), "UF": PDFString(attachment.name),
        "Desc": PDFString(attachment.description), "AFRelationship": PDFName(attachment.relationship),
        "EF": PDFDictionary({"F": embedded, "UF": embedded})})
