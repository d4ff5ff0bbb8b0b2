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

from duely_runtime.kit.ids import new_id
from duely_runtime.outbox import Outbox
from duely_dunning import repository
from duely_dunning.domain.schedule import PlannedTimer
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


# -- planning entries on a timeline -------------------------------------------------

async def plan_entry(session: AsyncSession, *, organization_id: str, subject_type: str, subject_id: str,
                     planned: PlannedTimer, real_now: datetime) -> Timer | None:
    """Put one entry on a timeline unless its (subject, kind, step) is there already; the new row or None."""
    timer_id = new_id("tmr")
    inserted = await repository.schedule_timer(session, {
        "id": timer_id, "organization_id": organization_id, "kind": planned.kind, "subject_type": subject_type,
        "subject_id": subject_id, "step": planned.step, "due_at": planned.due_at, "detail": planned.detail,
        "created_at": real_now})
    return await repository.get_timer(session, timer_id) if inserted else None


async def fire_if_due(session: AsyncSession, outbox: Outbox | None, timers: list[Timer | None],
                      state: CollectionState | None, now: datetime) -> None:
    """Fire, in this transaction, entries just planned that are due already (AutoPay on issue, an expiry
    check whose moment passed): no wait for the next tick. Only rows this transaction inserted, so no
    other worker can hold them. Without an outbox they are left to the tick."""
    if outbox is None:
        return
    for timer in timers:
        if timer is not None and timer.fired_at is None and timer.cancelled_at is None and timer.due_at <= now:
            await TIMERS.fire(session, outbox, timer, state, now)
    await session.flush()
