"""Typed FastAPI dependencies: the request's transaction and its caller.

    @router.post("/customers")
    async def create_customer(body: CustomerCreate, session: DbSession, caller: Caller): ...

Both find the service through `request.app.state.runtime` (set by `create_app`).
"""

from __future__ import annotations

from typing import Annotated, AsyncIterator

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from duely_runtime.auth import Principal


READ_METHODS = frozenset({"GET", "HEAD"})


async def _request_transaction(request: Request) -> AsyncIterator[AsyncSession]:
    """GET and HEAD read (no writer lock, and a write would fail); every other method may write."""
    db = request.app.state.runtime.db
    async with (db.read() if request.method in READ_METHODS else db.transaction()) as session:
        yield session


async def _write_transaction(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.runtime.db.transaction() as session:
        yield session


async def _verified_caller(request: Request) -> Principal:
    return await request.app.state.runtime.authenticate(request)


# scope="function": commit before the response is sent, so a 2xx means the write is durable
# (FastAPI's default "request" scope commits after the client already has its answer).
DbSession = Annotated[AsyncSession, Depends(_request_transaction, scope="function")]
# For the few GETs that create what they show on first read (an organization's default schedule).
DbWriteSession = Annotated[AsyncSession, Depends(_write_transaction, scope="function")]
# The organization and key behind `Authorization: Bearer <key>`; 401 in the error shape otherwise.
Caller = Annotated[Principal, Depends(_verified_caller)]
