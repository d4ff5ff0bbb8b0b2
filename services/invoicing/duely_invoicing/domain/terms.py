"""Payment terms → due date. `due_on_receipt` is due the day it is issued; `net_N` N days later."""

from __future__ import annotations

import re
from datetime import date, timedelta

DEFAULT_TERMS = "net_30"
MAX_NET_DAYS = 365
_NET = re.compile(r"net_(\d{1,3})")


def net_days(terms: str) -> int | None:
    """Days until due, or None when the terms are not ones we know."""
    if terms == "due_on_receipt":
        return 0
    match = _NET.fullmatch(terms or "")
    if match is None:
        return None
    days = int(match.group(1))
    return days if 0 <= days <= MAX_NET_DAYS else None


def is_valid_terms(terms: str) -> bool:
    return net_days(terms) is not None


def due_date(issue_date: date, terms: str) -> date:
    days = net_days(terms)
    if days is None:
        raise ValueError(f"unknown payment terms: {terms!r}")
    return issue_date + timedelta(days=days)
