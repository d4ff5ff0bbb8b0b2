"""Validating a Factur-X / CII XML with the official EN 16931 artifacts (tests/invoicing/en16931/, see SOURCE).

Two checks, as the European Commission's validators do them:
1. the UN/CEFACT CII D16B XSD (lxml);
2. the compiled EN 16931 Schematron (an XSLT 2.0 stylesheet, run by Saxon-HE through `saxonche`), whose
   SVRL report lists every rule that failed; a failed assert with flag="fatal" makes the invoice invalid.

`assert_valid_einvoice(xml)` fails with every broken rule's id and text. Compiling the 700 kB stylesheet
takes a few seconds, so it is done once per test process.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

ARTIFACTS = Path(__file__).resolve().parent / "en16931"
XSD = ARTIFACTS / "xsd" / "CII" / "uncefact" / "data" / "standard" / "CrossIndustryInvoice_100pD16B.xsd"
SCHEMATRON_XSLT = ARTIFACTS / "EN16931-CII-validation.xslt"
SVRL = {"svrl": "http://purl.oclc.org/dsdl/svrl"}


@dataclass(frozen=True)
class FailedRule:
    id: str
    flag: str
    location: str
    text: str

    def __str__(self) -> str:
        return f"[{self.id}] ({self.flag}) {self.text} at {self.location}"


@dataclass(frozen=True)
class Report:
    xsd_errors: list[str]
    failed: list[FailedRule]

    @property
    def fatal(self) -> list[FailedRule]:
        return [rule for rule in self.failed if rule.flag == "fatal"]

    @property
    def ok(self) -> bool:
        return not self.xsd_errors and not self.fatal


@functools.cache
def _schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(XSD)))


@functools.cache
def _schematron():
    """(processor, compiled stylesheet): one Saxon processor per test process, kept alive with its executable."""
    from saxonche import PySaxonProcessor

    processor = PySaxonProcessor(license=False)
    executable = processor.new_xslt30_processor().compile_stylesheet(stylesheet_file=str(SCHEMATRON_XSLT))
    return processor, executable


def xsd_errors(xml: bytes) -> list[str]:
    schema = _schema()
    if schema.validate(etree.fromstring(xml)):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]


def schematron_failures(xml: bytes) -> list[FailedRule]:
    processor, executable = _schematron()
    document = processor.parse_xml(xml_text=xml.decode("utf-8"))
    svrl = executable.transform_to_string(xdm_node=document)
    report = etree.fromstring(svrl.encode("utf-8"))
    return [FailedRule(id=node.get("id") or "?", flag=node.get("flag") or "?", location=node.get("location") or "",
                       text=" ".join("".join(node.xpath("svrl:text//text()", namespaces=SVRL)).split()))
            for node in report.xpath("//svrl:failed-assert", namespaces=SVRL)]


def validate(xml: bytes) -> Report:
    return Report(xsd_errors(xml), schematron_failures(xml))


def assert_valid_einvoice(xml: bytes) -> Report:
    """Fail unless the XML passes the CII XSD and no EN 16931 rule with flag="fatal" fails; name each one."""
    report = validate(xml)
    problems = [f"XSD: {error}" for error in report.xsd_errors] + [str(rule) for rule in report.fatal]
    assert not problems, "EN 16931 validation failed:\n  " + "\n  ".join(problems)
    return report
