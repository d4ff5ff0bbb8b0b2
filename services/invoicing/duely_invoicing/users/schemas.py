"""API models for dashboard users (/v1/users) and the dashboard's sign-in (/internal/dashboard)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, EmailStr, Field, StringConstraints

from duely_contracts.timestamps import Timestamp
from duely_invoicing.request_types import Name, RequestModel

Role = Literal["viewer", "finance", "admin", "owner"]
Secret = Annotated[str, StringConstraints(min_length=1, max_length=200)]
ClientIp = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class UserCreate(RequestModel):
    email: EmailStr = Field(description="Where the invite goes; one user per address in an organization.")
    name: Name | None = None
    role: Role = Field(description="viewer reads; finance also works on invoices, customers, subscriptions and "
                                   "payments; admin changes everything but owners; owner does anything.")


class UserPatch(RequestModel):
    role: Role | None = None
    name: Name | None = None


class UserOut(BaseModel):
    id: str
    object: Literal["user"] = "user"
    email: str
    name: str | None = None
    role: Role
    status: Literal["invited", "active", "removed"]
    created_at: Timestamp
    last_sign_in_at: Timestamp | None = None


class UserList(BaseModel):
    object: Literal["list"] = "list"
    data: list[UserOut]


class SignIn(RequestModel):
    email: Annotated[str, StringConstraints(min_length=1, max_length=320)]
    password: Secret
    client_ip: ClientIp


class SignInLinkRequest(RequestModel):
    email: Annotated[str, StringConstraints(min_length=1, max_length=320)]
    client_ip: ClientIp
    dashboard_url: Annotated[str, StringConstraints(min_length=1, max_length=500, pattern=r"^https?://")]


class Redeem(RequestModel):
    token: Secret
    password: Secret | None = None


class SignOut(RequestModel):
    session_token: Secret


class OrganizationRef(BaseModel):
    id: str
    name: str
    # The organization's own branding (its invoice settings), so the dashboard wears it; None = Duely's look.
    logo_url: str | None = None
    accent_color: str | None = None


class SessionStarted(BaseModel):
    session_token: str
    expires_at: Timestamp
    user: UserOut
    organization: OrganizationRef


class CurrentSession(BaseModel):
    user: UserOut
    organization: OrganizationRef
    expires_at: Timestamp
