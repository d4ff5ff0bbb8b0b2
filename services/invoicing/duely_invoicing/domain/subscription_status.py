"""A subscription's status machine: active ⇄ paused, either → canceled; canceled is final.

Setting the status it already has is a no-op, not an error (a retried PATCH stays harmless).
"""

from __future__ import annotations

ACTIVE, PAUSED, CANCELED = "active", "paused", "canceled"
STATUSES = (ACTIVE, PAUSED, CANCELED)
_NEXT = {ACTIVE: {PAUSED, CANCELED}, PAUSED: {ACTIVE, CANCELED}, CANCELED: set()}


def can_transition(current: str, new: str) -> bool:
    return new == current or new in _NEXT[current]


def is_final(status: str) -> bool:
    return not _NEXT[status]
