"""What an invoice document shows, as plain data: built from the invoice snapshot, no I/O.

The snapshot contract grows optional fields (issuer branding, locale, billing
addresses, discounts...). Everything here reads them defensively, so the
documents work with the fields present today and pick up the new ones as they
land: a missing issuer falls back to the organization's name, a missing
locale to English, a missing accent colour to DEFAULT_ACCENT.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import BaseModel

from duely_contracts import tax_treatment as vat
from duely_contracts.text import printable

DEFAULT_ACCENT = "#2f5bea"
DEFAULT_LOCALE = "en"
_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}){1,2}")


@dataclass(frozen=True)
class Address:
    line1: str | None = None
    line2: str | None = None
    postal_code: str | None = None
    city: str | None = None
    state: str | None = None
    country: str | None = None  # ISO 3166-1 alpha-2, upper case


@dataclass(frozen=True)
class Party:
    name: str
    email: str | None = None
    address: Address = field(default_factory=Address)
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
    description: str | None = None


@dataclass(frozen=True)
class BankDetails:
    account_holder: str | None = None
    bank_name: str | None = None
    iban: str | None = None
    bic: str | None = None
    account_number: str | None = None
    routing_number: str | None = None
    sort_code: str | None = None
    text: str | None = None  # free-form instructions when given as one string


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

    @property
    def is_draft(self) -> bool:
        return self.status == "draft" or not self.number


# --- reading the snapshot ------------------------------------------------------------

def pick(obj: Any, *names: str, default: Any = None) -> Any:
    """The first non-empty attribute or key among `names` (snapshots may carry models or dicts)."""
    if obj is None:
        return default
    for name in names:
        value = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
        if value is not None and value != "":
            return value
    return default


def _text(value: Any) -> str | None:
    return str(value).strip() or None if value is not None else None


def _decimal(value: Any, default: str = "0") -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return Decimal(default)


def _date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def address_from(value: Any) -> Address:
    """A Stripe-style address dict/model, or a free-text address (one line per line)."""
    if value is None:
        return Address()
    if isinstance(value, str):
        lines = [part.strip() for part in value.splitlines() if part.strip()]
        return Address(line1=lines[0] if lines else None, line2=", ".join(lines[1:]) or None)
    country = _text(pick(value, "country", "country_code"))
    street = [str(x).strip() for x in (pick(value, "lines", default=[]) or []) if str(x).strip()]  # contract Address
    line1 = street[0] if street else _text(pick(value, "line1", "line_1", "street"))  # Stripe-style
    line2 = ", ".join(street[1:]) if street else _text(pick(value, "line2", "line_2"))
    return Address(
        line1=line1, line2=line2 or None,
        postal_code=_text(pick(value, "postal_code", "postcode", "zip")), city=_text(pick(value, "city")),
        state=_text(pick(value, "region", "state")),
        country=country.upper() if country and len(country) == 2 else None,
    )


def bank_from(value: Any) -> BankDetails:
    if value is None:
        return BankDetails()
    if isinstance(value, str):
        return BankDetails(text=value.strip() or None)
    return BankDetails(
        account_holder=_text(pick(value, "account_holder", "account_holder_name", "account_name", "beneficiary")),
        bank_name=_text(pick(value, "bank_name", "bank")),
        iban=_text(pick(value, "iban")), bic=_text(pick(value, "bic", "swift", "swift_bic")),
        account_number=_text(pick(value, "account_number")),
        routing_number=_text(pick(value, "routing_number", "aba")),
        sort_code=_text(pick(value, "sort_code")), text=_text(pick(value, "instructions", "text", "note")),
    )


def _accent(value: Any) -> str:
    text = _text(value)
    return text if text and _COLOUR.fullmatch(text) else DEFAULT_ACCENT  # it lands in CSS: colours only


def _rates(value: Any) -> tuple[Rate, ...]:
    return tuple(Rate(str(pick(r, "display_name", default="Tax")), _decimal(pick(r, "percentage")),
                      bool(pick(r, "inclusive", default=False))) for r in (value or []))


def _line(value: Any) -> Line:
    period = pick(value, "period")
    start = _date(pick(period, "start", "start_date")) if period is not None else _date(pick(value, "period_start"))
    end = _date(pick(period, "end", "end_date")) if period is not None else _date(pick(value, "period_end"))
    tax_amount = pick(value, "tax_amount")
    own = pick(value, "discounts")
    own_discount = sum(int(pick(d, "discount_amount", default=0)) for d in own) if own is not None else None
    return Line(
        description=str(pick(value, "description", default="")), quantity=_decimal(pick(value, "quantity"), "1"),
        unit_amount=int(pick(value, "unit_amount", default=0)), amount=int(pick(value, "amount", default=0)),
        rates=_rates(pick(value, "tax_rates")), discount_amount=int(pick(value, "discount_amount", default=0)),
        own_discount_amount=own_discount,
        tax_amount=int(tax_amount) if tax_amount is not None else None, period_start=start, period_end=end,
    )


def _discounts(snapshot: Any) -> tuple[Discount, ...]:
    found = []
    for item in pick(snapshot, "discounts", default=[]) or []:
        taken = pick(item, "discount_amount", "amount")  # what it took off; `amount` alone = a fixed discount
        if taken is None:
            continue
        percentage = pick(item, "percentage")
        found.append(Discount(int(taken), _decimal(percentage) if percentage is not None else None,
                              _text(pick(item, "description", "name"))))
    return tuple(found)


def _treatment(snapshot: Any, locale: str) -> tuple[vat.Applied, str | None]:
    """The snapshot's treatment, and its mention as the snapshot words it (fixed when it was issued),
    in the document's language, else in English."""
    value = pick(snapshot, "tax_treatment")
    kind = _text(pick(value, "type"))
    if kind not in vat.KINDS:
        return vat.applied(None), None
    applied = vat.Applied(kind, _text(pick(value, "exemption_reason")),
                                    _text(pick(value, "exemption_reason_code")))
    notices = pick(value, "notices", default={}) or {}
    language = locale.replace("-", "_").split("_")[0].lower()
    notice = _text(notices.get(language) or notices.get("en")) or applied.notice(locale)
    return applied, notice


def _printable_copy(snapshot: Any) -> Any:
    """The snapshot with control characters stripped from every text: the API refuses them now,
    but an invoice stored before that rule must still render (XML cannot carry most of them)."""
    def clean(value: Any) -> Any:
        if isinstance(value, str):
            return printable(value)
        if isinstance(value, list):
            return [clean(v) for v in value]
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items()}
        return value
    if isinstance(snapshot, BaseModel):
        return type(snapshot).model_validate(clean(snapshot.model_dump()))
    return clean(snapshot)


def from_snapshot(snapshot: Any) -> DocumentInput:
    """InvoiceSnapshot (or anything shaped like it) → DocumentInput."""
    snapshot = _printable_copy(snapshot)
    issuer = pick(snapshot, "issuer")
    customer = pick(snapshot, "customer")
    seller = Party(
        name=str(pick(issuer, "company_name", "name", default=None) or pick(snapshot, "organization_name")),
        email=_text(pick(issuer, "email")), address=address_from(pick(issuer, "address")),
        tax_id=_text(pick(issuer, "tax_id")),
    )
    buyer = Party(
        name=str(pick(customer, "name", default="")), email=_text(pick(customer, "email")),
        address=address_from(pick(customer, "billing_address", "address")),
        tax_id=_text(pick(customer, "tax_id")),
    )
    lines = tuple(_line(line) for line in pick(snapshot, "lines", default=[]))
    discounts = _discounts(snapshot)
    locale = str(pick(snapshot, "locale", default=None) or pick(customer, "locale", default=DEFAULT_LOCALE))
    treatment, notice = _treatment(snapshot, locale)
    total_discount = pick(snapshot, "total_discount")
    if total_discount is None:
        # Lines' discount_amount already include their share of the invoice-wide discounts.
        total_discount = sum(line.discount_amount for line in lines) or sum(d.amount for d in discounts)
    return DocumentInput(
        invoice_id=snapshot.id, version=int(snapshot.version), number=snapshot.number, status=snapshot.status,
        currency=snapshot.currency.lower(), locale=locale,
        issue_date=_date(pick(snapshot, "issued_at")), due_date=_date(pick(snapshot, "due_date")),
        payment_terms=str(pick(snapshot, "payment_terms", default="")), memo=_text(pick(snapshot, "memo")),
        seller=seller, buyer=buyer, lines=lines,
        tax_breakdown=tuple(TaxEntry(str(e.display_name), _decimal(e.percentage), bool(e.inclusive),
                                     int(e.taxable_amount), int(e.tax_amount))
                            for e in pick(snapshot, "tax_breakdown", default=[])),
        discounts=discounts, subtotal=int(snapshot.subtotal), total_discount=int(total_discount),
        tax=int(snapshot.tax), total=int(snapshot.total), amount_paid=int(snapshot.amount_paid),
        amount_due=int(snapshot.amount_due), pay_url=_text(pick(snapshot, "hosted_invoice_url")),
        logo_url=_text(pick(issuer, "logo_url", "logo")), accent_color=_accent(pick(issuer, "accent_color",
                                                                                     "accent_colour", "brand_color")),
        footer=_text(pick(issuer, "footer", "footer_text")), bank=bank_from(pick(issuer, "bank_details", "bank")),
        accepted_payment_methods=tuple(str(m) for m in (pick(issuer, "accepted_payment_methods", default=[]) or [])),
        buyer_locale=_text(pick(customer, "locale")),
        tax_treatment=treatment, tax_notice=notice,
    )
