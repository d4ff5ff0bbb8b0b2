"""What each role of a dashboard user (or a restricted API key) may change. Reading is open to every role.

viewer < finance < admin < owner. Finance works the receivables (invoices, customers, subscriptions,
payments and refunds); admin and owner also configure the organization (settings, schedules, templates,
webhooks, keys, users). Who may make someone an owner is checked where users are changed.
"""

from __future__ import annotations

import re

ROLES = ("viewer", "finance", "admin", "owner")
READS = frozenset({"GET", "HEAD", "OPTIONS"})
FINANCE_WRITES = re.compile(r"^/v1/(invoices|customers|subscriptions|payments|credit_notes|credits)(/|$)")


def allowed(role: str, method: str, path: str) -> bool:
    if method.upper() in READS:
        return role in ROLES
    if role in ("owner", "admin"):
        return True
    if role == "finance":
        return bool(FINANCE_WRITES.match(path))
    return False
