"""The portal session API's request and response models."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from duely_contracts.timestamps import Timestamp


class PortalSessionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: bool = Field(False, description="Also email the link to the customer's address on file.")
    return_url: str | None = Field(None, max_length=2000,
                                   description="Where the portal's \"Back to …\" link leads (http or https).")


class PortalSessionOut(BaseModel):
    object: Literal["portal_session"] = "portal_session"
    id: str
    customer_id: str
    url: str | None = Field(None, description="The single-use sign-in link (shown when the session is created).")
    expires_at: Timestamp = Field(description="When the link stops working if nobody opened it.")
    emailed: bool = False
    status: Literal["pending", "active", "used", "expired", "revoked"] = "pending"
    return_url: str | None = None
    created_at: Timestamp
