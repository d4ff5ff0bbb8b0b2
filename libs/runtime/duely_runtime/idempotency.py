"""`Idempotency-Key` on every POST, as Stripe does it.

The first request with a key claims it; its response (any status below 500) is
stored and replayed for a retry with the same key and body. The same key with
another body is an error; a retry while the first is still running is a 409.
Keys are scoped by the verified caller (its API key, or our own services): a
request whose credentials don't verify stores nothing. A response carrying a
secret shown once (an API key, a webhook secret) is stored without it: a
replay returns the object without the secret (routes declare it with
`Depends(redact("field"))`).
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Awaitable, Callable

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy import and_, delete, select, update

from duely_contracts.timestamps import as_utc
from duely_runtime.db import Database
from duely_runtime.errors import ApiError, error_body
from duely_runtime.kit.clock import utcnow
from duely_runtime.kit.writes import insert_ignore
from duely_runtime.tables import RuntimeTables

HEADER = "idempotency-key"
STALE_LOCK = timedelta(seconds=60)  # a claim this old belongs to a request that died


Scope = Callable[[Request], Awaitable[str | None]]


def redact(*fields: str):
    """Route dependency: these top-level response fields are shown once and never stored."""
    async def mark(request: Request) -> None:
        request.state.idempotency_redact = fields
    return mark


def _stored_body(payload: bytes, fields: tuple[str, ...]) -> str:
    if not fields:
        return payload.decode()
    try:
        body = json.loads(payload)
    except ValueError:
        return payload.decode()
    if isinstance(body, dict):
        for name in fields:
            body.pop(name, None)
    return json.dumps(body)


def install(app, db: Database, tables: RuntimeTables, scope_of: Scope) -> None:
    table = tables.idempotency_keys

    @app.middleware("http")
    async def idempotency(request: Request, call_next):
        key = request.headers.get(HEADER)
        if request.method != "POST" or not key:
            return await call_next(request)
        if len(key) > 255:
            return JSONResponse(error_body("invalid_request_error", "parameter_invalid",
                                           "Idempotency-Key must be at most 255 characters.", "Idempotency-Key"), 400)
        try:
            caller = await scope_of(request)
        except ApiError as exc:  # the key owner cannot be asked right now
            return JSONResponse(exc.body(), status_code=exc.status)
        if caller is None:  # unauthenticated: the handler refuses it; nothing is written here
            return await call_next(request)
        scope = hashlib.sha256(caller.encode()).hexdigest()[:64]
        body = await request.body()
        request_hash = hashlib.sha256(request.url.path.encode() + b"\n" + body).hexdigest()
        where = and_(table.c.scope == scope, table.c.key == key)
        now = utcnow()
        async with db.transaction() as session:
            claimed = await insert_ignore(session, table, {
                "scope": scope, "key": key, "request_hash": request_hash, "locked_at": now, "created_at": now})
            if not claimed:
                row = (await session.execute(select(table).where(where))).one()
                if row.request_hash != request_hash:
                    return JSONResponse(error_body(
                        "idempotency_error", "idempotency_key_reused",
                        "This Idempotency-Key was already used with a different request.", "Idempotency-Key"), 400)
                if row.status_code is not None:
                    return Response(row.response_body, status_code=row.status_code, media_type="application/json",
                                    headers={"Idempotent-Replayed": "true"})
                if as_utc(row.locked_at) > now - STALE_LOCK:
                    return JSONResponse(error_body(
                        "conflict_error", "idempotency_key_in_use",
                        "A request with this Idempotency-Key is still being processed; retry later.",
                        "Idempotency-Key"), 409)
                await session.execute(update(table).where(where).values(locked_at=now))
        response = await call_next(request)
        chunks = [chunk async for chunk in response.body_iterator]
        payload = b"".join(chunks)
        async with db.transaction() as session:
            if response.status_code >= 500:
                await session.execute(delete(table).where(where))  # let a retry run again
            else:
                redacted = getattr(request.state, "idempotency_redact", ())
                await session.execute(update(table).where(where).values(
                    status_code=response.status_code, response_body=_stored_body(payload, redacted)))
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        return Response(payload, status_code=response.status_code, headers=headers,
                        media_type=response.media_type)
