"""API models for customers: create, patch (overrides included), read, list."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from duely_contracts.models import Address, AutopaySettings, LateFeeSettings, ReminderSettings
from duely_contracts.timestamps import Timestamp
from duely_invoicing import schema_docs
from duely_invoicing.request_types import (
    AcceptedPaymentMethods,
    AddressIn,
    AutopayIn,
    CcList,
    ContactIn,
    Currency,
    DunningScheduleId,
    ExemptionReason,
    ExemptionReasonCode,
    LateFeeIn,
    LocaleCode,
    LongText,
    Name,
    Phone,
    RemindersIn,
    RequestModel,
    TaxTreatment,
    Terms,
)
from duely_runtime.kit.pagination import ListBody


# Responses: addresses and bank details read back in the contracts' vocabulary (duely_contracts.models);
# a contact is lenient (all optional, extra kept), so a row written by an older version still serializes.
class _Stored(BaseModel):
    """Lenient (all optional, extra kept): a row written by an older version still serializes."""

    model_config = ConfigDict(extra="allow")


class ContactOut(_Stored):
    name: str | None = None
    email: str | None = None


class CustomerOverrides(RequestModel):
    """Invoice-setting overrides and billing facts of a customer; null = inherit from the organization."""

    payment_terms: Terms | None = None
    currency: Currency | None = None
    locale: LocaleCode | None = None
    attach_pdf: bool | None = None
    memo: LongText | None = None
    tax_exempt: bool | None = None
    tax_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)] | None = None
    billing_address: AddressIn | None = None
    billing_contact: ContactIn | None = None
    finance_contacts: Annotated[list[ContactIn], Field(max_length=10)] | None = None
    tax_treatment: TaxTreatment | None = None
    tax_exemption_reason: ExemptionReason | None = None
    tax_exemption_reason_code: ExemptionReasonCode | None = None
    autopay: AutopayIn | None = Field(
        None, description="The customer's AutoPay, replacing the organization's whole (null = inherit it). "
                          "payment_method_id must be one of this customer's saved methods.")
    accepted_payment_methods: AcceptedPaymentMethods | None = Field(
        None, description="The methods this customer may pay by; null = the organization's.")
    reminders: RemindersIn | None = Field(
        None, description="The customer's reminders, replacing the organization's whole (null = inherit them); a "
                          "subscription may override them in turn.")
    late_fee: LateFeeIn | None = Field(
        None, description="The customer's late fee, replacing the organization's whole (null = inherit it).")
    dunning_schedule_id: DunningScheduleId | None = Field(
        None, description="The dunning schedule of the customer's invoices (null = the organization's default); a "
                          "subscription may name another.")


class CustomerPatch(CustomerOverrides):
    name: Name | None = Field(None, json_schema_extra=schema_docs.not_null)  # left out: unchanged
    email: EmailStr | None = Field(None, json_schema_extra=schema_docs.not_null)
    cc_emails: CcList | None = Field(None, description="null clears the list.")
    phone: Phone | None = Field(None, description="E.164, e.g. '+14155550123'; null removes it.")
    sms_opt_in: bool | None = Field(None, description="The customer agreed to receive SMS.",
                                    json_schema_extra=schema_docs.not_null)


class CustomerCreate(CustomerOverrides):
    """A customer, with optional invoice-setting overrides (see CustomerOverrides)."""

    name: Name
    email: EmailStr
    cc_emails: list[EmailStr] = Field(default_factory=list, max_length=20)
    phone: Phone | None = Field(None, description="E.164, e.g. '+14155550123' (needed for SMS reminders).")
    sms_opt_in: bool = Field(False, description="The customer agreed to receive SMS; none is sent without it.")


class CustomerOut(BaseModel):
    id: str
    object: Literal["customer"] = "customer"
    name: str
    email: str
    cc_emails: list[str]
    created_at: Timestamp
    # invoice-setting overrides and billing facts; null = inherit
    payment_terms: str | None = None
    currency: str | None = None
    locale: str | None = None
    attach_pdf: bool | None = None
    memo: str | None = None
    tax_exempt: bool | None = None
    tax_id: str | None = None
    billing_address: Address | None = None
    billing_contact: ContactOut | None = None
    finance_contacts: list[ContactOut] = Field(default_factory=list)
    tax_treatment: str | None = Field(None, description="The customer's VAT treatment; null = standard (or "
                                                        "exempt when tax_exempt is true).")
    tax_exemption_reason: str | None = None
    tax_exemption_reason_code: str | None = None
    autopay: AutopaySettings | None = Field(None, description="The customer's AutoPay; null = inherit.")
    accepted_payment_methods: list[str] | None = Field(None, description="null = the organization's.")
    reminders: ReminderSettings | None = Field(None, description="The customer's reminders; null = inherit.")
    late_fee: LateFeeSettings | None = Field(None, description="The customer's late fee; null = inherit.")
    dunning_schedule_id: str | None = Field(None, description="null = the organization's default schedule.")
    phone: str | None = Field(None, description="E.164.")
    sms_opt_in: bool = False
    credit_balance: dict[str, int] | None = Field(
        None, description="Credit from allowed overpayments not used yet, by currency (minor units), e.g. "
                          "{\"usd\": 2500}; applied to the customer's next invoice in that currency at approval. "
                          "null when the customer has no credit, and always on the customer embedded in an invoice "
                          "(so that it reads the same as the customer it was taken from).")
    version: int = 1


class CustomerList(ListBody[CustomerOut]):
    pass
