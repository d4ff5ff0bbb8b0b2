"""Conflict-aware writes that read the same on SQLite and Postgres."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession


def dialect_insert(session: AsyncSession):
    """The `insert` construct of the session's dialect (both spell ON CONFLICT the same way)."""
    if session.bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


async def insert_ignore(session: AsyncSession, table: Table, values: dict[str, Any]) -> bool:
    """INSERT that silently does nothing on a key conflict; True when a row was written."""
    result = await session.execute(dialect_insert(session)(table).values(**values).on_conflict_do_nothing())
    return result.rowcount == 1


async def upsert_newer(session: AsyncSession, table: Table, values: dict[str, Any], *, key: str = "id",
                       version: str = "version", keep: tuple[str, ...] = ()) -> bool:
    """Insert the row, or overwrite it when `values[version]` is newer than the stored one.

    A stale or repeated version changes nothing (events arrive late and twice); the key
    and the columns in `keep` are never overwritten. True when the row was written.
    """
    statement = dialect_insert(session)(table).values(**values)
    unchanged = {key, *keep}
    statement = statement.on_conflict_do_update(
        index_elements=[table.c[key]],
        set_={name: statement.excluded[name] for name in values if name not in unchanged},
        where=table.c[version] < statement.excluded[version],
    )
    result = await session.execute(statement)
    return result.rowcount == 1


def locked(statement, session: AsyncSession):
    """`statement` taking a row lock where the dialect has one.

    Postgres takes a row lock (FOR UPDATE); SQLite already serializes writers (BEGIN IMMEDIATE).
    """
    return statement.with_for_update() if session.bind.dialect.name == "postgresql" else statement
