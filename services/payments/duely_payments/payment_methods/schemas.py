"""Saved payment methods: the request to save one and the method as the API shows it."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from duely_contracts.timestamps import Timestamp
from duely_payments.schemas import RequestModel
from duely_runtime.kit.pagination import ListBody
from duely_runtime.text import CleanText

SingleLine = Annotated[CleanText, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class MandateIn(RequestModel):
    """The customer's acceptance of the debit mandate, as the page that collected it saw it."""

    accepted_at: Timestamp | None = Field(None, description="When the customer accepted; default now.")
    ip_address: Annotated[CleanText, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    user_agent: SingleLine


class SavePaymentMethodRequest(RequestModel):
    payment_method: Annotated[CleanText, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)] = \
        Field(description="A PaymentMethod created at the gateway by Stripe.js / Elements (pm_…), or a Stripe "
                          "test id such as pm_card_visa.")
    set_default: bool | None = Field(None, description="Make it the customer's default (the first method always is).")
    mandate: MandateIn | None = Field(None, description="Required for sepa_debit and us_bank_account.")
    authorization_text: Annotated[CleanText, StringConstraints(strip_whitespace=True, min_length=1,
                                                               max_length=5000)] | None = Field(
        None, description="us_bank_account: the authorization wording the customer accepted (required).")


class CardOut(BaseModel):
    brand: str | None
    last4: str | None
    exp_month: int | None
    exp_year: int | None


class UsBankAccountOut(BaseModel):
    bank_name: str | None
    last4: str | None
    account_holder_type: str | None


class SepaDebitOut(BaseModel):
    bank_code: str | None
    country: str | None
    last4: str | None


class MandateOut(BaseModel):
    reference: str | None
    accepted_at: Timestamp | None
    ip_address: str | None
    user_agent: str | None
    authorization_text: str | None


class PaymentMethodOut(BaseModel):
    id: str = Field(description="The gateway's PaymentMethod id (pm_…).")
    object: Literal["payment_method"] = "payment_method"
    customer_id: str
    type: Literal["card", "us_bank_account", "sepa_debit"]
    card: CardOut | None = None
    us_bank_account: UsBankAccountOut | None = None
    sepa_debit: SepaDebitOut | None = None
    status: Literal["active", "pending_verification", "expired", "detached"] = Field(
        description="expired: a card past its expiry month (computed when read); detached only in the "
                    "answer to DELETE.")
    is_default: bool
    mandate: MandateOut | None
    created_at: Timestamp


class PaymentMethodList(ListBody[PaymentMethodOut]):
    pass
