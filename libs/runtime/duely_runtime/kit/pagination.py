"""Keyset pages, newest first by (created_at, id).

A page reads `limit + 1` rows to know whether there is more, with a keyset
condition `(created_at, id) < (cursor.created_at, cursor.id)` that a composite
index ending in (created_at, id) answers without scanning what came before,
so page 1,000 costs what page 1 costs. The cursor handed out is opaque
(base64url of the last row's created_at and id); `starting_after=<id>` is
accepted too and resolved to the same position.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Select, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from duely_contracts.timestamps import as_utc  # SQLite hands back naive datetimes, stored as UTC
from duely_runtime.errors import ApiError, invalid

Row = TypeVar("Row")


@dataclass(frozen=True)
class Cursor:
    created_at: datetime
    id: str


@dataclass(frozen=True)
class Page(Generic[Row]):
    rows: list[Row]
    has_more: bool
    next_cursor: str | None


class ListBody(BaseModel, Generic[Row]):
    """A list response: one page of objects and whether more follow (subclass it to name it)."""

    object: Literal["list"] = "list"
    data: list[Row]
    has_more: bool


class CursorListBody(ListBody[Row], Generic[Row]):
    """A list response whose next page starts at `next_cursor`."""

    next_cursor: str | None = None


def encode_cursor(created_at: datetime, row_id: str) -> str:
    raw = f"{as_utc(created_at).isoformat()}|{row_id}".encode()
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


async def start_position(session: AsyncSession, model: Any, scope: ColumnElement[bool], *,
                         cursor: str | None = None, starting_after: str | None = None,
                         missing: ApiError | None = None) -> Cursor | None:
    """Where a page starts: after an opaque cursor, or after the row `starting_after` names.

    `scope` limits `starting_after` to rows the caller may see (its organization), so an id
    from another tenant is "no such object", never a position: a 400 resource_missing, or
    `missing` when the API already answers that with its own error.
    """
    if cursor and starting_after:
        raise invalid("cursor", "Give either cursor or starting_after, not both.")
    if cursor:
        return decode_cursor(cursor)
    if starting_after:
        row = (await session.execute(select(model.created_at, model.id).where(
            scope, model.id == starting_after))).first()
        if row is None:
            raise missing or ApiError(400, "resource_missing", f"No such object: '{starting_after}'",
                                      param="starting_after")
        return Cursor(as_utc(row.created_at), row.id)
    return None


async def keyset_page(session: AsyncSession, stmt: Select, model: Any, *, limit: int,
                      after: Cursor | None = None) -> Page:
    """`stmt` selects `model` rows already filtered; this orders, positions and cuts one page."""
    if after is not None:
        stmt = stmt.where(tuple_(model.created_at, model.id) < tuple_(after.created_at, after.id))
    stmt = stmt.order_by(model.created_at.desc(), model.id.desc()).limit(limit + 1)
    rows = list((await session.scalars(stmt)).all())
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = encode_cursor(rows[-1].created_at, rows[-1].id) if has_more else None
    return Page(rows, has_more, next_cursor)
