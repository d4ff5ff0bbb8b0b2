"""What the hosted page says about paying: one state from the read model and the pay call's outcome.

The pay call answers before the read model hears `invoice.paid` (it travels over Kafka), so a
page opened right after a successful charge would otherwise show "Payment received" beside an
"Open" badge and nothing paid. Until the read model knows, the page says "processing" and
reloads itself a bounded number of times (a meta refresh: no script needed).
"""

from __future__ import annotations

from dataclasses import dataclass

from duely_portal.domain.presentation import is_payable

# Invoices issued before snapshots carried the issuer's accepted methods took cards only
# (invoicing's built-in default).
DEFAULT_ACCEPTED_METHODS = ("card",)
REFRESH_SECONDS = 2
MAX_REFRESHES = 30  # about a minute; then the page stops and says the receipt will come by email


@dataclass(frozen=True)
class PageState:
    kind: str  # payable | processing | paid | void | uncollectible | closed
    refresh_after: int | None = None  # seconds; set while processing and still within the bound
    next_wait: int | None = None  # the refresh's count, carried in the URL
    just_paid: bool = False  # the pay call succeeded and the read model agrees: say "payment received"
    failure_code: str | None = None  # the pay call failed: say why, and keep the form
    debit: bool = False  # a bank debit (SEPA, ACH) is processing: its outcome comes days later

    @property
    def is_payable(self) -> bool:
        return self.kind == "payable"


def page_state(status: str, amount_due: int, payment: str | None, code: str | None, waited: int,
               debit_processing: bool = False) -> PageState:
    """`payment`/`code` come from the redirect after the pay call; `waited` counts self-refreshes;
    `debit_processing`: the read model knows a bank debit started and not settled."""
    payable = is_payable(status, amount_due)
    if status == "paid":
        return PageState("paid", just_paid=payment in ("succeeded", "processing"))
    if payable and debit_processing:
        return PageState("processing", debit=True)
    if payable and payment in ("succeeded", "processing"):
        if waited < MAX_REFRESHES:
            return PageState("processing", refresh_after=REFRESH_SECONDS, next_wait=waited + 1)
        return PageState("processing")
    if payable:
        return PageState("payable", failure_code=(code or "payment_failed") if payment == "failed" else None)
    if status in ("void", "uncollectible"):
        return PageState(status)
    return PageState("closed")


def parse_wait(value: str | None) -> int:
    """The refresh count from the URL; anything odd counts as the bound (no more refreshing)."""
    if value is None:
        return 0
    return int(value) if value.isdigit() and len(value) <= 3 else MAX_REFRESHES


def invoice_methods(snapshot) -> tuple[str, ...]:
    """The methods an invoice accepts: its own list (snapshots since issue #9), else its issuer's."""
    methods = snapshot.accepted_payment_methods
    if methods is None:
        methods = snapshot.issuer.accepted_payment_methods if snapshot.issuer else None
    return accepted_methods(methods)


def accepted_methods(issuer_methods) -> tuple[str, ...]:
    """The methods the invoice accepts, as its snapshot says (card alone for older snapshots)."""
    return tuple(issuer_methods or ()) or DEFAULT_ACCEPTED_METHODS
