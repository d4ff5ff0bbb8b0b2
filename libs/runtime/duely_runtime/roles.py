"""Roles of an organization's users and API keys, and what each may do on the public API.

    ROLES = ("viewer", "finance", "admin", "owner")   # ascending power

Reads (GET, HEAD, OPTIONS) are open to every role. A viewer writes nothing; finance writes on the
money side (invoices, customers, subscriptions, payments, refunds, credit notes and balances) but not
on the organization's configuration; an admin writes everything (only an owner creates, changes or
removes an owner: the users service checks that); an owner may do anything. The auth dependency
(`KeyVerifier`) asks `allowed()` of every request, so all services enforce the same table; the
dashboard asks it too, to show only the actions a user's role allows.
"""

from __future__ import annotations

ROLES = ("viewer", "finance", "admin", "owner")

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# The resources finance may write on (each prefix covers the collection and everything below it).
FINANCE_WRITES = ("/v1/invoices", "/v1/customers", "/v1/subscriptions", "/v1/payments", "/v1/credit_notes",
                  "/v1/credits", "/v1/customer_balances", "/v1/balance_transactions")

DESCRIPTIONS = {
    "viewer": "may read everything and change nothing",
    "finance": "may work on invoices, customers, subscriptions, payments, refunds and credit notes, "
               "but not change the organization's settings, API keys, webhooks or users",
    "admin": "may change everything except the organization's owners",
    "owner": "may do anything",
}


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


def allowed(role: str, method: str, path: str) -> bool:
    """May `role` make this request? Unknown roles may only read."""
    if method.upper() in READ_METHODS:
        return True
    if role in ("owner", "admin"):
        return True
    if role == "finance":
        path = path.rstrip("/") or "/"
        return any(_under(path, prefix) for prefix in FINANCE_WRITES)
    return False


def at_least(role: str, minimum: str) -> bool:
    """Is `role` as powerful as `minimum` or more?"""
    return role in ROLES and ROLES.index(role) >= ROLES.index(minimum)


def refusal_message(role: str) -> str:
    what = DESCRIPTIONS.get(role, "may only read")
    return f"Your role is '{role}': it {what}. Ask an owner or admin of the organization for a role that allows this."
