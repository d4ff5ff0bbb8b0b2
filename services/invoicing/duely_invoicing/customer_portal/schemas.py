"""Bodies of the internal endpoints the customer portal (services/portal) asks while a customer waits."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from duely_contracts.models import AutopaySettings, InvoiceSnapshot
from duely_invoicing.request_types import AutopayIn
from duely_invoicing.settings.schemas import PortalSettings


class PortalCustomer(BaseModel):
    id: str
    name: str
    email: str
    locale: str = Field(description="The customer's resolved locale (customer → organization → en_US).")


class PortalOrganization(BaseModel):
    id: str
    name: str = Field(description="The company name printed on invoices (else the organization's name).")
    logo_url: str | None
    accent_color: str = Field(description="#RRGGBB (the built-in default when unset).")
    locale: str = Field(description="The organization's locale (or the built-in en_US).")


AutopaySource = Literal["subscription", "customer", "organization", "default"]


class PortalAutopayOut(BaseModel):
    """The customer's AutoPay as resolved (customer → organization → default) and the level that decided it."""

    autopay: AutopaySettings
    autopay_source: AutopaySource


class PortalContextOut(PortalAutopayOut):
    customer: PortalCustomer
    organization: PortalOrganization
    portal: PortalSettings
    accepted_payment_methods: list[str] = Field(description="The methods this customer may pay by.")


class PortalAutopayIn(AutopayIn):
    """PUT /internal/customers/{id}/autopay: the customer's own AutoPay, as PATCH /v1/customers/{id} sets it."""

    organization_id: str = Field(max_length=40)


class DraftInvoicesOut(BaseModel):
    data: list[InvoiceSnapshot]
