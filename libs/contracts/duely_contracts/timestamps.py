"""The one way an instant leaves Duely: ISO 8601 in UTC with its `Z`.

A timestamp without an offset ("2026-11-29T15:38:22") is read as local time by
JavaScript's Date and most other parsers, so no API body or event carries one.
Every datetime field of an API schema or an event payload is a `Timestamp`:
a naive value (SQLite hands them back, older events carry them) is taken as the
UTC it was stored in, any other offset is converted, and the JSON reads `...Z`.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated

from pydantic import AfterValidator, PlainSerializer, WithJsonSchema

EXAMPLE = "2026-11-29T15:38:22.024524Z"


def as_utc(value: datetime) -> datetime:
    """Naive = UTC (everything Duely stores is UTC); aware values are converted to UTC."""
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def iso_utc(value: datetime) -> str:
    """'2026-11-29T15:38:22.024524Z': the text every surface writes for an instant."""
    return as_utc(value).isoformat().replace("+00:00", "Z")


Timestamp = Annotated[
    datetime,
    AfterValidator(as_utc),
    PlainSerializer(iso_utc, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time", "examples": [EXAMPLE],
                    "description": "ISO 8601 in UTC, always with its offset (`Z`)."}),
]
