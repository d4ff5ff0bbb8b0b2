"""Cursor pagination, newest first by (created_at, id), and the invoice list's filters.

A page reads `limit + 1` rows to know whether there is more, with a keyset
condition `(created_at, id) < (cursor.created_at, cursor.id)` that a composite
index ending in (created_at, id) answers without scanning what came before,
so page 1,000 costs what page 1 costs. The cursor handed out is opaque
(base64url of the last row's created_at and id); `starting_after=<id>` is
accepted too and resolved to the same position.

Filter values: `created[gte]` / `created_gte` (and lte) take an ISO 8601
datetime (naive = UTC), a date (`lte` then includes that whole day) or unix
seconds; `due_date_gte` / `due_date_lte` take dates.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from sqlalchemy import Select, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from duely_runtime.errors import ApiError, invalid
from duely_invoicing.models import Invoice

MAX_LIMIT = 100


@dataclass(frozen=True)
class Cursor:
    created_at: datetime
    id: str


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    has_more: bool
    next_cursor: str | None


def encode_cursor(created_at: datetime, row_id: str) -> str:
    created_at = created_at if created_at.tzinfo else created_at.replace(tzinfo=timezone.utc)
    raw = f"{created_at.astimezone(timezone.utc).isoformat()}|{row_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(value: str, param: str = "cursor") -> Cursor:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        created_at, row_id = raw.split("|", 1)
        parsed = datetime.fromisoformat(created_at)
        if not row_id or parsed.tzinfo is None:
            raise ValueError(raw)
        return Cursor(parsed, row_id)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise invalid(param, "This cursor is not one this API handed out.") from None


async def start_position(session: AsyncSession, model, organization_id: str, cursor: str | None,
                         starting_after: str | None) -> Cursor | None:
    if cursor and starting_after:
        raise invalid("cursor", "Give either cursor or starting_after, not both.")
    if cursor:
        return decode_cursor(cursor)
    if starting_after:
        row = (await session.execute(select(model.created_at, model.id).where(
            model.organization_id == organization_id, model.id == starting_after))).first()
        if row is None:
            raise ApiError(400, "resource_missing", f"No such object: '{starting_after}'", param="starting_after")
        return Cursor(_aware(row.created_at), row.id)
    return None


async def keyset_page(session: AsyncSession, stmt: Select, model, *, limit: int, after: Cursor | None) -> Page:
    """`stmt` selects `model` rows already filtered; this orders, positions and cuts one page."""
    if after is not None:
        stmt = stmt.where(tuple_(model.created_at, model.id) < tuple_(after.created_at, after.id))
    stmt = stmt.order_by(model.created_at.desc(), model.id.desc()).limit(limit + 1)
    rows = list((await session.scalars(stmt)).all())
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(rows[-1].created_at, rows[-1].id) if has_more else None
    return Page(rows, has_more, next_cursor)


# --- invoice filters --------------------------------------------------------------------

@dataclass(frozen=True)
class InvoiceFilters:
    customer_id: str | None = None
    status: str | None = None
    created_gte: datetime | None = None
    created_lte: datetime | None = None
    due_date_gte: date | None = None
    due_date_lte: date | None = None


def invoice_query(organization_id: str, filters: InvoiceFilters) -> Select:
    stmt = select(Invoice).where(Invoice.organization_id == organization_id)
    if filters.customer_id is not None:
        stmt = stmt.where(Invoice.customer_id == filters.customer_id)
    if filters.status is not None:
        stmt = stmt.where(Invoice.status == filters.status)
    if filters.created_gte is not None:
        stmt = stmt.where(Invoice.created_at >= filters.created_gte)
    if filters.created_lte is not None:
        stmt = stmt.where(Invoice.created_at <= filters.created_lte)
    if filters.due_date_gte is not None:
        stmt = stmt.where(Invoice.due_date >= filters.due_date_gte)
    if filters.due_date_lte is not None:
        stmt = stmt.where(Invoice.due_date <= filters.due_date_lte)
    return stmt


def one_of(param: str, bracketed: str | None, underscored: str | None) -> str | None:
    """`created[gte]` and `created_gte` mean the same; both with different values is an error."""
    if bracketed is not None and underscored is not None and bracketed != underscored:
        name, bound = param.rsplit("_", 1)
        raise invalid(param, f"Give {param} once (as {name}[{bound}] or {param}).")
    return bracketed if bracketed is not None else underscored


def parse_instant(value: str | None, param: str, *, upper: bool = False) -> datetime | None:
    if value is None:
        return None
    text = value.strip()
    try:
        if text.lstrip("-").isdigit():
            return datetime.fromtimestamp(int(text), tz=timezone.utc)
        if len(text) == 10:  # a bare date: the day's start, or its last instant for an upper bound
            day = date.fromisoformat(text)
            start = datetime.combine(day, time.min, tzinfo=timezone.utc)
            return start + timedelta(days=1, microseconds=-1) if upper else start
        return _aware(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except (ValueError, OverflowError, OSError):
        raise invalid(param, "Expected an ISO 8601 date or datetime, or unix seconds.") from None


def parse_date(value: str | None, param: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise invalid(param, "Expected a date, YYYY-MM-DD.") from None


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
