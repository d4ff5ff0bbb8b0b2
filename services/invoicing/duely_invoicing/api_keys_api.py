"""Public API: /v1/api_keys — create another key, list them, revoke one (to roll a key: create, switch, revoke)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlalchemy.ext.asyncio import AsyncSession

from duely_runtime.auth import Principal
from duely_runtime.idempotency import redact
from duely_runtime.service import ServiceRuntime
from duely_invoicing import repository, schemas, service, views


def _out(api_key, cls=schemas.ApiKeyOut, **extra):
    return cls(id=api_key.id, prefix=api_key.prefix, created_at=api_key.created_at,
               revoked_at=api_key.revoked_at, **extra)


def router(runtime: ServiceRuntime) -> APIRouter:
    api = APIRouter(prefix="/v1/api_keys", tags=["api_keys"])
    Session = Depends(runtime.session, scope="function")
    Caller = Depends(runtime.authenticate)

    @api.post("", status_code=201, response_model=schemas.ApiKeyCreated, dependencies=[Depends(redact("key"))])
    async def create_api_key(session: AsyncSession = Session, principal: Principal = Caller):
        key, plaintext = await service.create_api_key(session, principal.organization_id)
        return _out(key, schemas.ApiKeyCreated, key=plaintext)

    @api.get("", response_model=schemas.ApiKeyList)
    async def list_api_keys(session: AsyncSession = Session, principal: Principal = Caller):
        keys = await repository.list_api_keys(session, principal.organization_id)
        return schemas.ApiKeyList(data=[_out(k) for k in keys])

    @api.delete("/{api_key_id}", response_model=schemas.ApiKeyOut)
    async def revoke_api_key(api_key_id: str, session: AsyncSession = Session, principal: Principal = Caller):
        return _out(await service.revoke_api_key(session, principal.organization_id, api_key_id))

    return api
