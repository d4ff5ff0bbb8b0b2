"""Factur-X XML against the official EN 16931 rules (XSD + Schematron, tests/invoicing/en16931), from
snapshots (no database): one payment means, two decimals at most, every VAT treatment, and no XML at all
for an invoice that lacks what EN 16931 requires of its parties."""

from __future__ import annotations

from decimal import Decimal

import pytest

from duely_invoicing.documents import facturx, renderer
from duely_presentation.content import from_snapshot
from duely_contracts import tax_treatment as vat

from tests.invoicing.documents_helpers import attachments, pdf_text, snapshot, squeezed, xml_value
from tests.invoicing.einvoice_validation import assert_valid_einvoice, validate

RSM = "/rsm:CrossIndustryInvoice/rsm:SupplyChainTradeTransaction"
SETTLEMENT = f"{RSM}/ram:ApplicableHeaderTradeSettlement"
SUMMATION = f"{SETTLEMENT}/ram:SpecifiedTradeSettlementHeaderMonetarySummation"
MEANS = f"{SETTLEMENT}/ram:SpecifiedTradeSettlementPaymentMeans"
HEADER_TAX = f"{SETTLEMENT}/ram:ApplicableTradeTax"
LINE_TAX = f"{RSM}/ram:IncludedSupplyChainTradeLineItem/ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax"
NOTES = "/rsm:CrossIndustryInvoice/rsm:ExchangedDocument/ram:IncludedNote/ram:Content"

BANK = {"account_name": "Muster GmbH", "iban": "DE89370400440532013000", "bic": "COBADEFFXXX"}


def issuer(methods=("card", "wire_transfer"), bank=BANK, **overrides) -> dict:
    return {"company_name": "Muster GmbH", "tax_id": "DE123456789",
            "address": {"lines": ["Hauptstraße 1"], "city": "Berlin", "postal_code": "10115", "country": "DE"},
            "bank_details": bank if "wire_transfer" in methods else None, "accepted_payment_methods": list(methods),
            **overrides}


def zero_tax(treatment: str, reason: str | None = None, code: str | None = None, **overrides):
    """The README's two-line EUR invoice as a zero-tax treatment prices it: no rates, one 0 % entry."""
    applied = vat.applied(treatment, reason, code)
    lines = [{"id": "il_1", "description": "Consulting", "quantity": "10.5", "unit_amount": 10000, "amount": 105000,
              "tax_amount": 0, "period": {"start": "2026-01-01", "end": "2026-01-31"}},
             {"id": "il_2", "description": "Handbooks", "quantity": "3", "unit_amount": 6152, "amount": 18456,
              "tax_amount": 0}]
    body = dict(lines=lines, tax=0, total=123456, amount_due=123456, issuer=issuer(),
                tax_breakdown=[{"display_name": applied.label("en"), "percentage": "0", "inclusive": False,
                                "taxable_amount": 123456, "tax_amount": 0, "category": applied.category,
                                "exemption_reason": reason or applied.label("en"),
                                "exemption_reason_code": applied.exemption_reason_code}],
                tax_treatment={"type": treatment, "category": applied.category, "exemption_reason": reason,
                               "exemption_reason_code": applied.exemption_reason_code, "notices": applied.notices()})
    body.update(overrides)
    return snapshot(**body)


def xml_of(snap) -> bytes:
    return facturx.build_xml(from_snapshot(snap))


# --- the validator itself ---------------------------------------------------------------------

def test_the_validator_reports_a_broken_rule_by_id_and_text():
    """Two payment means with different codes, as every invoice had before (CII-SR-467)."""
    xml = xml_of(snapshot(issuer=issuer()))
    broken = xml.replace(b"</ram:SpecifiedTradeSettlementPaymentMeans>",
                         b"</ram:SpecifiedTradeSettlementPaymentMeans><ram:SpecifiedTradeSettlementPaymentMeans>"
                         b"<ram:TypeCode>68</ram:TypeCode></ram:SpecifiedTradeSettlementPaymentMeans>", 1)
    report = validate(broken)
    assert [rule.id for rule in report.fatal] == ["CII-SR-467"]
    assert "Payment means type codes" in report.fatal[0].text
    with pytest.raises(AssertionError, match="CII-SR-467"):
        assert_valid_einvoice(broken)
    assert validate(b"<rsm:CrossIndustryInvoice xmlns:rsm='urn:un:unece:uncefact:data:standard:"
                    b"CrossIndustryInvoice:100'/>").xsd_errors  # the XSD half answers too


# --- one payment means per invoice ---------------------------------------------------------------

@pytest.mark.parametrize(("currency", "methods", "bank", "pay_url", "code", "iban", "info"), [
    # Wire transfers accepted: the account is machine-readable; the pay link rides in its text.
    ("eur", ("card", "wire_transfer"), BANK, "https://pay.example/i/1", "58", "DE89370400440532013000",
     "Pay online: https://pay.example/i/1"),
    ("usd", ("card", "wire_transfer"), BANK, "https://pay.example/i/1", "30", "DE89370400440532013000",
     "Pay online: https://pay.example/i/1"),
    ("gbp", ("wire_transfer",), {"account_name": "Muster Ltd", "account_number": "31926819"}, None, "30", None,
     None),
    # No bank details: the hosted page is how to pay.
    ("eur", ("card",), None, "https://pay.example/i/1", "68", None, "Pay online: https://pay.example/i/1"),
    ("eur", ("card", "sepa_debit"), None, "https://pay.example/i/1", "68", None,
     "Pay online: https://pay.example/i/1"),
    ("eur", ("check",), None, "https://pay.example/i/1", "20", None, None),
    ("eur", ("card",), None, None, None, None, None),
])
def test_one_payment_means_chosen_by_the_accepted_methods(currency, methods, bank, pay_url, code, iban, info):
    snap = snapshot(currency=currency, issuer=issuer(methods, bank), hosted_invoice_url=pay_url)
    xml = xml_of(snap)
    assert_valid_einvoice(xml)
    assert xml_value(xml, f"{MEANS}/ram:TypeCode") == ([code] if code else [])
    assert xml_value(xml, f"{MEANS}/ram:PayeePartyCreditorFinancialAccount/ram:IBANID") == ([iban] if iban else [])
    assert xml_value(xml, f"{MEANS}/ram:Information") == ([info] if info else [])


# --- currencies -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("currency", "grand_total", "tax_total"), [
    ("eur", "1446.98", "212.42"), ("usd", "1446.98", "212.42"), ("jpy", "144698", "21242")])
def test_currencies_with_two_decimals_or_fewer_are_exact(currency, grand_total, tax_total):
    xml = xml_of(snapshot(currency=currency, issuer=issuer()))
    assert_valid_einvoice(xml)
    assert xml_value(xml, f"{SUMMATION}/ram:GrandTotalAmount") == [grand_total]
    assert xml_value(xml, f"{SUMMATION}/ram:TaxTotalAmount") == [tax_total]
    assert xml_value(xml, f"{SUMMATION}/ram:RoundingAmount") == []
    assert not [n for n in xml_value(xml, NOTES) if "rounded" in n]


def test_kwd_amounts_are_rounded_to_two_decimals_and_say_so():
    """EN 16931 allows two decimals (BR-DEC-*); KWD has three. Each component is rounded, the totals are
    summed from them, and the amount due is the invoice's own, rounded; a note gives the exact one."""
    xml = xml_of(snapshot(currency="kwd", issuer=issuer()))
    assert_valid_einvoice(xml)
    assert xml_value(xml, f"{HEADER_TAX}/ram:BasisAmount") == ["105.00", "18.46"]
    assert xml_value(xml, f"{HEADER_TAX}/ram:CalculatedAmount") == ["19.95", "1.29"]  # 19.950 and 1.292
    assert xml_value(xml, f"{SUMMATION}/ram:GrandTotalAmount") == ["144.70"]  # 123.46 + 21.24
    assert xml_value(xml, f"{SUMMATION}/ram:DuePayableAmount") == ["144.70"]  # 144.698 rounded
    assert "the amount due is KWD 144.698" in " ".join(xml_value(xml, NOTES))
    # Unit prices may keep every decimal (BT-146 has no limit).
    assert xml_value(xml, f"{RSM}/ram:IncludedSupplyChainTradeLineItem/ram:SpecifiedLineTradeAgreement"
                          "/ram:NetPriceProductTradePrice/ram:ChargeAmount") == ["10.0000", "6.1520"]


def test_kwd_with_a_payment_and_a_rounding_difference_still_reconciles():
    # Totals whose rounded parts don't add up to the rounded amount due: RoundingAmount takes the difference.
    lines = [{"id": f"il_{i}", "description": f"Item {i}", "quantity": "1", "unit_amount": 1005, "amount": 1005,
              "tax_rates": [{"display_name": "VAT", "percentage": "19"}], "tax_amount": tax}
             for i, tax in enumerate((191, 191, 191))]
    snap = snapshot(currency="kwd", issuer=issuer(), lines=lines, subtotal=3015, tax=573, total=3588,
                    amount_paid=1000, amount_due=2588,
                    tax_breakdown=[{"display_name": "VAT", "percentage": "19", "inclusive": False,
                                    "taxable_amount": 3015, "tax_amount": 573}])
    xml = xml_of(snap)
    assert_valid_einvoice(xml)
    # Lines 1.005 → 1.01 each (3.03), tax 0.573 → 0.57: grand total 3.60; 2.588 due → 2.59 = 3.60 − 1.00 − 0.01.
    assert xml_value(xml, f"{SUMMATION}/ram:GrandTotalAmount") == ["3.60"]
    assert xml_value(xml, f"{SUMMATION}/ram:TotalPrepaidAmount") == ["1.00"]
    assert xml_value(xml, f"{SUMMATION}/ram:RoundingAmount") == ["-0.01"]
    assert xml_value(xml, f"{SUMMATION}/ram:DuePayableAmount") == ["2.59"]


def test_inclusive_tax_discounts_and_a_period_pass_the_rules():
    lines = [
        {"id": "il_1", "description": "Gross-priced service", "quantity": "1", "unit_amount": 10000,
         "amount": 10000, "discount_amount": 1386, "tax_amount": 1375,
         "discounts": [{"percentage": "10", "amount": None, "discount_amount": 1000}],
         "period": {"start": "2026-01-01", "end": "2026-01-31"},
         "tax_rates": [{"display_name": "MwSt", "percentage": "19", "inclusive": True}]},
        {"id": "il_2", "description": "Net-priced book", "quantity": "2", "unit_amount": 2500, "amount": 5000,
         "discount_amount": 214, "tax_amount": 335, "tax_rates": [{"display_name": "MwSt reduziert", "percentage": "7"}]},
    ]
    breakdown = [{"display_name": "MwSt", "percentage": "19", "inclusive": True, "taxable_amount": 8614,
                  "tax_amount": 1375},
                 {"display_name": "MwSt reduziert", "percentage": "7", "inclusive": False, "taxable_amount": 4786,
                  "tax_amount": 335}]
    total = 15000 - 1600 + 335
    xml = xml_of(snapshot(lines=lines, tax_breakdown=breakdown, subtotal=15000, total_discount=1600,
                          discounts=[{"amount": 600, "percentage": None, "discount_amount": 600}], issuer=issuer(),
                          tax=1710, total=total, amount_paid=2000, amount_due=total - 2000))
    assert_valid_einvoice(xml)
    # The billing period of the invoice (BG-14) spans the lines' periods.
    assert xml_value(xml, f"{SETTLEMENT}/ram:BillingSpecifiedPeriod/ram:StartDateTime/*") == ["20260101"]


# --- VAT treatments -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("treatment", "category", "code", "reason_text"), [
    ("reverse_charge", "AE", "VATEX-EU-AE",
     "Reverse charge: VAT to be accounted for by the recipient (Article 196, Directive 2006/112/EC)"),
    ("intra_community_supply", "K", "VATEX-EU-IC",
     "Intra-Community supply exempt under Article 138 of Directive 2006/112/EC"),
    ("export", "G", "VATEX-EU-G", "Export outside the EU, exempt under Article 146 of Directive 2006/112/EC"),
])
def test_zero_tax_treatments_carry_their_category_reason_and_both_vat_ids(treatment, category, code, reason_text):
    xml = xml_of(zero_tax(treatment))
    assert_valid_einvoice(xml)
    assert xml_value(xml, f"{LINE_TAX}/ram:CategoryCode") == [category, category]
    assert xml_value(xml, f"{LINE_TAX}/ram:RateApplicablePercent") == ["0.00", "0.00"]
    assert xml_value(xml, f"{HEADER_TAX}/ram:CategoryCode") == [category]
    assert xml_value(xml, f"{HEADER_TAX}/ram:CalculatedAmount") == ["0.00"]
    assert xml_value(xml, f"{HEADER_TAX}/ram:BasisAmount") == ["1234.56"]
    assert xml_value(xml, f"{HEADER_TAX}/ram:ExemptionReasonCode") == [code]
    assert xml_value(xml, f"{HEADER_TAX}/ram:ExemptionReason") == [reason_text]
    assert reason_text in xml_value(xml, NOTES)
    agreement = f"{RSM}/ram:ApplicableHeaderTradeAgreement"
    assert xml_value(xml, f"{agreement}/ram:SellerTradeParty/ram:SpecifiedTaxRegistration/ram:ID") == ["DE123456789"]
    assert xml_value(xml, f"{agreement}/ram:BuyerTradeParty/ram:SpecifiedTaxRegistration/ram:ID") == ["FR40303265045"]
    assert xml_value(xml, f"{SUMMATION}/ram:TaxTotalAmount") == ["0.00"]
    assert xml_value(xml, f"{SUMMATION}/ram:GrandTotalAmount") == ["1234.56"]


def test_intra_community_supply_names_the_destination_and_the_date_of_supply():
    # BR-IC-11/12: the deliver-to country, and the billing period or, without one, the date of supply.
    with_period = xml_of(zero_tax("intra_community_supply"))
    delivery = f"{RSM}/ram:ApplicableHeaderTradeDelivery"
    assert xml_value(with_period, f"{delivery}/ram:ShipToTradeParty/ram:PostalTradeAddress/ram:CountryID") == ["FR"]
    assert xml_value(with_period, f"{SETTLEMENT}/ram:BillingSpecifiedPeriod/ram:EndDateTime/*") == ["20260131"]
    without = zero_tax("intra_community_supply")
    lines = [dict(line, period=None) for line in without.model_dump(mode="json")["lines"]]
    xml = xml_of(zero_tax("intra_community_supply", lines=lines))
    assert_valid_einvoice(xml)
    assert xml_value(xml, f"{delivery}/ram:ActualDeliverySupplyChainEvent/ram:OccurrenceDateTime/*") == ["20260105"]


@pytest.mark.parametrize("code", [None, "VATEX-EU-132-1C"])
def test_exempt_carries_the_merchants_reason_and_optional_vatex_code(code):
    reason = "Article 132(1)(c) of Directive 2006/112/EC (medical care)"
    xml = xml_of(zero_tax("exempt", reason, code, locale="de_DE"))
    assert_valid_einvoice(xml)
    assert xml_value(xml, f"{HEADER_TAX}/ram:CategoryCode") == ["E"]
    assert xml_value(xml, f"{HEADER_TAX}/ram:ExemptionReason") == [f"Steuerfrei: {reason}"]  # the invoice's language
    assert xml_value(xml, f"{HEADER_TAX}/ram:ExemptionReasonCode") == ([code] if code else [])


@pytest.mark.parametrize(("locale", "wording"), [
    ("en_US", "Reverse charge: VAT to be accounted for by the recipient (Article 196, Directive 2006/112/EC)"),
    ("de_DE", "Die Umsatzsteuer schuldet der Leistungsempfänger (Artikel 196 der Richtlinie 2006/112/EG)"),
    ("fr_FR", "Autoliquidation : TVA due par le preneur (article 196 de la directive 2006/112/CE)"),
])
def test_the_pdf_shows_the_legal_mention_in_the_invoices_language_and_embeds_the_valid_xml(locale, wording):
    pdf = renderer.render_invoice(from_snapshot(zero_tax("reverse_charge", locale=locale)))
    text = " ".join(squeezed(pdf_text(pdf)).split())
    assert wording in text
    label = {"en_US": "Reverse charge", "de_DE": "Steuerschuldnerschaft des Leistungsempfängers",
             "fr_FR": "Autoliquidation"}[locale]
    assert label in text and "19%" not in text and "19 %" not in text
    [xml] = attachments(pdf)["factur-x.xml"]
    assert_valid_einvoice(xml)


# --- no e-invoice without what EN 16931 requires -----------------------------------------------------

@pytest.mark.parametrize(("overrides", "param"), [
    ({"issuer": {"company_name": "Demo Company"}}, "settings.address"),
    ({"issuer": issuer(tax_id=None)}, "settings.tax_id"),
    ({"issuer": issuer(tax_id="12-3456789")}, "settings.tax_id"),  # a tax number without a country prefix
    ({"issuer": issuer(), "customer": {"id": "cus_1", "name": "Ada", "email": "ada@example.com"}},
     "customer.billing_address"),
    # Codes the API takes as countries but ISO 3166 (the CII schema's list) does not: no XML, not an error.
    ({"issuer": issuer(address={"lines": ["Rr. UÇK 1"], "city": "Prishtina", "country": "XK"})}, "settings.address"),
    ({"issuer": issuer(), "customer": {"id": "cus_1", "name": "Ada", "email": "ada@example.com",
                                       "tax_id": "ABC12345"}}, "customer.billing_address"),
])
def test_an_invoice_missing_what_en16931_requires_gets_no_xml_and_a_plain_pdf(overrides, param):
    doc = from_snapshot(snapshot(**overrides))
    with pytest.raises(facturx.IncompleteInvoice) as raised:
        facturx.build_xml(doc)
    assert raised.value.missing[0].param == param
    pdf = renderer.render_invoice(doc)
    assert attachments(pdf) == {} and "Invoice number INV-2026-00042" in squeezed(pdf_text(pdf))


def test_the_buyers_country_may_come_from_its_vat_id():
    customer = {"id": "cus_1", "name": "Käufer AG", "email": "ap@kaeufer.example", "tax_id": "ATU12345678"}
    xml = xml_of(snapshot(issuer=issuer(), customer=customer))
    assert_valid_einvoice(xml)
    buyer = f"{RSM}/ram:ApplicableHeaderTradeAgreement/ram:BuyerTradeParty"
    assert xml_value(xml, f"{buyer}/ram:PostalTradeAddress/ram:CountryID") == ["AT"]


def test_every_amount_has_at_most_two_decimals_whatever_the_currency():
    for currency in ("eur", "jpy", "kwd", "bhd", "clf"):
        xml = xml_of(snapshot(currency=currency, issuer=issuer()))
        assert_valid_einvoice(xml)
        for value in xml_value(xml, f"{SUMMATION}/*"):
            assert -Decimal(value).as_tuple().exponent <= 2, (currency, value)
