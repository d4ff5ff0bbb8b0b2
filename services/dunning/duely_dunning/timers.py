"""What each kind of timer does when it fires: one handler per kind, registered with `@TIMERS.on(kind)`.

Dunning owns time: every time-driven action on an invoice (the overdue notice today; AutoPay
charges, reminders, dunning steps and expiry checks next) is a durable timer on the invoice's
collection timeline. A new action is a `TimerKind` and a handler here, not a branch of the firing
loop. A handler runs inside the firing transaction and returns the outcome recorded on the timer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from duely_runtime.outbox import Outbox
from duely_dunning.models import CollectionState, Timer


@dataclass(frozen=True)
class Firing:
    """One timer firing: the transaction, the outbox, the timer, its invoice's state and the organization's now."""

    session: AsyncSession
    outbox: Outbox
    timer: Timer
    state: CollectionState
    now: datetime


TimerHandler = Callable[[Firing], Awaitable[str]]


class TimerHandlers:
    def __init__(self) -> None:
        self._handlers: dict[str, TimerHandler] = {}

    def on(self, kind: str) -> Callable[[TimerHandler], TimerHandler]:
        def register(handler: TimerHandler) -> TimerHandler:
            if kind in self._handlers:
                raise ValueError(f"timer kind {kind!r} already has a handler")
            self._handlers[kind] = handler
            return handler
        return register

    def kinds(self) -> set[str]:
        return set(self._handlers)

    async def fire(self, session: AsyncSession, outbox: Outbox, timer: Timer, state: CollectionState | None,
                   now: datetime) -> None:
        """Mark the timer fired and run its kind's handler, in the caller's one transaction."""
        timer.fired_at = now
        handler = self._handlers.get(timer.kind)
        if handler is None:  # a kind a newer version planned: kept, never guessed at
            timer.outcome = "skipped_unknown_kind"
        elif state is None:
            timer.outcome = "skipped_unknown_invoice"
        else:
            timer.outcome = await handler(Firing(session, outbox, timer, state, now))


TIMERS = TimerHandlers()
