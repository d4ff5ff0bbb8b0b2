"""DocumentInput → the template's context: every string already localized, no logic left for Jinja."""

from __future__ import annotations

from dataclasses import dataclass

from duely_contracts.models import Address

from duely_presentation.content import DocumentInput, Party
from duely_presentation.i18n import Formatter
from duely_presentation.methods import ONLINE_METHODS, describe_ref, method_type_name

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
    # How to pay, one entry per way the invoice accepts (or the AutoPay notice alone when AutoPay will
    # charge it): dicts with kind online | transfer | check | autopay, title, intro, and rows / lines.
    payment_ways: list[dict] = None  # type: ignore[assignment]
    autopay: dict | None = None  # {text, method, date, sepa: {rows, text} | None} while AutoPay will charge it
    is_partial: bool = False  # something paid, something still due
    remaining: str | None = None  # the balance, when partially paid


def _autopay(doc: DocumentInput, f: Formatter, payable: bool) -> dict | None:
    """What AutoPay will do, in the customer's words; None when it is off or nothing is due."""
    plan = doc.autopay
    if plan is None or not plan.enabled or not payable:
        return None
    L = f.labels
    method = describe_ref(L, plan.payment_method) if plan.payment_method else None
    day = f.date(plan.charge_date) if plan.charge_date else None
    if method and day:
        text = L["autopay_notice"].format(date=day, method=method)
    elif method:
        text = L["autopay_notice_no_date"].format(method=method)
    else:
        text = L["autopay_notice_no_method"].format(date=day or f.date(doc.due_date) or "—")
    sepa = None
    ref = plan.payment_method
    if ref is not None and ref.type == "sepa_debit":
        amount = f.money(doc.amount_due)
        rows = [(L["debit_amount"], amount), (L["sepa_debit_date"], day or ""),
                (L["sepa_account"], L["method_masked"].format(name="IBAN", last4=ref.last4 or "")),
                (L["sepa_mandate"], ref.mandate_reference or "—"), (L["sepa_creditor"], doc.seller.name)]
        sepa = {"title": L["sepa_prenotification_title"], "rows": rows,
                "text": L["sepa_prenotification"].format(creditor=doc.seller.name, amount=amount, last4=ref.last4 or "",
                                                         date=day or "", mandate=ref.mandate_reference or "—")}
    return {"text": text, "method": method, "date": day, "sepa": sepa, "nothing_to_do": L["autopay_nothing_to_do"]}


def _payment_ways(doc: DocumentInput, f: Formatter, seller: "PartyView", bank_rows: list[tuple[str, str]],
                  autopay: dict | None, payable: bool, pay_url: str | None) -> list[dict]:
    """The invoice's accepted methods as instructions, online → bank transfer → check."""
    if not payable:
        return []
    L = f.labels
    if autopay is not None:
        return [{"kind": "autopay", "title": L["how_to_pay"], "intro": autopay["text"], "rows": [],
                 "lines": [autopay["nothing_to_do"]]}]
    # An invoice from before accepted methods were carried: paid online, and by transfer when it has bank details.
    codes = doc.accepted_payment_methods or (("card", "wire_transfer") if bank_rows else ("card",))
    ways: list[dict] = []
    online = [method_type_name(L, code) for code in dict.fromkeys(
        "ach_debit" if code == "us_bank_account" else code for code in codes) if code in ONLINE_METHODS]
    if online and pay_url:
        names = online[0] if len(online) == 1 else f"{', '.join(online[:-1])} {L['email_or']} {online[-1]}"
        ways.append({"kind": "online", "title": L["pay_online"], "intro": L["pay_online_intro"].format(methods=names),
                     "url": pay_url, "rows": [], "lines": []})
    if "wire_transfer" in codes and bank_rows:
        ways.append({"kind": "transfer", "title": L["bank_transfer"],
                     "intro": L["pay_by_transfer_intro"].format(reference=doc.number), "rows": bank_rows,
                     "lines": []})
    if "check" in codes:
        ways.append({"kind": "check", "title": L["method_check"],
                     "intro": L["pay_by_check_intro"].format(payee=seller.name, reference=doc.number),
                     "rows": [(L["reference_to_quote"], doc.number or "")], "lines": [seller.name, *seller.lines]})
    return ways


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
    # Bank details only when the invoice takes transfers (an older invoice without accepted methods: when
    # it has bank details at all).
    takes_transfers = "wire_transfer" in doc.accepted_payment_methods or not doc.accepted_payment_methods
    bank_rows = [] if not takes_transfers else [(L[key], value) for key, value in (
        ("account_name", bank.account_name), ("bank_name", bank.bank_name), ("iban", bank.iban),
        ("bic", bank.bic), ("account_number", bank.account_number), ("routing_number", bank.routing_number))
        if value]
    if bank_rows and doc.number:
        bank_rows.append((L["reference_to_quote"], doc.number))

    stamp = L[doc.status] if doc.status in STAMPS else None
    status_label = L["draft_status"] if doc.is_draft else L.get(doc.status, doc.status.replace("_", " ").capitalize())
    if doc.amount_due <= 0 and doc.status == "paid":
        due_text = L["paid_in_full"]
    elif doc.due_date and doc.status in ("issued", "past_due"):
        due_text = L["due_on"].format(date=f.date(doc.due_date))
    else:
        due_text = None
    title = f"{L['invoice']} ({L['draft']})" if doc.is_draft else f"{L['invoice']} {doc.number}"
    payable = doc.status in PAYABLE and doc.amount_due > 0 and not doc.is_draft
    partial = payable and doc.amount_paid > 0
    if partial and doc.status == "issued":
        status_label = L["partially_paid"]
    seller = party_view(doc.seller, f)
    pay_url = None if doc.is_draft else doc.pay_url
    autopay = _autopay(doc, f, payable)
    return InvoiceView(
        payment_ways=_payment_ways(doc, f, seller, bank_rows, autopay, payable, pay_url), autopay=autopay,
        is_partial=partial, remaining=f.money(doc.amount_due) if partial else None,
        lang=f.html_lang, locale=str(f.locale), labels=L, status=doc.status, status_label=status_label,
        due_text=due_text, is_payable=payable,
        total=f.money(doc.total), amount_paid=f.money(doc.amount_paid) if doc.amount_paid else None,
        payment_methods=[L.get(f"method_{m}", m) for m in doc.accepted_payment_methods], currency=doc.currency, title=title, is_draft=doc.is_draft, stamp=stamp,
        number=None if doc.is_draft else doc.number, meta=meta, seller=seller,
        buyer=party_view(doc.buyer, f), lines=lines, tax_rows=tax_rows, totals=totals,
        amount_due=f.money(doc.amount_due), pay_url=pay_url, bank_rows=bank_rows,
        memo=doc.memo, footer=doc.footer, logo_url=doc.logo_url, accent=doc.accent_color,
        show_tax_column=any(line.rates for line in doc.lines), tax_notice=doc.tax_notice,
        method_codes=doc.accepted_payment_methods,
    )
