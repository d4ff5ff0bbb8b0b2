"""The column type of every timestamp in every service: UTC in, aware UTC out.

SQLite keeps a datetime as text without its zone and hands it back naive, so a
row read back on the embedded setup lost its `Z` on the way to the API while
the same row on Postgres (timestamptz) kept it. With this type both give aware
UTC datetimes. It is `DateTime(timezone=True)` underneath, the type every
migration already created, so no schema changes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, TypeDecorator

from duely_contracts.timestamps import as_utc


class UtcDateTime(TypeDecorator):
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        value = as_utc(value)
        # SQLite compares the stored text: one zone-less UTC format keeps `<` and ORDER BY right.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):
        return None if value is None else as_utc(value)
