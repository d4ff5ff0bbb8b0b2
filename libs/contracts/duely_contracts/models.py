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
