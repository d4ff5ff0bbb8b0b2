"""Building blocks shared by event payloads: money, customers, invoice snapshots.

Money is always an integer of minor units of `currency` (ISO 4217, lower case
as Stripe writes it); decimals (quantities, tax percentages) travel as strings
so no float ever touches them.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from duely_contracts.timestamps import Timestamp


class Contract(BaseModel):
    """Base of every payload: unknown fields are kept out, optional ones may be added."""

    model_config = ConfigDict(extra="ignore")


class Address(Contract):
    lines: list[str] = Field(default_factory=list)
    city: str | None = None
    postal_code: str | None = None
    region: str | None = None
    country: str | None = Field(None, description="ISO 3166-1 alpha-2, e.g. 'DE'.")


class Contact(Contract):
    name: str | None = None
    email: str


class BankDetails(Contract):
    """Printed on the invoice for wire transfers."""

    account_name: str | None = None
    iban: str | None = None
    account_number: str | None = None
    bic: str | None = None
    routing_number: str | None = None
    bank_name: str | None = None


class Issuer(Contract):
    """The organization as printed on the invoice (taken at approval from its invoice settings)."""

    company_name: str
    address: Address | None = None
    tax_id: str | None = None
    logo_url: str | None = None
    accent_color: str | None = Field(None, description="#RRGGBB")
    footer: str | None = None
    bank_details: BankDetails | None = Field(None, description="Present when wire transfers are accepted.")
    accepted_payment_methods: list[str] = Field(
        default_factory=list, description="Subset of card, ach_debit, sepa_debit, wire_transfer, check.")
    email_from_name: str | None = Field(None, description="Display name of the emails' From (the address stays the "
                                                          "platform's); unset = company_name.")
    email_reply_to: str | None = Field(None, description="Reply-To of the emails; unset = none.")


class InvoiceSettingOverrides(Contract):
    """A customer's or subscription's overrides of the organization's invoice settings; null = inherit."""

    payment_terms: str | None = None
    currency: str | None = None
    locale: str | None = None
    attach_pdf: bool | None = None
    memo: str | None = None
    cc_emails: list[str] = Field(default_factory=list)
    autopay: "AutopaySettings | None" = Field(None, description="AutoPay for this level; null = inherit.")
    accepted_payment_methods: list[str] | None = Field(
        None, description="Customer level only: the methods this customer may pay by; null = the organization's.")
    reminders: "ReminderSettings | None" = Field(None, description="Reminders for this level; null = inherit.")
    late_fee: "LateFeeSettings | None" = Field(None, description="Customer level only: late fees; null = inherit.")
    dunning_schedule_id: str | None = Field(None, description="The dunning schedule for this level (subscription "
                                                              "or customer); null = inherit.")


# --- payment collection ------------------------------------------------------

AUTOPAY_TIMINGS = ("on_issue", "on_due_date", "days_before_due")
# What a saved payment method is at the gateway (Stripe's PaymentMethod types).
SAVED_METHOD_TYPES = ("card", "us_bank_account", "sepa_debit")
# How money for an invoice arrived: a saved or typed method through the gateway, or recorded by hand.
MANUAL_PAYMENT_METHODS = ("wire_transfer", "check", "cash", "card", "other")
PAYMENT_METHOD_STATUSES = ("active", "pending_verification", "expired", "detached")
# Why AutoPay did not charge an invoice when its moment came (the merchant is told, on the timeline too).
AUTOPAY_SKIP_REASONS = ("no_payment_method", "payment_method_expired", "payment_method_not_active",
                        "payment_method_not_accepted", "invoice_not_payable", "payment_in_progress",
                        "autopay_disabled")


class AutopaySettings(Contract):
    """AutoPay as set at one level (organization, customer, subscription)."""

    enabled: bool = False
    timing: str = Field("on_issue", description="on_issue | on_due_date | days_before_due")
    days_before_due: int | None = Field(None, description="With timing days_before_due: how many days (1-60).")
    payment_method_id: str | None = Field(
        None, description="The saved method to charge; null = the customer's default method at charge time.")


class PaymentMethodRef(Contract):
    """A customer's saved payment method as every service may show it (never a full number)."""

    id: str
    organization_id: str
    customer_id: str
    type: str = Field(description="card | us_bank_account | sepa_debit")
    brand: str | None = Field(None, description="Cards: visa, mastercard, amex…")
    bank_name: str | None = None
    last4: str | None = None
    exp_month: int | None = None
    exp_year: int | None = None
    status: str = Field(description="active | pending_verification | expired | detached")
    is_default: bool = False
    mandate_reference: str | None = Field(None, description="SEPA / ACH: the mandate the debits are made under.")


class AutopayPlan(Contract):
    """What AutoPay will do for an invoice, fixed at approval (the settings' resolution, with sources)."""

    enabled: bool
    timing: str = Field(description="on_issue | on_due_date | days_before_due")
    days_before_due: int | None = None
    charge_date: date | None = Field(None, description="The day the charge is due, in the organization's timezone "
                                                       "(on_issue: the issue day).")
    timezone: str = Field("UTC", description="IANA timezone the charge day is counted in.")
    payment_method: PaymentMethodRef | None = Field(
        None, description="The method to charge as known at approval; payments checks it again at charge time.")
    payment_method_source: str | None = Field(
        None, description="subscription | customer (an AutoPay setting named it) or customer_default.")
    source: str = Field(description="The level whose AutoPay setting applies: subscription | customer | "
                                    "organization | default.")
    prenotified: bool = Field(False, description="SEPA: the invoice email is the debit's pre-notification (amount "
                                                 "and date), sent at least the organization's period ahead.")


# --- collections: reminders, late fees, dunning ---------------------------------

# The reminder emails' templates: one neutral, and the three tones of an escalation.
REMINDER_TEMPLATES = ("invoice_reminder", "invoice_reminder_gentle", "invoice_reminder_firm", "invoice_reminder_final")
MESSAGE_CHANNELS = ("email", "sms")
LATE_FEE_RECURRENCES = ("once", "monthly")


class ReminderRule(Contract):
    """Reminders on one side of the due date."""

    enabled: bool = False
    days: list[int] = Field(default_factory=list, description="Before due: days before the due date (e.g. 7, 3, 1); "
                                                              "after due: days after it (e.g. 1, 7, 14).")
    templates: list[str] = Field(default_factory=list, description=(
        "The template of each reminder in the order they are sent (the last one repeats): "
        f"{' | '.join(REMINDER_TEMPLATES)}. After due, escalate gentle → firm → final."))


def _before_due_default() -> ReminderRule:
    return ReminderRule(enabled=False, days=[7, 3, 1], templates=["invoice_reminder"])


def _after_due_default() -> ReminderRule:
    return ReminderRule(enabled=False, days=[1, 7, 14], templates=["invoice_reminder_gentle",
                                                                   "invoice_reminder_firm", "invoice_reminder_final"])


class ReminderSettings(Contract):
    """Reminders before and after the due date, as set at one level (organization, customer, subscription)."""

    before_due: ReminderRule = Field(default_factory=_before_due_default)
    after_due: ReminderRule = Field(default_factory=_after_due_default)
    channels: list[str] = Field(default_factory=lambda: ["email"], description=(
        "email, and sms to also text customers with a phone number who opted in (sms_opt_in)."))


class LateFeeSettings(Contract):
    """A late fee: its own invoice, linked to the overdue one, once per (invoice, period)."""

    enabled: bool = False
    percentage: str | None = Field(None, description="Decimal string: percent of the overdue balance, e.g. '1.5'.")
    fixed_amount: int | None = Field(None, description="Minor units of the overdue invoice's currency.")
    after_days: int = Field(30, description="Days after the due date the first fee is charged.")
    recurrence: str = Field("once", description="once | monthly (a fee each month while unpaid).")
    cap: int | None = Field(None, description="The most all late fees of one invoice add up to (minor units).")


class CollectionPlan(Contract):
    """How an invoice is chased, fixed at approval from its settings (with the level each came from)."""

    dunning_schedule_id: str | None = Field(None, description="null = the organization's default schedule.")
    dunning_schedule_source: str = Field("default", description="subscription | customer | default")
    reminders: ReminderSettings = Field(default_factory=ReminderSettings)
    reminders_source: str = Field("default", description="subscription | customer | organization | default")
    late_fee: LateFeeSettings = Field(default_factory=LateFeeSettings)
    late_fee_source: str = Field("default", description="customer | organization | default")


class LateFeeLink(Contract):
    """On a late fee invoice: the overdue invoice it charges for, and which period."""

    invoice_id: str
    invoice_number: str | None = None
    period: int


class CustomerRef(Contract):
    id: str
    name: str
    email: str
    cc_emails: list[str] = Field(default_factory=list)
    # Billing facts (optional; on invoice snapshots they are the ones taken for that invoice).
    billing_address: Address | None = None
    tax_id: str | None = None
    tax_exempt: bool | None = None
    billing_contact: Contact | None = None
    finance_contacts: list[Contact] = Field(default_factory=list)
    locale: str | None = None
    tax_treatment: str | None = Field(None, description=(
        "standard, reverse_charge, intra_community_supply, export or exempt; on an invoice snapshot, the "
        "invoice's (see InvoiceSnapshot.tax_treatment)."))
    phone: str | None = Field(None, description="E.164, e.g. '+14155550123'.")
    sms_opt_in: bool = Field(False, description="The customer agreed to receive SMS; none is sent without it.")


class TaxRateApplied(Contract):
    id: str | None = Field(None, description="The reusable tax rate this copy was taken from, if any.")
    display_name: str
    percentage: str = Field(description="Decimal string, e.g. '8.25'.")
    inclusive: bool = False


class DiscountApplied(Contract):
    """A discount as applied: `percentage` or `amount` (minor units) as given, and what it took."""

    percentage: str | None = None
    amount: int | None = None
    discount_amount: int = 0


class LinePeriod(Contract):
    start: date
    end: date


class ReportingTotal(Contract):
    """The invoice total shown in a reporting currency, fixed at approval."""

    currency: str
    rate: str = Field(description="1 invoice currency unit = rate reporting currency units (decimal string).")
    source: str
    rate_date: date
    total: int


class InvoiceLine(Contract):
    id: str
    description: str
    quantity: str = Field(description="Decimal string, e.g. '1.5'.")
    unit_amount: int
    amount: int = Field(description="quantity × unit_amount, rounded to minor units, before tax.")
    tax_rates: list[TaxRateApplied] = Field(default_factory=list)
    period: LinePeriod | None = None
    discounts: list[DiscountApplied] = Field(default_factory=list, description="The line's own discounts.")
    discount_amount: int = Field(0, description="Own discounts plus the line's share of the invoice's.")
    tax_amount: int | None = Field(None, description="The line's share of the taxes.")
    total: int | None = Field(None, description="amount − discount_amount (+ tax_amount when exclusive).")


class TaxBreakdownEntry(Contract):
    display_name: str
    percentage: str
    inclusive: bool
    taxable_amount: int
    tax_amount: int
    category: str | None = Field(None, description="EN 16931 VAT category of a zero-tax treatment: AE, K, G, E.")
    exemption_reason: str | None = None
    exemption_reason_code: str | None = Field(None, description="CEF VATEX code, e.g. 'VATEX-EU-AE'.")


class TaxTreatmentApplied(Contract):
    """The invoice's VAT treatment. Anything but standard means no tax, and the invoice must show `notices`."""

    type: str = Field(description="standard, reverse_charge, intra_community_supply, export or exempt.")
    category: str | None = Field(None, description="EN 16931 VAT category: AE, K, G or E; null when standard.")
    exemption_reason: str | None = Field(None, description="The merchant's reason (exempt).")
    exemption_reason_code: str | None = Field(None, description="CEF VATEX code, e.g. 'VATEX-EU-AE'.")
    notices: dict[str, str] = Field(default_factory=dict, description=(
        "The legally required mention, by language ('en', 'de', 'fr'); show the one of the invoice's locale "
        "(English when there is none). Empty when standard."))

    def notice(self, locale: str | None) -> str | None:
        language = (locale or "en").replace("-", "_").split("_")[0].lower()
        return self.notices.get(language) or self.notices.get("en")


class InvoiceSnapshot(Contract):
    """Everything a consumer needs to know about an invoice at one version."""

    id: str
    organization_id: str
    organization_name: str
    number: str | None
    status: str
    currency: str
    customer: CustomerRef
    payment_terms: str
    memo: str | None = None
    issued_at: Timestamp | None = None
    due_date: date | None = None
    subtotal: int
    tax: int
    total: int
    amount_paid: int
    amount_due: int
    lines: list[InvoiceLine]
    tax_breakdown: list[TaxBreakdownEntry]
    hosted_invoice_url: str | None = None
    version: int
    subscription_id: str | None = None
    locale: str | None = Field(None, description="Babel locale the invoice is rendered in, e.g. 'de_DE'.")
    attach_pdf: bool | None = Field(None, description="Email the PDF (true) or only a link (false).")
    issuer: Issuer | None = None
    discounts: list[DiscountApplied] = Field(default_factory=list, description="Invoice-wide discounts.")
    total_discount: int = Field(0, description="total = subtotal − total_discount + exclusive tax.")
    reporting: ReportingTotal | None = None
    tax_treatment: TaxTreatmentApplied | None = Field(None, description="Absent from events older than it.")
    autopay: AutopayPlan | None = Field(None, description="Absent or disabled: the customer pays by hand.")
    accepted_payment_methods: list[str] | None = Field(
        None, description="The methods this invoice may be paid by (the customer's override or the organization's); "
                          "absent on older events: the issuer's.")
    credit_applied: int = Field(0, description="Customer credit balance (from an earlier overpayment) applied to "
                                               "this invoice at approval; included in amount_paid.")
    collection: CollectionPlan | None = Field(None, description="Reminders, late fees and the dunning schedule; "
                                                                "absent on older events: the defaults.")
    late_fee_for: LateFeeLink | None = Field(None, description="Set on a late fee invoice.")


# Why a payment failed, in words a customer may be told: payments maps the gateway's codes onto these
# (card_declined for any other decline, lost or stolen cards included); pages and emails word them.
CUSTOMER_FAILURE_REASONS = ("insufficient_funds", "expired_card", "incorrect_cvc", "incorrect_number",
                            "processing_error", "authentication_required", "card_declined")


class CardRef(Contract):
    """A card as its owner knows it, safe to show them: never the gateway's ids."""

    brand: str | None = Field(None, description="The gateway's brand code, lower case: visa, mastercard, amex…")
    last4: str | None = Field(None, description="The card number's last four digits.")


class InvoiceSummary(Contract):
    """The facts payment events carry so consumers need no other lookup."""

    id: str
    number: str | None
    organization_name: str
    currency: str
    total: int
    amount_due: int
    due_date: date | None = None
    customer: CustomerRef
    hosted_invoice_url: str | None = None


InvoiceSettingOverrides.model_rebuild()
