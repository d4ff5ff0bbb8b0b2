"""EN 16931 (Factur-X / ZUGFeRD, profile EN16931, CII syntax) XML of an issued invoice.

Built with drafthorse and validated against its copy of the Factur-X
EN16931 XSD (parsed once per process); the tests also run the official EN 16931 Schematron
(tests/invoicing/einvoice_validation.py). Drafts get no XML: EN 16931 requires
an invoice number (BT-1), and a machine-readable "invoice" that is not one
could be booked by the buyer's software. Nor does an invoice that lacks what
EN 16931 requires of the parties (en16931.missing_facts): its XML would be
invalid, so it is not made.

Mapping our invoice onto EN 16931, which reasons in net amounts per VAT
category and rate:

- Under the standard treatment each line has one VAT category/rate: 'S' with
  the sum of the line's rates (EN 16931 allows one rate per line; stacked
  rates such as state + city are summed), 'Z' for an explicit 0 % rate, 'E'
  (exempt) for a line without any. Under another treatment (reverse charge,
  intra-Community supply, export, exempt: duely_contracts/tax_treatment.py) every line
  is in that treatment's category (AE, K, G, E) at 0 %, and the breakdown
  carries its exemption reason (VATEX code and the legal mention).
- Each line's share of the taxes is the snapshot's `tax_amount` when the
  lines carry one (pricing shares each rate's tax out exactly); otherwise each
  tax-breakdown entry is split here across its lines in proportion to their
  amounts (largest remainder, so the parts sum exactly). A line with inclusive
  tax is shown at its net: amount − discounts − its tax share.
- A line's `discount_amount` (its own discounts plus its share of the
  invoice-wide ones) is a line allowance (BT-136). Any invoice discount not
  spread over the lines becomes a document-level allowance per VAT group, as
  BR-S-08 wants. A group's tax is the Σ of its lines' shares, i.e. exactly the
  taxes the PDF shows.
- Totals follow BR-CO-10..16: LineTotal = Σ line nets; TaxBasisTotal =
  LineTotal − AllowanceTotal; GrandTotal = TaxBasisTotal + TaxTotal;
  DuePayable = GrandTotal − TotalPrepaid + RoundingAmount. RoundingAmount is
  zero whenever the invoice's currency has at most two decimals (a non-zero
  one is logged); with three (KWD…) amounts are rounded to hundredths, as
  EN 16931 allows no more (en16931.Scale), and it absorbs the difference.
- One payment means (CII-SR-467), chosen by en16931.payment_means.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path

import drafthorse
from drafthorse.models.accounting import ApplicableTradeTax, CategoryTradeTax, TradeAllowanceCharge
from drafthorse.models.document import Document
from drafthorse.models.note import IncludedNote
from drafthorse.models.party import TaxRegistration
from drafthorse.models.payment import PaymentMeans, PaymentTerms
from drafthorse.models.tradelines import LineItem
from lxml import etree

from duely_invoicing.documents import en16931
from duely_presentation.content import DocumentInput, Line, Party
from duely_invoicing.domain.terms import net_days

log = logging.getLogger(__name__)

GUIDELINE_EN16931 = "urn:cen.eu:en16931:2017"
SCHEMA_FILE = Path(drafthorse.__file__).parent / "schema" / "Factur-X_1.0.07_EN16931.xsd"  # drafthorse's own copy
FILENAME = "factur-x.xml"
COMMERCIAL_INVOICE = "380"
UNIT_ONE = "C62"  # UN/ECE Rec 20 "one": our quantities are plain counts or hours
PRICE_PLACES = Decimal("0.0001")
EXEMPT_WITHOUT_RATE = "Exempt from tax"  # a line without any rate, under the standard treatment


class NotAnInvoice(ValueError):
    """A draft (no number yet) has no EN 16931 representation."""


class IncompleteInvoice(ValueError):
    """An issued invoice that lacks facts EN 16931 requires (the parties' countries, the seller's VAT id)."""

    def __init__(self, missing: list[en16931.Missing]) -> None:
        super().__init__("; ".join(m.message for m in missing))
        self.missing = missing


@dataclass(frozen=True)
class LineNet:
    net: int  # minor units, after line discount and without inclusive tax
    tax: int  # this line's share of the invoice's taxes
    category: str
    percentage: Decimal


@dataclass(frozen=True)
class TaxGroup:
    category: str
    percentage: Decimal
    line_net: int
    allowance: int
    tax: int

    @property
    def basis(self) -> int:
        return self.line_net - self.allowance


def allocate(total: int, weights: list[int]) -> list[int]:
    """Split `total` in proportion to `weights`; the parts sum to `total` exactly (largest remainder)."""
    if not weights:
        return []
    weight_sum = sum(weights)
    if weight_sum == 0:
        return [total] + [0] * (len(weights) - 1)
    exact = [Decimal(total) * w / weight_sum for w in weights]
    parts = [int(x.to_integral_value(rounding="ROUND_FLOOR")) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: exact[i] - parts[i], reverse=True)
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


def _rate_key(rate) -> tuple:
    return (rate.display_name, rate.percentage.normalize(), rate.inclusive)


def line_tax_shares(doc: DocumentInput) -> list[int]:
    """Each line's share of the invoice's taxes: the snapshot's own when given, else allocated here."""
    bases = [line.amount - line.discount_amount for line in doc.lines]
    given = [line.tax_amount for line in doc.lines]
    if all(t is not None for t in given) and sum(given) == sum(e.tax_amount for e in doc.tax_breakdown):
        return given
    tax_shares = [0] * len(doc.lines)
    for entry in doc.tax_breakdown:
        key = (entry.display_name, entry.percentage.normalize(), entry.inclusive)
        carriers = [i for i, line in enumerate(doc.lines) if key in {_rate_key(r) for r in line.rates}]
        for i, share in zip(carriers, allocate(entry.tax_amount, [bases[i] for i in carriers])):
            tax_shares[i] += share
    return tax_shares


def line_nets(doc: DocumentInput) -> list[LineNet]:
    bases = [line.amount - line.discount_amount for line in doc.lines]
    treatment = doc.tax_treatment
    result = []
    for line, base, tax in zip(doc.lines, bases, line_tax_shares(doc)):
        if treatment.zero_rated:  # the treatment, not the lines, decides: no tax on any line
            result.append(LineNet(base, 0, treatment.category, Decimal(0)))
            continue
        inclusive = any(r.inclusive for r in line.rates)
        percentage = sum((r.percentage for r in line.rates), Decimal(0))
        category = "E" if not line.rates else ("S" if percentage > 0 else "Z")
        result.append(LineNet(base - tax if inclusive else base, tax, category, percentage))
    return result


def tax_groups(doc: DocumentInput, nets: list[LineNet]) -> list[TaxGroup]:
    grouped: dict[tuple[str, Decimal], list[LineNet]] = defaultdict(list)
    for net in nets:
        grouped[(net.category, net.percentage.normalize())].append(net)
    keys = list(grouped)
    invoice_discount = max(doc.total_discount - sum(line.discount_amount for line in doc.lines), 0)
    allowances = allocate(invoice_discount, [sum(n.net for n in grouped[k]) for k in keys])
    return [TaxGroup(category, percentage, sum(n.net for n in grouped[(category, percentage)]), allowance,
                     sum(n.tax for n in grouped[(category, percentage)]))
            for (category, percentage), allowance in zip(keys, allowances)]


def check_buildable(doc: DocumentInput) -> None:
    """Raise NotAnInvoice for a draft, IncompleteInvoice when EN 16931's required facts are missing."""
    if doc.is_draft or not doc.issue_date:
        raise NotAnInvoice("a draft invoice has no number and no Factur-X XML")
    if missing := en16931.missing_facts(doc):
        raise IncompleteInvoice(missing)


def can_build(doc: DocumentInput) -> bool:
    try:
        check_buildable(doc)
    except (NotAnInvoice, IncompleteInvoice):
        return False
    return True


def build_xml(doc: DocumentInput, *, validate: bool = True) -> bytes:
    """The Factur-X EN16931 XML (UTF-8 bytes), validated against the XSD unless told otherwise."""
    check_buildable(doc)
    currency = doc.currency.upper()
    scale = en16931.scale_for(currency)

    def amount(units: int) -> Decimal:  # the XML's units (en16931.Scale) → the XML's decimal
        return scale.decimal(units)

    xml = Document()
    xml.context.guideline_parameter.id = GUIDELINE_EN16931
    xml.header.id = doc.number
    xml.header.type_code = COMMERCIAL_INVOICE
    xml.header.issue_date_time = doc.issue_date
    for text in (doc.memo, doc.tax_notice, _rounding_note(doc, scale)):
        if text:
            note = IncludedNote()
            note.content = text
            xml.header.notes.add(note)

    _party(xml.trade.agreement.seller, doc.seller, seller=True)
    _party(xml.trade.agreement.buyer, doc.buyer, seller=False)

    nets = line_nets(doc)
    # Line nets and allowances in the XML's units; the line's own gross converted on its own, so that
    # gross − allowance = net holds in the XML too.
    xml_nets = [scale.units(n.net) for n in nets]
    for position, (line, net, xml_net) in enumerate(zip(doc.lines, nets, xml_nets), start=1):
        xml.trade.items.add(_line_item(position, line, net, xml_net, scale, amount))

    settlement = xml.trade.settlement
    settlement.payment_reference = doc.number
    settlement.currency_code = currency
    _period_and_delivery(xml, doc)
    _payment_means(settlement, doc)

    groups = tax_groups(doc, nets)
    xml_groups = []
    for group in groups:
        line_net = sum(x for x, n in zip(xml_nets, nets)
                       if (n.category, n.percentage.normalize()) == (group.category, group.percentage))
        xml_groups.append(TaxGroup(group.category, group.percentage, line_net, scale.units(group.allowance),
                                   scale.units(group.tax)))
    for group in xml_groups:
        settlement.trade_tax.add(_header_tax(doc, group, amount))
    for group in xml_groups:
        if group.allowance:
            settlement.allowance_charge.add(_allowance(group, amount))

    terms = PaymentTerms()
    terms.description = _terms_text(doc.payment_terms)
    if doc.due_date:
        terms.due = doc.due_date
    settlement.terms.add(terms)

    line_total = sum(xml_nets)
    allowance_total = sum(g.allowance for g in xml_groups)
    tax_total = sum(g.tax for g in xml_groups)
    grand_total = line_total - allowance_total + tax_total
    prepaid, due = scale.units(doc.amount_paid), scale.units(doc.amount_due)
    rounding = due - (grand_total - prepaid)
    if rounding and not scale.rounds:
        log.warning("factur-x totals do not reconcile with the invoice",
                    extra={"invoice_id": doc.invoice_id, "difference": rounding})
    summation = settlement.monetary_summation
    summation.line_total = amount(line_total)
    summation.charge_total = amount(0)
    summation.allowance_total = amount(allowance_total)
    summation.tax_basis_total = amount(line_total - allowance_total)
    summation.tax_total = (amount(tax_total), currency)
    if rounding:
        summation.rounding_amount = amount(rounding)
    summation.grand_total = amount(grand_total)
    summation.prepaid_total = amount(prepaid)
    summation.due_amount = amount(due)
    unchecked = xml.serialize(schema=None)
    return _validated(unchecked) if validate else unchecked


@cache
def _schema() -> etree.XMLSchema:
    """The Factur-X EN16931 XSD, parsed once: drafthorse's serialize(schema=...) parses it (and its includes) on
    every call, which cost more than drawing the PDF. A parsed schema is read-only, safe to share between threads."""
    return etree.XMLSchema(file=str(SCHEMA_FILE))


def _validated(xml: bytes) -> bytes:
    """The XML as it is, once parsed against the XSD (lxml.etree.XMLSyntaxError when it is not valid)."""
    etree.fromstring(xml, etree.XMLParser(schema=_schema()))
    return xml


def _rounding_note(doc: DocumentInput, scale: en16931.Scale) -> str | None:
    if not scale.rounds:
        return None
    due = Decimal(doc.amount_due).scaleb(-scale.exponent)
    return (f"Amounts in this e-invoice are rounded to {en16931.MAX_DECIMALS} decimals, as EN 16931 requires; "
            f"the amount due is {doc.currency.upper()} {due}.")


def _party(target, party: Party, *, seller: bool) -> None:
    target.name = party.name
    address = party.address
    country = en16931.country(party)
    if country:  # CountryID is mandatory inside an address: without a country, no address block
        target.address.line_one, target.address.line_two = (*address.lines, None, None)[:2]  # two at most
        target.address.postcode = address.postal_code
        target.address.city_name = address.city
        target.address.country_id = country
        target.address.country_subdivision = address.region
    if party.email:
        target.electronic_address.uri_ID = ("EM", party.email)
    if vat_id := en16931.vat_id(party):
        target.tax_registrations.add(TaxRegistration(id=("VA", vat_id)))
    elif seller and party.tax_id:  # a tax number without a country prefix: the seller's tax registration
        target.tax_registrations.add(TaxRegistration(id=("FC", party.tax_id)))


def _line_item(position: int, line: Line, net: LineNet, xml_net: int, scale: en16931.Scale, amount) -> LineItem:
    item = LineItem()
    item.document.line_id = str(position)
    item.product.name = line.description or "-"
    inclusive = any(r.inclusive for r in line.rates)
    exact_net = Decimal(net.net).scaleb(-scale.exponent)
    if inclusive or not line.quantity:
        # The price that, times the quantity, gives the net line amount (tax taken out).
        price = (exact_net / line.quantity) if line.quantity else exact_net
    else:
        price = Decimal(line.unit_amount).scaleb(-scale.exponent)  # unit prices may have any decimals
    item.agreement.net.amount = price.quantize(PRICE_PLACES, rounding=ROUND_HALF_UP)
    item.delivery.billed_quantity = (line.quantity, UNIT_ONE)
    item.settlement.trade_tax.type_code = "VAT"
    if net.category == "E" and not line.rates and net.tax == 0 and net.percentage == 0:
        item.settlement.trade_tax.exemption_reason = EXEMPT_WITHOUT_RATE
    item.settlement.trade_tax.category_code = net.category
    item.settlement.trade_tax.rate_applicable_percent = net.percentage.quantize(Decimal("0.01"))
    if line.period_start and line.period_end:
        item.settlement.period.start = line.period_start
        item.settlement.period.end = line.period_end
    if line.discount_amount and not inclusive:
        allowance = TradeAllowanceCharge()
        allowance.indicator = False
        allowance.actual_amount = amount(scale.units(line.amount) - xml_net)
        allowance.reason = "Discount"
        item.settlement.allowance_charge.add(allowance)
    item.settlement.monetary_summation.total_amount = amount(xml_net)
    return item


def _header_tax(doc: DocumentInput, group: TaxGroup, amount) -> ApplicableTradeTax:
    tax = ApplicableTradeTax()
    tax.calculated_amount = amount(group.tax)
    tax.type_code = "VAT"
    treatment = doc.tax_treatment
    if treatment.zero_rated and group.category == treatment.category:
        # BR-AE-10, BR-IC-10, BR-G-10, BR-E-10: the reason as text (the legal mention) and as a VATEX code.
        tax.exemption_reason = doc.tax_notice or treatment.notice(doc.locale)
    elif group.category == "E":
        tax.exemption_reason = EXEMPT_WITHOUT_RATE
    tax.basis_amount = amount(group.basis)
    tax.category_code = group.category
    if treatment.zero_rated and group.category == treatment.category and treatment.exemption_reason_code:
        tax.exemption_reason_code = treatment.exemption_reason_code
    tax.rate_applicable_percent = group.percentage.quantize(Decimal("0.01"))
    return tax


def _period_and_delivery(xml: Document, doc: DocumentInput) -> None:
    """The billing period (BG-14) spanned by the lines' periods; for an intra-Community supply also the
    deliver-to country (BR-IC-12) and, without a period, the date of supply (BR-IC-11), taken as the
    issue date."""
    starts = [line.period_start for line in doc.lines if line.period_start and line.period_end]
    ends = [line.period_end for line in doc.lines if line.period_start and line.period_end]
    if starts:
        xml.trade.settlement.period.start = min(starts)
        xml.trade.settlement.period.end = max(ends)
    if doc.tax_treatment.category == "K":
        xml.trade.delivery.ship_to.address.country_id = en16931.country(doc.buyer)
        if not starts:
            xml.trade.delivery.event.occurrence = doc.issue_date


def _allowance(group: TaxGroup, amount) -> TradeAllowanceCharge:
    allowance = TradeAllowanceCharge()
    allowance.indicator = False
    allowance.actual_amount = amount(group.allowance)
    allowance.reason = "Discount"
    allowance.trade_tax.add(_category_tax(group))
    return allowance


def _category_tax(group: TaxGroup):
    tax = CategoryTradeTax()
    tax.type_code = "VAT"
    tax.category_code = group.category
    tax.rate_applicable_percent = group.percentage.quantize(Decimal("0.01"))
    return tax


def _terms_text(payment_terms: str) -> str:
    days = net_days(payment_terms)
    if days is None:
        return payment_terms
    return "Due on receipt" if days == 0 else f"Net {days} days"


def _payment_means(settlement, doc: DocumentInput) -> None:
    chosen = en16931.payment_means(doc)
    if chosen is None:
        return
    means = PaymentMeans()
    means.type_code = chosen.code
    if chosen.information:
        means.information.add(chosen.information)
    if chosen.iban:
        means.payee_account.iban = chosen.iban
    elif chosen.account_number:
        means.payee_account.proprietary_id = chosen.account_number
    if chosen.account_name and (chosen.iban or chosen.account_number):
        means.payee_account.account_name = chosen.account_name
    if chosen.bic:
        means.payee_institution.bic = chosen.bic
    settlement.payment_means.add(means)


# The XMP that declares the attachment as Factur-X: the fx: properties and, as PDF/A-3 wants for a namespace it
# does not know, their extension schema (rdf:Descriptions for pdfa.xmp_packet).
XMP_DESCRIPTIONS = f"""  <rdf:Description rdf:about="" xmlns:fx="urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#">
    <fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>
    <fx:DocumentFileName>{FILENAME}</fx:DocumentFileName>
    <fx:DocumentType>INVOICE</fx:DocumentType>
    <fx:Version>1.0</fx:Version>
  </rdf:Description>
  <rdf:Description rdf:about="" xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/"
      xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#" xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">
    <pdfaExtension:schemas>
      <rdf:Bag>
        <rdf:li rdf:parseType="Resource">
          <pdfaSchema:schema>Factur-X PDFA Extension Schema</pdfaSchema:schema>
          <pdfaSchema:namespaceURI>urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#</pdfaSchema:namespaceURI>
          <pdfaSchema:prefix>fx</pdfaSchema:prefix>
          <pdfaSchema:property>
            <rdf:Seq>
{"".join(f'''              <rdf:li rdf:parseType="Resource">
                <pdfaProperty:name>{name}</pdfaProperty:name>
                <pdfaProperty:valueType>Text</pdfaProperty:valueType>
                <pdfaProperty:category>external</pdfaProperty:category>
                <pdfaProperty:description>{description}</pdfaProperty:description>
              </rdf:li>
''' for name, description in (
    ("DocumentFileName", "name of the embedded XML invoice file"),
    ("DocumentType", "INVOICE"),
    ("Version", "The actual version of the Factur-X XML schema"),
    ("ConformanceLevel", "The conformance level of the embedded Factur-X data"),
))}            </rdf:Seq>
          </pdfaSchema:property>
        </rdf:li>
      </rdf:Bag>
    </pdfaExtension:schemas>
  </rdf:Description>
"""
