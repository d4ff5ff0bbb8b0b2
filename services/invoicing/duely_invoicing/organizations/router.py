"""Public API: /v1/api_keys — create another key, list them, revoke one (to roll a key: create, switch, revoke)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from duely_invoicing.organizations import service
from duely_invoicing.organizations.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyList, ApiKeyOut
from duely_runtime.idempotency import redact
from duely_runtime.kit.deps import Caller, DbSession


def _out(api_key, cls=ApiKeyOut, **extra):
    return cls(id=api_key.id, prefix=api_key.prefix, created_at=api_key.created_at,
               revoked_at=api_key.revoked_at, role=api_key.role, **extra)


def router() -> APIRouter:
    api = APIRouter(prefix="/v1/api_keys", tags=["api_keys"])

    @api.post("", status_code=201, response_model=ApiKeyCreated, dependencies=[Depends(redact("key"))])
    async def create_api_key(session: DbSession, principal: Caller, body: ApiKeyCreate | None = None):
        """A new key (shown once). `{"role": "viewer"}` (or finance, admin) makes a restricted key; the default
        is owner, full access."""
        key, plaintext = await service.create_api_key(session, principal.organization_id,
                                                      body.role if body else "owner", caller=principal)
        return _out(key, ApiKeyCreated, key=plaintext)

    @api.get("", response_model=ApiKeyList)
    async def list_api_keys(session: DbSession, principal: Caller):
        return ApiKeyList(data=[_out(k) for k in await service.list_api_keys(session, principal.organization_id)])

    @api.delete("/{api_key_id}", response_model=ApiKeyOut)
    async def revoke_api_key(api_key_id: str, session: DbSession, principal: Caller):
        return _out(await service.revoke_api_key(session, principal.organization_id, api_key_id))

    return api
