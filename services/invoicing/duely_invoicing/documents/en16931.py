"""EN 16931 rules the Factur-X builder must honour, as plain functions of a DocumentInput (no XML here).

- What an invoice needs before it can be an EN 16931 e-invoice at all (BR-08..11, BR-CO-26): the seller's
  and the buyer's country, and the seller's VAT id. Without them the XML would be invalid, so none is made:
  the PDF goes out without an attachment and GET …/facturx.xml says what is missing.
- One payment means per invoice (CII-SR-467: every payment means has the same type code), chosen by the
  accepted payment methods.
- Amounts with at most two decimals (BR-DEC-*): currencies with more minor digits (KWD, BHD, CLF…) are
  rounded to hundredths, half up, component by component, and the XML's totals are summed from the rounded
  components so that it reconciles with itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from duely_invoicing import schema_docs
from duely_presentation.content import DocumentInput, Party
from duely_contracts import tax_treatment
from duely_invoicing.domain.money import minor_unit_exponent

MAX_DECIMALS = 2  # BR-DEC-01..23: every amount of the invoice (not unit prices) has at most two decimals

# UNTDID 4461 payment means codes.
SEPA_CREDIT_TRANSFER = "58"
CREDIT_TRANSFER = "30"
ONLINE_PAYMENT = "68"
CHEQUE = "20"


# --- can it be an e-invoice? -------------------------------------------------------------------

@dataclass(frozen=True)
class Missing:
    param: str  # the setting to fill in: settings.* (PATCH /v1/settings/invoicing) or customer.*
    message: str


# Babel's territories that are not ISO 3166-1 alpha-2 codes (regions, reserved and user-assigned codes): the
# CII schema's country code list refuses them, so an address in one of them can't make an e-invoice.
NOT_ISO_3166 = frozenset({"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "XK", "ZZ"})
VAT_ONLY_PREFIXES = frozenset({"EL", "XI"})  # Greece and Northern Ireland (BR-CO-09 accepts them)


@cache
def iso_countries() -> frozenset[str]:
    return schema_docs.countries() - NOT_ISO_3166


def country(party: Party) -> str | None:
    """The party's country as EN 16931 accepts it: its address's, else its VAT id's prefix."""
    code = party.address.country or tax_treatment.vat_country(party.tax_id) or _iso_prefix(party.tax_id)
    return code if code in iso_countries() else None


def vat_id(party: Party) -> str | None:
    """The party's tax id as a VAT identifier (BT-31/BT-48) when it has a country prefix, else None."""
    return tax_treatment.normalize_vat_id(party.tax_id) if _iso_prefix(party.tax_id) else None


def missing_facts(doc: DocumentInput) -> list[Missing]:
    found = []
    if not country(doc.seller):
        found.append(Missing("settings.address", "EN 16931 needs the seller's postal address with its ISO 3166 "
                                                 "country (BR-08, BR-09): set address.country in the invoice "
                                                 "settings."))
    if not vat_id(doc.seller):
        found.append(Missing("settings.tax_id", "EN 16931 needs the seller's VAT identifier with its country "
                                                "prefix, e.g. DE123456789 (BR-CO-26, BR-CO-09)."))
    if not country(doc.buyer):
        found.append(Missing("customer.billing_address", "EN 16931 needs the buyer's postal address with its ISO "
                                                         "3166 country (BR-10, BR-11): set the customer's "
                                                         "billing_address.country or an EU VAT id."))
    return found


def _iso_prefix(tax_id: str | None) -> str | None:
    """The country of a tax id that starts with one (DE…, EL… → GR, XI… → GB), else None."""
    normalized = tax_treatment.normalize_vat_id(tax_id) if tax_id else ""
    prefix = normalized[:2]
    if len(normalized) <= 2 or not (prefix in iso_countries() or prefix in VAT_ONLY_PREFIXES):
        return None
    return {"EL": "GR", "XI": "GB"}.get(prefix, prefix)


# --- payment means -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Means:
    code: str
    information: str | None = None
    iban: str | None = None
    account_number: str | None = None
    account_name: str | None = None
    bic: str | None = None


def payment_means(doc: DocumentInput) -> Means | None:
    """The invoice's one payment means (CII-SR-467).

    A bank account printed on the invoice (wire transfers accepted) is what a buyer's accounts-payable
    software can pay from the XML, so it wins: 58 (SEPA credit transfer) for an IBAN in euros, else 30
    (credit transfer). The pay link then rides in that means' text (BT-82). Without an account: 68 (online
    payment service) with the pay link when the customer pays on the hosted page, 20 when only cheques
    are accepted, and no means at all when nothing says how to pay (BG-16 is optional).
    """
    bank = doc.bank
    online = f"Pay online: {doc.pay_url}" if doc.pay_url else None
    if bank.iban:
        code = SEPA_CREDIT_TRANSFER if doc.currency.lower() == "eur" else CREDIT_TRANSFER
        return Means(code, online, iban=bank.iban.replace(" ", ""), account_name=bank.account_name, bic=bank.bic)
    if bank.account_number:
        return Means(CREDIT_TRANSFER, online, account_number=bank.account_number,
                     account_name=bank.account_name)
    if doc.pay_url and set(doc.accepted_payment_methods) != {"check"}:
        return Means(ONLINE_PAYMENT, online)
    if "check" in doc.accepted_payment_methods:
        return Means(CHEQUE, None)
    return None


# --- amounts -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Scale:
    """Invoice minor units → the XML's units (hundredths at most), and those to a decimal for the XML."""

    exponent: int

    @property
    def xml_exponent(self) -> int:
        return min(self.exponent, MAX_DECIMALS)

    @property
    def rounds(self) -> bool:
        return self.exponent > MAX_DECIMALS

    def units(self, amount: int) -> int:
        if not self.rounds:
            return amount
        return int(Decimal(amount).scaleb(MAX_DECIMALS - self.exponent).to_integral_value(rounding=ROUND_HALF_UP))

    def decimal(self, units: int) -> Decimal:
        return Decimal(units).scaleb(-self.xml_exponent)


def scale_for(currency: str) -> Scale:
    return Scale(minor_unit_exponent(currency))
