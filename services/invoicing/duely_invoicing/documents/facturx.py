"""EN 16931 (Factur-X / ZUGFeRD, profile EN16931, CII syntax) XML of an issued invoice.

Built with drafthorse, whose serializer validates the result against the
Factur-X EN16931 XSD. Drafts get no XML: EN 16931 requires an invoice number
(BT-1), and a machine-readable "invoice" that is not one could be booked by
the buyer's software.

Mapping our invoice onto EN 16931, which reasons in net amounts per VAT
category and rate:

- Each line has one VAT category/rate: 'S' with the sum of the line's rates
  (EN 16931 allows one rate per line; stacked rates such as state + city are
  summed), 'Z' for an explicit 0 % rate, 'E' (exempt) for a line without any.
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
  DuePayable = GrandTotal − TotalPrepaid (+ RoundingAmount, which is zero
  whenever the invoice's own totals reconcile; a non-zero one is logged).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from drafthorse.models.accounting import ApplicableTradeTax, CategoryTradeTax, TradeAllowanceCharge
from drafthorse.models.document import Document
from drafthorse.models.note import IncludedNote
from drafthorse.models.party import TaxRegistration
from drafthorse.models.payment import PaymentMeans, PaymentTerms
from drafthorse.models.tradelines import LineItem

from duely_presentation.content import DocumentInput, Line, Party
from duely_invoicing.domain.money import to_major
from duely_invoicing.domain.terms import net_days

log = logging.getLogger(__name__)

GUIDELINE_EN16931 = "urn:cen.eu:en16931:2017"
SCHEMA = "FACTUR-X_EN16931"
FILENAME = "factur-x.xml"
COMMERCIAL_INVOICE = "380"
UNIT_ONE = "C62"  # UN/ECE Rec 20 "one": our quantities are plain counts or hours
PRICE_PLACES = Decimal("0.0001")


class NotAnInvoice(ValueError):
    """A draft (no number yet) has no EN 16931 representation."""


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
    result = []
    for line, base, tax in zip(doc.lines, bases, line_tax_shares(doc)):
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


def build_xml(doc: DocumentInput, *, validate: bool = True) -> bytes:
    """The Factur-X EN16931 XML (UTF-8 bytes), validated against the XSD unless told otherwise."""
    if doc.is_draft or not doc.issue_date:
        raise NotAnInvoice("a draft invoice has no number and no Factur-X XML")
    currency = doc.currency.upper()

    def major(amount: int) -> Decimal:
        return to_major(amount, currency)

    xml = Document()
    xml.context.guideline_parameter.id = GUIDELINE_EN16931
    xml.header.id = doc.number
    xml.header.type_code = COMMERCIAL_INVOICE
    xml.header.issue_date_time = doc.issue_date
    if doc.memo:
        note = IncludedNote()
        note.content = doc.memo
        xml.header.notes.add(note)

    _party(xml.trade.agreement.seller, doc.seller)
    _party(xml.trade.agreement.buyer, doc.buyer)

    nets = line_nets(doc)
    for position, (line, net) in enumerate(zip(doc.lines, nets), start=1):
        xml.trade.items.add(_line_item(position, line, net, major))

    settlement = xml.trade.settlement
    settlement.payment_reference = doc.number
    settlement.currency_code = currency
    _payment_means(settlement, doc)

    groups = tax_groups(doc, nets)
    for group in groups:
        tax = ApplicableTradeTax()
        tax.calculated_amount = major(group.tax)
        tax.type_code = "VAT"
        if group.category == "E":
            tax.exemption_reason = "Exempt from tax"
        tax.basis_amount = major(group.basis)
        tax.category_code = group.category
        tax.rate_applicable_percent = group.percentage.quantize(Decimal("0.01"))
        settlement.trade_tax.add(tax)
    for group in groups:
        if group.allowance:
            settlement.allowance_charge.add(_allowance(group, major))

    terms = PaymentTerms()
    terms.description = _terms_text(doc.payment_terms)
    if doc.due_date:
        terms.due = doc.due_date
    settlement.terms.add(terms)

    line_total = sum(n.net for n in nets)
    allowance_total = sum(g.allowance for g in groups)
    tax_total = sum(g.tax for g in groups)
    grand_total = line_total - allowance_total + tax_total
    rounding = doc.amount_due - (grand_total - doc.amount_paid)
    if rounding:
        log.warning("factur-x totals do not reconcile with the invoice",
                    extra={"invoice_id": doc.invoice_id, "difference": rounding})
    summation = settlement.monetary_summation
    summation.line_total = major(line_total)
    summation.charge_total = major(0)
    summation.allowance_total = major(allowance_total)
    summation.tax_basis_total = major(line_total - allowance_total)
    summation.tax_total = (major(tax_total), currency)
    if rounding:
        summation.rounding_amount = major(rounding)
    summation.grand_total = major(grand_total)
    summation.prepaid_total = major(doc.amount_paid)
    summation.due_amount = major(doc.amount_due)
    return xml.serialize(schema=SCHEMA if validate else None)


def _party(target, party: Party) -> None:
    target.name = party.name
    address = party.address
    country = address.country or _country_from_tax_id(party.tax_id)
    if country:  # CountryID is mandatory inside an address: without a country, no address block
        target.address.line_one = address.line1
        target.address.line_two = address.line2
        target.address.postcode = address.postal_code
        target.address.city_name = address.city
        target.address.country_id = country
        target.address.country_subdivision = address.state
    if party.email:
        target.electronic_address.uri_ID = ("EM", party.email)
    if party.tax_id:
        target.tax_registrations.add(TaxRegistration(id=("VA", party.tax_id)))


def _country_from_tax_id(tax_id: str | None) -> str | None:
    # EU VAT numbers start with the country code (DE123456789); Greece uses EL.
    if tax_id and len(tax_id) > 2 and tax_id[:2].isalpha() and tax_id[:2].isupper():
        return "GR" if tax_id[:2] == "EL" else tax_id[:2]
    return None


def _line_item(position: int, line: Line, net: LineNet, major) -> LineItem:
    item = LineItem()
    item.document.line_id = str(position)
    item.product.name = line.description or "-"
    inclusive = any(r.inclusive for r in line.rates)
    if inclusive or not line.quantity:
        # The price that, times the quantity, gives the net line amount (tax taken out).
        price = (major(net.net) / line.quantity) if line.quantity else major(net.net)
    else:
        price = major(line.unit_amount)
    item.agreement.net.amount = price.quantize(PRICE_PLACES, rounding=ROUND_HALF_UP)
    item.delivery.billed_quantity = (line.quantity, UNIT_ONE)
    item.settlement.trade_tax.type_code = "VAT"
    if net.category == "E":
        item.settlement.trade_tax.exemption_reason = "Exempt from tax"
    item.settlement.trade_tax.category_code = net.category
    item.settlement.trade_tax.rate_applicable_percent = net.percentage.quantize(Decimal("0.01"))
    if line.period_start and line.period_end:
        item.settlement.period.start = line.period_start
        item.settlement.period.end = line.period_end
    if line.discount_amount and not inclusive:
        allowance = TradeAllowanceCharge()
        allowance.indicator = False
        allowance.actual_amount = major(line.discount_amount)
        allowance.reason = "Discount"
        item.settlement.allowance_charge.add(allowance)
    item.settlement.monetary_summation.total_amount = major(net.net)
    return item


def _allowance(group: TaxGroup, major) -> TradeAllowanceCharge:
    allowance = TradeAllowanceCharge()
    allowance.indicator = False
    allowance.actual_amount = major(group.allowance)
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
    bank = doc.bank
    if bank.iban:
        means = PaymentMeans()
        means.type_code = "58"  # SEPA credit transfer
        means.payee_account.iban = bank.iban.replace(" ", "")
        if bank.account_holder:
            means.payee_account.account_name = bank.account_holder
        if bank.bic:
            means.payee_institution.bic = bank.bic
        settlement.payment_means.add(means)
    elif bank.account_number:
        means = PaymentMeans()
        means.type_code = "30"  # credit transfer
        means.payee_account.proprietary_id = bank.account_number
        if bank.account_holder:
            means.payee_account.account_name = bank.account_holder
        settlement.payment_means.add(means)
    if doc.pay_url:
        means = PaymentMeans()
        means.type_code = "68"  # online payment service
        means.information.add(f"Pay online: {doc.pay_url}")
        settlement.payment_means.add(means)


# XMP that declares the attachment as Factur-X (the PDF/A-3 extension schema for the fx: namespace).
XMP_RDF = f"""<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
    xmlns:fx="urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#"
    xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/"
    xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#"
    xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">
  <rdf:Description rdf:about="">
    <fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>
    <fx:DocumentFileName>{FILENAME}</fx:DocumentFileName>
    <fx:DocumentType>INVOICE</fx:DocumentType>
    <fx:Version>1.0</fx:Version>
  </rdf:Description>
  <rdf:Description rdf:about="">
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
</rdf:RDF>""".encode()
