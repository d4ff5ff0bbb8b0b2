"""Payment terms → due date. `due_on_receipt` is due the day it is issued; `net_N` N days later."""

from __future__ import annotations

from datetime import date, timedelta

from duely_contracts.terms import MAX_NET_DAYS, net_days  # noqa: F401  (the vocabulary is the contract's)

DEFAULT_TERMS = "net_30"


def is_valid_terms(terms: str) -> bool:
    return net_days(terms) is not None


def due_date(issue_date: date, terms: str) -> date:
    days = net_days(terms)
    if days is None:
        raise ValueError(f"unknown payment terms: {terms!r}")
    return issue_date + timedelta(days=days)
