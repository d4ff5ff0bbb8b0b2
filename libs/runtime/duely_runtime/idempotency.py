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
from starlette.types import ASGIApp, Message, Receive, Scope as ASGIScope, Send
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
    app.add_middleware(IdempotencyKeys, db=db, table=tables.idempotency_keys, scope_of=scope_of)


class IdempotencyKeys:
    """Plain ASGI (no BaseHTTPMiddleware: it costs a task and a stream per request, on every request)."""

    def __init__(self, app: ASGIApp, *, db: Database, table, scope_of: Scope) -> None:
        self.app = app
        self.db = db
        self.table = table
        self.scope_of = scope_of

    async def __call__(self, scope: ASGIScope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        key = request.headers.get(HEADER)
        if not key:
            await self.app(scope, receive, send)
            return
        if len(key) > 255:
            await JSONResponse(error_body("invalid_request_error", "parameter_invalid",
                                          "Idempotency-Key must be at most 255 characters.", "Idempotency-Key"),
                               400)(scope, receive, send)
            return
        try:
            caller = await self.scope_of(request)
        except ApiError as exc:  # the key owner cannot be asked right now
            await JSONResponse(exc.body(), status_code=exc.status)(scope, receive, send)
            return
        if caller is None:  # unauthenticated: the handler refuses it; nothing is written here
            await self.app(scope, receive, send)
            return
        body, receive = await _read_body(receive)
        scope_hash = hashlib.sha256(caller.encode()).hexdigest()[:64]
        request_hash = hashlib.sha256(scope["path"].encode() + b"\n" + body).hexdigest()
        where = and_(self.table.c.scope == scope_hash, self.table.c.key == key)
        answer = await self._claim(scope_hash, key, request_hash, where)
        if answer is not None:
            await answer(scope, receive, send)
            return
        start: Message = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
        try:
            await self.app(scope, receive, capture)
        except Exception:
            async with self.db.transaction() as session:  # let a retry run again
                await session.execute(delete(self.table).where(where))
            raise
        payload = b"".join(chunks)
        status = start["status"]
        async with self.db.transaction() as session:
            if status >= 500:
                await session.execute(delete(self.table).where(where))  # let a retry run again
            else:
                redacted = scope.get("state", {}).get("idempotency_redact", ())
                await session.execute(update(self.table).where(where).values(
                    status_code=status, response_body=_stored_body(payload, redacted)))
        await send(start)
        await send({"type": "http.response.body", "body": payload, "more_body": False})

    async def _claim(self, scope_hash: str, key: str, request_hash: str, where) -> Response | None:
        """Claim the key; None when this request may run, else the answer to send instead."""
        now = utcnow()
        async with self.db.transaction() as session:
            claimed = await insert_ignore(session, self.table, {
                "scope": scope_hash, "key": key, "request_hash": request_hash, "locked_at": now, "created_at": now})
            if claimed:
                return None
            row = (await session.execute(select(self.table).where(where))).one()
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
            await session.execute(update(self.table).where(where).values(locked_at=now))
        return None


async def _read_body(receive: Receive) -> tuple[bytes, Receive]:
    """The whole body, and a `receive` that hands it to the app again."""
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()
    return body, replay
