"""Payment terms as the snapshot carries them: `due_on_receipt` or `net_N` (N days, 0–365)."""

from __future__ import annotations

import re

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
