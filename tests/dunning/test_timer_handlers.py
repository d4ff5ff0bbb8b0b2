"""Timed actions dispatch by kind: one handler per kind, an unknown kind is kept and skipped."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from duely_dunning.domain.schedule import TimerKind
from duely_dunning.models import CollectionState, Timer
from duely_dunning.timers import TIMERS, Firing, TimerHandlers

NOW = datetime(2026, 11, 29, 12, tzinfo=timezone.utc)


async def test_each_kind_runs_its_own_handler_and_records_its_outcome():
    handlers, seen = TimerHandlers(), []

    @handlers.on("reminder")
    async def remind(firing: Firing) -> str:
        seen.append((firing.timer.kind, firing.state.invoice_id, firing.now))
        return "reminder_requested"

    timer, state = Timer(kind="reminder"), CollectionState(invoice_id="in_1")
    await handlers.fire(None, None, timer, state, NOW)
    assert (timer.fired_at, timer.outcome, seen) == (NOW, "reminder_requested", [("reminder", "in_1", NOW)])

    unknown = Timer(kind="autopay_charge")  # planned by a newer version: fired as skipped, not guessed at
    await handlers.fire(None, None, unknown, state, NOW)
    assert (unknown.fired_at, unknown.outcome) == (NOW, "skipped_unknown_kind")

    orphan = Timer(kind="reminder")
    await handlers.fire(None, None, orphan, None, NOW)
    assert orphan.outcome == "skipped_unknown_invoice" and len(seen) == 1


def test_a_kind_has_one_handler():
    handlers = TimerHandlers()
    handlers.on("reminder")(lambda firing: None)
    with pytest.raises(ValueError, match="reminder"):
        handlers.on("reminder")(lambda firing: None)


def test_the_service_registers_every_kind_it_plans():
    import duely_dunning.service  # noqa: F401  (registers its handlers)
    assert TIMERS.kinds() == {kind.value for kind in TimerKind}


async def test_a_kind_on_payment_method_timelines_fires_without_an_invoice_state():
    handlers, seen = TimerHandlers(), []

    @handlers.on("card_check", subject="payment_method")
    async def check(firing: Firing) -> str:
        seen.append((firing.timer.subject_id, firing.state))
        return "checked"

    timer = Timer(kind="card_check", subject_type="payment_method", subject_id="pm_1")
    await handlers.fire(None, None, timer, None, NOW)
    assert (timer.outcome, seen) == ("checked", [("pm_1", None)])
    assert handlers.subject_of("card_check") == "payment_method"
