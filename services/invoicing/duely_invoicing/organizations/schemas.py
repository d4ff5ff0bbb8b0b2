"""API models for organizations, API keys and key verification."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, EmailStr, Field, StringConstraints

from duely_contracts.timestamps import Timestamp
from duely_invoicing.request_types import Name, RequestModel


class CreateOrganization(RequestModel):
    name: Name
    test_mode: bool = True
    owner_email: EmailStr | None = Field(None, description="The owner user's email; default owner@<slug>.example.")


class ApiKeyCreate(RequestModel):
    role: Literal["viewer", "finance", "admin", "owner"] = Field(
        "owner", description="What the key may do: owner (the default) is full access; admin, finance and viewer "
                             "are restricted keys (viewer reads only).")


class VerifyKey(RequestModel):
    key_hash: Annotated[str, StringConstraints(min_length=1, max_length=128)]


class OrganizationOut(BaseModel):
    id: str
    object: Literal["organization"] = "organization"
    name: str
    test_mode: bool
    created_at: Timestamp


class OwnerOut(BaseModel):
    email: str
    password: str
    dashboard_url: str


class OrganizationCreated(BaseModel):
    organization: OrganizationOut
    api_key: str
    owner: OwnerOut


class ApiKeyOut(BaseModel):
    id: str
    object: Literal["api_key"] = "api_key"
    prefix: str = Field(description="The key's first characters, to tell keys apart; the key itself is never shown "
                                    "again.")
    created_at: Timestamp
    revoked_at: Timestamp | None = None
    role: str = "owner"


class ApiKeyCreated(ApiKeyOut):
    key: str | None = Field(None, description="The secret key, shown once in this response only; absent from the "
                                              "replay of a repeated Idempotency-Key (it is never stored).")


class ApiKeyList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ApiKeyOut]


class PrincipalOut(BaseModel):
    organization_id: str
    api_key_id: str
    role: str
    user_id: str | None = None
