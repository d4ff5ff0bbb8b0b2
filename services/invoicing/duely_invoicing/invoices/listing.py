"""The invoice list's filters, parsed from the query string (pages: duely_runtime.kit.pagination).

Filter values: `created[gte]` / `created_gte` (and lte) take an ISO 8601
datetime (naive = UTC), a date (`lte` then includes that whole day) or unix
seconds; `due_date_gte` / `due_date_lte` take dates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from duely_contracts.timestamps import as_utc
from duely_runtime.errors import invalid

MAX_LIMIT = 100
INSTANT = "ISO 8601 datetime (naive = UTC), date, or unix seconds."


@dataclass(frozen=True)
class InvoiceFilters:
    customer_id: str | None = None
    status: str | None = None
    created_gte: datetime | None = None
    created_lte: datetime | None = None
    due_date_gte: date | None = None
    due_date_lte: date | None = None


@dataclass(frozen=True)
class DateFilters:
    created_gte: datetime | None = None
    created_lte: datetime | None = None
    due_date_gte: date | None = None
    due_date_lte: date | None = None

    def as_dict(self) -> dict:
        return {"created_gte": self.created_gte, "created_lte": self.created_lte,
                "due_date_gte": self.due_date_gte, "due_date_lte": self.due_date_lte}


def date_filters(created_gte_b: str | None, created_gte: str | None, created_lte_b: str | None,
                 created_lte: str | None, due_gte_b: str | None, due_gte: str | None, due_lte_b: str | None,
                 due_lte: str | None) -> DateFilters:
    """The date filters from the query string; `_b` values are the bracketed spellings (`created[gte]`)."""
    return DateFilters(
        created_gte=parse_instant(one_of("created_gte", created_gte_b, created_gte), "created_gte"),
        created_lte=parse_instant(one_of("created_lte", created_lte_b, created_lte), "created_lte", upper=True),
        due_date_gte=parse_date(one_of("due_date_gte", due_gte_b, due_gte), "due_date_gte"),
        due_date_lte=parse_date(one_of("due_date_lte", due_lte_b, due_lte), "due_date_lte"))


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
        return as_utc(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except (ValueError, OverflowError, OSError):
        raise invalid(param, "Expected an ISO 8601 date or datetime, or unix seconds.") from None


def parse_date(value: str | None, param: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise invalid(param, "Expected a date, YYYY-MM-DD.") from None
