"""DocumentInput → the template's context: every string already localized, no logic left for Jinja."""

from __future__ import annotations

from dataclasses import dataclass

from duely_contracts.models import Address

from duely_presentation.content import DocumentInput, Party
from duely_presentation.i18n import Formatter

STAMPS = {"paid", "void", "uncollectible", "past_due"}
PAYABLE = {"issued", "past_due"}


@dataclass
class PartyView:
    name: str
    lines: list[str]
    tax_id: str | None
    email: str | None


@dataclass
class LineView:
    description: str
    quantity: str
    unit_price: str
    taxes: str
    amount: str
    period: str | None = None
    discount: str | None = None


@dataclass
class TotalRow:
    label: str
    value: str
    strong: bool = False


@dataclass
class InvoiceView:
    lang: str
    locale: str  # Babel locale, e.g. fr_FR
    labels: dict[str, str]
    title: str
    is_draft: bool
    stamp: str | None
    number: str | None
    meta: list[tuple[str, str]]
    seller: PartyView
    buyer: PartyView
    lines: list[LineView]
    tax_rows: list[tuple[str, str, str, str]]  # name, rate, taxable, tax
    totals: list[TotalRow]
    amount_due: str
    pay_url: str | None
    bank_rows: list[tuple[str, str]]
    memo: str | None
    footer: str | None
    logo_url: str | None
    accent: str
    show_tax_column: bool = True
    status: str = "issued"
    status_label: str = ""
    due_text: str | None = None  # "Due December 29, 2026", or "Paid in full" once nothing is due
    is_payable: bool = False
    total: str = ""
    amount_paid: str | None = None
    payment_methods: list[str] | None = None  # the accepted methods, in the customer's language
    currency: str = ""
    tax_notice: str | None = None  # the legal mention of a zero-tax treatment (reverse charge...)
    method_codes: tuple[str, ...] = ()  # the accepted methods as codes: card, ach_debit, wire_transfer, check...


def address_lines(address: Address, f: Formatter) -> list[str]:
    lines = list(address.lines)
    if address.country == "US" or (address.region and not address.country):
        city_line = ", ".join(x for x in (address.city, " ".join(y for y in (address.region, address.postal_code)
                                                                        if y)) if x)
    else:
        city_line = " ".join(x for x in (address.postal_code, address.city) if x)
        if address.region:
            city_line = f"{city_line}, {address.region}" if city_line else address.region
    if city_line:
        lines.append(city_line)
    if address.country:
        lines.append(f.country(address.country))
    return lines


def party_view(party: Party, f: Formatter) -> PartyView:
    return PartyView(party.name, address_lines(party.address, f), party.tax_id, party.email)


def build_view(doc: DocumentInput) -> InvoiceView:
    f = Formatter(doc.locale, doc.currency)
    L = f.labels

    meta: list[tuple[str, str]] = []
    if not doc.is_draft:
        meta.append((L["number"], doc.number))
    if doc.issue_date:
        meta.append((L["issue_date"], f.date(doc.issue_date)))
    if doc.due_date:
        meta.append((L["due_date"], f.date(doc.due_date)))
    meta.append((L["payment_terms"], f.terms(doc.payment_terms)))

    lines = []
    for line in doc.lines:
        taxes = ", ".join(f.percent(r.percentage) + (f" {L['included']}" if r.inclusive else "") for r in line.rates)
        period = None
        if line.period_start and line.period_end:
            period = f"{f.date(line.period_start)} – {f.date(line.period_end)}"
        own = line.own_discount_amount if line.own_discount_amount is not None else (
            line.discount_amount if not doc.discounts else 0)  # without itemized discounts, all of it is its own
        discount = f"{L['discount']}: {f.money(-own)}" if own else None
        lines.append(LineView(line.description, f.quantity(line.quantity), f.money(line.unit_amount), taxes,
                              f.money(line.amount), period, discount))

    def tax_name(entry) -> str:  # a zero-tax treatment's entry is named in the document's language
        return doc.tax_treatment.label(doc.locale) if doc.tax_treatment.zero_rated else entry.display_name

    tax_rows = [(tax_name(entry),
                 f.percent(entry.percentage) + (f" {L['included']}" if entry.inclusive else ""),
                 f.money(entry.taxable_amount), f.money(entry.tax_amount)) for entry in doc.tax_breakdown]

    totals = [TotalRow(L["subtotal"], f.money(doc.subtotal))]
    # total_discount = the lines' own discounts + the invoice-wide ones: show each part once.
    invoice_wide = sum(d.amount for d in doc.discounts)
    if doc.total_discount - invoice_wide > 0:
        label = L["discount"] if doc.discounts or any(line.discount_amount for line in doc.lines) \
            else L["total_discount"]
        totals.append(TotalRow(label, f.money(-(doc.total_discount - invoice_wide))))
    for discount in doc.discounts:
        detail = f.percent(discount.percentage) if discount.percentage is not None else ""
        totals.append(TotalRow(f"{L['discount']} ({detail})" if detail else L["discount"],
                               f.money(-discount.amount)))
    for entry in doc.tax_breakdown:
        included = f" {L['included']}" if entry.inclusive else ""
        totals.append(TotalRow(f"{tax_name(entry)} {f.percent(entry.percentage)}{included}",
                               f.money(entry.tax_amount)))
    totals.append(TotalRow(L["total"], f.money(doc.total), strong=True))
    if doc.amount_paid:
        totals.append(TotalRow(L["amount_paid"], f.money(-doc.amount_paid)))

    bank = doc.bank
    bank_rows = [(L[key], value) for key, value in (
        ("account_name", bank.account_name), ("bank_name", bank.bank_name), ("iban", bank.iban),
        ("bic", bank.bic), ("account_number", bank.account_number), ("routing_number", bank.routing_number))
        if value]
    if bank_rows and doc.number:
        bank_rows.append((L["reference"], doc.number))

    stamp = L[doc.status] if doc.status in STAMPS else None
    status_label = L["draft_status"] if doc.is_draft else L.get(doc.status, doc.status.replace("_", " ").capitalize())
    if doc.amount_due <= 0 and doc.status == "paid":
        due_text = L["paid_in_full"]
    elif doc.due_date and doc.status in ("issued", "past_due"):
        due_text = L["due_on"].format(date=f.date(doc.due_date))
    else:
        due_text = None
    title = f"{L['invoice']} ({L['draft']})" if doc.is_draft else f"{L['invoice']} {doc.number}"
    return InvoiceView(
        lang=f.html_lang, locale=str(f.locale), labels=L, status=doc.status, status_label=status_label,
        due_text=due_text, is_payable=doc.status in PAYABLE and doc.amount_due > 0 and not doc.is_draft,
        total=f.money(doc.total), amount_paid=f.money(doc.amount_paid) if doc.amount_paid else None,
        payment_methods=[L.get(f"method_{m}", m) for m in doc.accepted_payment_methods], currency=doc.currency, title=title, is_draft=doc.is_draft, stamp=stamp,
        number=None if doc.is_draft else doc.number, meta=meta, seller=party_view(doc.seller, f),
        buyer=party_view(doc.buyer, f), lines=lines, tax_rows=tax_rows, totals=totals,
        amount_due=f.money(doc.amount_due), pay_url=None if doc.is_draft else doc.pay_url, bank_rows=bank_rows,
        memo=doc.memo, footer=doc.footer, logo_url=doc.logo_url, accent=doc.accent_color,
        show_tax_column=any(line.rates for line in doc.lines), tax_notice=doc.tax_notice,
        method_codes=doc.accepted_payment_methods,
    )
