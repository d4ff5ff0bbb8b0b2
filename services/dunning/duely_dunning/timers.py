"""What each kind of timer does when it fires: one handler per kind, registered with `@TIMERS.on(kind)`.

Dunning owns time: every time-driven action (the overdue notice, AutoPay charges, card expiry
checks; reminders and dunning steps next) is a durable entry on a collection timeline: an
invoice's, or a saved payment method's. A new action is a `TimerKind`, its plan in
`domain/schedule.py` and a handler here, not a branch of the firing loop. A handler runs inside
the firing transaction and returns the outcome recorded on the entry; it does not act itself, it
publishes an event and the owning service acts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from duely_runtime.outbox import Outbox
from duely_dunning.models import SUBJECT_INVOICE, CollectionState, Timer


@dataclass(frozen=True)
class Firing:
    """One timer firing: the transaction, the outbox, the timer, its invoice's state (None for entries
    whose subject is not an invoice) and the organization's now."""

    session: AsyncSession
    outbox: Outbox
    timer: Timer
    state: CollectionState | None
    now: datetime


TimerHandler = Callable[[Firing], Awaitable[str]]


class TimerHandlers:
    def __init__(self) -> None:
        self._handlers: dict[str, TimerHandler] = {}
        self._subjects: dict[str, str] = {}

    def on(self, kind: str, *, subject: str = SUBJECT_INVOICE) -> Callable[[TimerHandler], TimerHandler]:
        """Register the handler of `kind`, whose entries live on timelines of `subject`
        (invoice: the handler gets the invoice's collection state)."""
        def register(handler: TimerHandler) -> TimerHandler:
            if kind in self._handlers:
                raise ValueError(f"timer kind {kind!r} already has a handler")
            self._handlers[kind] = handler
            self._subjects[kind] = subject
            return handler
        return register

    def subject_of(self, kind: str) -> str | None:
        return self._subjects.get(kind)

    def kinds(self) -> set[str]:
        return set(self._handlers)

    async def fire(self, session: AsyncSession, outbox: Outbox, timer: Timer, state: CollectionState | None,
                   now: datetime) -> None:
        """Mark the timer fired and run its kind's handler, in the caller's one transaction."""
        timer.fired_at = now
        handler = self._handlers.get(timer.kind)
        if handler is None:  # a kind a newer version planned: kept, never guessed at
            timer.outcome = "skipped_unknown_kind"
        elif state is None and self._subjects[timer.kind] == SUBJECT_INVOICE:
            timer.outcome = "skipped_unknown_invoice"
        else:
            timer.outcome = await handler(Firing(session, outbox, timer, state, now))


TIMERS = TimerHandlers()
