"""What an invoice document shows, as plain data: built from the invoice snapshot, no I/O.

Reads the snapshot contract (`duely_contracts.models.InvoiceSnapshot`) through its attributes; the
addresses and bank details are the contract's own types. Only what the contract allows to be missing
has a default: no issuer → the organization's name, no locale → English, no accent colour →
DEFAULT_ACCENT.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from duely_contracts import tax_treatment as vat
from duely_contracts.models import (
    Address, AutopayPlan, BankDetails, DiscountApplied, InvoiceLine, InvoiceSnapshot, Issuer, TaxRateApplied,
    TaxTreatmentApplied,
)
from duely_contracts.text import printable

DEFAULT_ACCENT = "#2f5bea"
DEFAULT_LOCALE = "en"
_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}){1,2}")


@dataclass(frozen=True)
class Party:
    name: str
    email: str | None = None
    address: Address = field(default_factory=Address)  # as _address leaves it: trimmed, two street lines at most
    tax_id: str | None = None


@dataclass(frozen=True)
class Rate:
    display_name: str
    percentage: Decimal
    inclusive: bool = False


@dataclass(frozen=True)
class Line:
    description: str
    quantity: Decimal
    unit_amount: int
    amount: int  # quantity × unit_amount, before discount and tax (what the line shows)
    rates: tuple[Rate, ...] = ()
    discount_amount: int = 0  # everything taken off this line: its own discounts + its share of the invoice's
    own_discount_amount: int | None = None  # its own discounts alone, when the snapshot itemizes them
    tax_amount: int | None = None  # its share of the invoice's taxes, when the snapshot says
    period_start: date | None = None
    period_end: date | None = None


@dataclass(frozen=True)
class TaxEntry:
    display_name: str
    percentage: Decimal
    inclusive: bool
    taxable_amount: int
    tax_amount: int


@dataclass(frozen=True)
class Discount:
    """An invoice-wide discount: what it took off, and its percentage when it is one."""

    amount: int
    percentage: Decimal | None = None


@dataclass(frozen=True)
class DocumentInput:
    """Everything the template and the XML builder need, already resolved."""

    invoice_id: str
    version: int
    number: str | None
    status: str
    currency: str  # lower case, as stored
    locale: str
    issue_date: date | None
    due_date: date | None
    payment_terms: str
    memo: str | None
    seller: Party
    buyer: Party
    lines: tuple[Line, ...]
    tax_breakdown: tuple[TaxEntry, ...]
    discounts: tuple[Discount, ...]
    subtotal: int
    total_discount: int
    tax: int
    total: int
    amount_paid: int
    amount_due: int
    pay_url: str | None = None
    logo_url: str | None = None
    accent_color: str = DEFAULT_ACCENT
    footer: str | None = None
    bank: BankDetails = field(default_factory=BankDetails)
    accepted_payment_methods: tuple[str, ...] = ()  # card, us_bank_account, sepa_debit, wire_transfer, check
    buyer_locale: str | None = None
    # The VAT treatment and its legal mention in this document's language (None when standard).
    tax_treatment: vat.Applied = field(default_factory=lambda: vat.applied(None))
    tax_notice: str | None = None
    autopay: AutopayPlan | None = None  # what AutoPay will do (enabled or not), as fixed at approval
    # Whether the accepted methods come from the invoice itself (snapshots since issue #9) or, on older
    # ones, from the issuer's settings as they were then.
    methods_from_invoice: bool = False

    @property
    def is_draft(self) -> bool:
        return self.status == "draft" or not self.number


# --- reading the snapshot ------------------------------------------------------------

def _text(value: str | None) -> str | None:
    return (value.strip() or None) if value is not None else None


def _decimal(value: str | None, default: str = "0") -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return Decimal(default)


def _address(address: Address | None) -> Address:
    """The address as documents print it: texts trimmed, at most two street lines (the first, then the
    others joined by commas), and the country an upper-case ISO 3166 code or nothing."""
    if address is None:
        return Address()
    street = [line.strip() for line in address.lines if line.strip()]
    country = _text(address.country)
    return Address(lines=street[:1] + ([", ".join(street[1:])] if len(street) > 1 else []),
                   city=_text(address.city), postal_code=_text(address.postal_code), region=_text(address.region),
                   country=country.upper() if country and len(country) == 2 else None)


def _bank(bank: BankDetails | None) -> BankDetails:
    if bank is None:
        return BankDetails()
    return BankDetails(account_name=_text(bank.account_name), bank_name=_text(bank.bank_name), iban=_text(bank.iban),
                       bic=_text(bank.bic), account_number=_text(bank.account_number),
                       routing_number=_text(bank.routing_number))


def _accent(value: str | None) -> str:
    text = _text(value)
    return text if text and _COLOUR.fullmatch(text) else DEFAULT_ACCENT  # it lands in CSS: colours only


def _rates(rates: list[TaxRateApplied]) -> tuple[Rate, ...]:
    return tuple(Rate(r.display_name or "Tax", _decimal(r.percentage), r.inclusive) for r in rates)


def _line(line: InvoiceLine) -> Line:
    return Line(
        description=line.description, quantity=_decimal(line.quantity, "1"), unit_amount=line.unit_amount,
        amount=line.amount, rates=_rates(line.tax_rates), discount_amount=line.discount_amount,
        own_discount_amount=sum(d.discount_amount for d in line.discounts), tax_amount=line.tax_amount,
        period_start=line.period.start if line.period else None, period_end=line.period.end if line.period else None,
    )


def _discounts(discounts: list[DiscountApplied]) -> tuple[Discount, ...]:
    """What each invoice-wide discount took off, with its percentage when it is one."""
    return tuple(Discount(d.discount_amount, _decimal(d.percentage) if d.percentage else None) for d in discounts)


def _treatment(treatment: TaxTreatmentApplied | None, locale: str) -> tuple[vat.Applied, str | None]:
    """The snapshot's treatment, and its mention as the snapshot words it (fixed when it was issued),
    in the document's language, else in English."""
    kind = _text(treatment.type) if treatment else None
    if kind not in vat.KINDS:
        return vat.applied(None), None
    applied = vat.Applied(kind, _text(treatment.exemption_reason), _text(treatment.exemption_reason_code))
    return applied, _text(treatment.notice(locale)) or applied.notice(locale)


def _printable_copy(snapshot: InvoiceSnapshot) -> InvoiceSnapshot:
    """The snapshot with control characters stripped from every text: the API refuses them now,
    but an invoice stored before that rule must still render (XML cannot carry most of them)."""
    def clean(value):
        if isinstance(value, str):
            return printable(value)
        if isinstance(value, list):
            return [clean(v) for v in value]
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        return value
    return InvoiceSnapshot.model_validate(clean(snapshot.model_dump()))


def from_snapshot(snapshot: InvoiceSnapshot) -> DocumentInput:
    """InvoiceSnapshot → DocumentInput."""
    snapshot = _printable_copy(snapshot)
    issuer = snapshot.issuer or Issuer(company_name=snapshot.organization_name)
    customer = snapshot.customer
    seller = Party(name=issuer.company_name or snapshot.organization_name, address=_address(issuer.address),
                   tax_id=_text(issuer.tax_id))
    buyer = Party(name=customer.name, email=_text(customer.email), address=_address(customer.billing_address),
                  tax_id=_text(customer.tax_id))
    locale = snapshot.locale or customer.locale or DEFAULT_LOCALE
    treatment, notice = _treatment(snapshot.tax_treatment, locale)
    # The invoice's own accepted methods (the customer's override or the organization's); older snapshots
    # carry only the issuer's.
    methods = snapshot.accepted_payment_methods
    accepted = tuple(dict.fromkeys(methods if methods is not None else issuer.accepted_payment_methods))
    return DocumentInput(
        invoice_id=snapshot.id, version=snapshot.version, number=snapshot.number, status=snapshot.status,
        currency=snapshot.currency.lower(), locale=locale,
        issue_date=snapshot.issued_at.date() if snapshot.issued_at else None, due_date=snapshot.due_date,
        payment_terms=snapshot.payment_terms, memo=_text(snapshot.memo),
        seller=seller, buyer=buyer, lines=tuple(_line(line) for line in snapshot.lines),
        tax_breakdown=tuple(TaxEntry(e.display_name, _decimal(e.percentage), e.inclusive, e.taxable_amount,
                                     e.tax_amount) for e in snapshot.tax_breakdown),
        discounts=_discounts(snapshot.discounts), subtotal=snapshot.subtotal, total_discount=snapshot.total_discount,
        tax=snapshot.tax, total=snapshot.total, amount_paid=snapshot.amount_paid, amount_due=snapshot.amount_due,
        pay_url=_text(snapshot.hosted_invoice_url), logo_url=_text(issuer.logo_url),
        accent_color=_accent(issuer.accent_color), footer=_text(issuer.footer), bank=_bank(issuer.bank_details),
        accepted_payment_methods=accepted, buyer_locale=_text(customer.locale),
        tax_treatment=treatment, tax_notice=notice, autopay=snapshot.autopay,
        methods_from_invoice=snapshot.accepted_payment_methods is not None,
    )
