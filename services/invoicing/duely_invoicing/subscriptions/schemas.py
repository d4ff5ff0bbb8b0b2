"""API models for subscriptions: a customer's recurring agreement and its overrides."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from duely_contracts.models import AutopaySettings, ReminderSettings
from duely_contracts.timestamps import Timestamp
from duely_invoicing.request_types import (AutopayIn, CcList, Currency, DunningScheduleId, LocaleCode, LongText,
                                           RemindersIn, RequestModel, Terms)
from duely_runtime.kit.pagination import ListBody

SubscriptionStatus = Literal["active", "paused", "canceled"]


class SubscriptionSettings(RequestModel):
    """A subscription's overrides of the customer's and organization's invoice settings; null = inherit."""

    payment_terms: Terms | None = None
    currency: Currency | None = None
    locale: LocaleCode | None = None
    attach_pdf: bool | None = None
    memo: LongText | None = None
    cc_emails: CcList | None = None
    autopay: AutopayIn | None = Field(
        None, description="The subscription's AutoPay, replacing the customer's and organization's whole (null = "
                          "inherit). payment_method_id must be one of the subscription's customer's saved methods.")
    reminders: RemindersIn | None = Field(
        None, description="The subscription's reminders, replacing the customer's and organization's whole (null = "
                          "inherit).")
    dunning_schedule_id: DunningScheduleId | None = Field(
        None, description="The dunning schedule of the subscription's invoices (null = the customer's, else the "
                          "organization's default).")


class SubscriptionCreate(RequestModel):
    customer_id: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    description: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] | None = None
    settings: SubscriptionSettings = Field(default_factory=SubscriptionSettings)


class SubscriptionPatch(RequestModel):
    description: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] | None = None
    status: SubscriptionStatus | None = None
    settings: SubscriptionSettings | None = None


class SubscriptionSettingsOut(BaseModel):
    payment_terms: str | None
    currency: str | None
    locale: str | None
    attach_pdf: bool | None
    memo: str | None
    cc_emails: list[str]
    autopay: AutopaySettings | None = Field(None, description="null = inherit the customer's (or organization's).")
    reminders: ReminderSettings | None = Field(None, description="null = inherit the customer's (or "
                                                                 "organization's).")
    dunning_schedule_id: str | None = Field(None, description="null = inherit the customer's (or the organization's "
                                                              "default schedule).")


class SubscriptionOut(BaseModel):
    id: str
    object: Literal["subscription"] = "subscription"
    customer_id: str
    description: str | None
    status: SubscriptionStatus
    settings: SubscriptionSettingsOut
    version: int
    created_at: Timestamp
    updated_at: Timestamp
    canceled_at: Timestamp | None


class SubscriptionList(ListBody[SubscriptionOut]):
    pass
