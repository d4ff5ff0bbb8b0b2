"""What reminders, dunning steps and late fees do when their timeline entries fire (issue 10).

Every handler runs in the firing transaction on the invoice's state as read at fire time (the worker
refreshes balance and status from invoicing first: live_state.py) and asks the owning service to act by
publishing an event. Three rules keep customers from a burst of messages:

- one reminder per invoice per day (the organization's day), whoever asks: the reminder ledger;
- catch-up: when several message-bearing entries are due at once (services down for days, a test clock
  advanced a month), only the latest is sent; the earlier ones are recorded as skipped, superseded;
  missed retries likewise collapse into the latest. Every other action applies, in due order;
- nothing for an invoice that is paid, void, uncollectible or owes nothing.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from duely_contracts.events import (
    AutopayChargeDue, DunningActionResult, DunningStepExecuted, InvoiceSentToCollections, LateFeeDue, ReminderDue,
    SubscriptionActionDue, UncollectibleDue,
)
from duely_contracts.models import CollectionPlan, LateFeeSettings
from duely_runtime import context
from duely_runtime.kit.writes import insert_ignore
from duely_dunning import schedules
from duely_dunning.domain.collection import CollectionStatus, is_closed
from duely_dunning.domain.dunning_plan import (
    CANCEL_SUBSCRIPTION, EMAIL_REMINDER, MARK_AS_COLLECTIONS, MARK_UNCOLLECTIBLE, PAUSE_SUBSCRIPTION,
    RETRY_PAYMENT, SMS_REMINDER, TONE_OF_TEMPLATE, dunning_timers, has_message, has_retry, late_fee_timer,
    reminder_timers,
)
from duely_dunning.domain.schedule import PlannedTimer, TimerKind
from duely_dunning.models import SUBJECT_INVOICE, CollectionState, ReminderLedger, Timer
from duely_dunning.timers import TIMERS, Firing, plan_entry

SKIPPED_ALREADY_REMINDED = "skipped_already_reminded_today"
SKIPPED_SUPERSEDED = "skipped_superseded_by_later_reminder"


def plan_of(state: CollectionState) -> CollectionPlan:
    return CollectionPlan.model_validate(state.collection_plan or {})


def entries_at_issue(state: CollectionState, now: datetime) -> list[PlannedTimer]:
    """Reminders before and after the due date, and the first late fee period, from the plan fixed at approval."""
    plan = plan_of(state)
    planned = reminder_timers(state.due_date, plan, now)
    fee = late_fee_timer(state.due_date, plan)
    return planned + ([fee] if fee else [])


def owes_money(state: CollectionState) -> str | None:
    """None when the invoice can be chased; else the skip outcome."""
    if is_closed(state.status):
        return f"skipped_{state.status}"
    if state.amount_due <= 0:
        return "skipped_nothing_due"
    return None


async def _emit(firing: Firing, event_type: str, payload) -> None:
    """Publish about the invoice, continuing its journey (the entry is the cause)."""
    state, timer = firing.state, firing.timer
    state.events_published += 1  # dunning numbers its own events of the invoice (invoice_collection)
    with context.bound(state.correlation_id, timer.id):
        await firing.outbox.emit(firing.session, event_type, payload, organization_id=state.organization_id,
                                 aggregate_id=state.invoice_id, aggregate_version=state.events_published)


# -- starting dunning ------------------------------------------------------------------

async def start_dunning(session: AsyncSession, state: CollectionState, start: datetime, *, started_by: str,
                        real_now: datetime) -> list[Timer]:
    """Day 0 is `start`: plan every step of the invoice's schedule at its current version, once."""
    if state.dunning_started_at is not None or is_closed(state.status):
        return []
    plan = plan_of(state)
    version, fallback = await schedules.version_for_invoice(session, state.organization_id,
                                                            plan.dunning_schedule_id, real_now)
    state.dunning_started_at = start
    state.dunning_schedule_id = version.schedule_id
    state.dunning_schedule_version = version.version
    await session.flush()
    planned = []
    for entry in dunning_timers(start, version, started_by=started_by):
        if fallback:
            entry.detail["schedule_fallback"] = fallback
        planned.append(await plan_entry(session, organization_id=state.organization_id, subject_type=SUBJECT_INVOICE,
                                        subject_id=state.invoice_id, planned=entry, real_now=real_now))
    return [timer for timer in planned if timer is not None]


# -- catch-up and the one-per-day ledger ---------------------------------------------------

async def _later_due(session: AsyncSession, timer: Timer, now: datetime, wanted) -> bool:
    """Whether another entry of the invoice due by `now`, after this one and not cancelled, matches `wanted`
    (pending, or fired already in this same catch-up: a step planned and fired while another was claimed)."""
    rows = (await session.execute(select(Timer.kind, Timer.detail, Timer.due_at, Timer.id).where(
        Timer.subject_id == timer.subject_id, Timer.subject_type == SUBJECT_INVOICE, Timer.id != timer.id,
        Timer.cancelled_at.is_(None), Timer.due_at <= now,
        Timer.kind.in_((TimerKind.REMINDER, TimerKind.DUNNING_STEP))))).all()
    return any((due_at, timer_id) > (timer.due_at, timer.id) and wanted(kind, detail)
               for kind, detail, due_at, timer_id in rows)


async def claim_reminder_day(session: AsyncSession, state: CollectionState, day: date, timer_id: str, source: str,
                             real_now: datetime) -> bool:
    """Take the invoice's one reminder of `day`; False when something already reminded it that day."""
    return await insert_ignore(session, ReminderLedger.__table__, {
        "invoice_id": state.invoice_id, "day": day, "organization_id": state.organization_id,
        "timer_id": timer_id, "source": source, "created_at": real_now})


async def reminded_on(session: AsyncSession, invoice_id: str, day: date) -> ReminderLedger | None:
    return await session.get(ReminderLedger, (invoice_id, day))


async def _send_reminder(firing: Firing, *, source: str, template: str, channels: list[str],
                         days_from_due: int | None, tone: str | None = None) -> str:
    timer = firing.timer
    if source != "manual":
        if await _later_due(firing.session, timer, firing.now, has_message):
            return SKIPPED_SUPERSEDED
        if not await claim_reminder_day(firing.session, firing.state, firing.now.date(), timer.id, source,
                                        firing.now):
            return SKIPPED_ALREADY_REMINDED
    for channel in channels:
        await _emit(firing, "dunning.reminder_due", ReminderDue(
            invoice_id=firing.state.invoice_id, timer_id=timer.id, step=timer.step, source=source, channel=channel,
            template=template, tone=tone or TONE_OF_TEMPLATE.get(template, "gentle"), days_from_due=days_from_due,
            scheduled_for=timer.due_at, fired_at=firing.now))
    return "reminder_requested"


@TIMERS.on(TimerKind.REMINDER)
async def send_reminder(firing: Firing) -> str:
    """A reminder before or after the due date (or asked for by hand): once per day, never to a settled invoice,
    and before the due date not while AutoPay is to charge the invoice (nothing to ask of the customer)."""
    state, detail = firing.state, firing.timer.detail or {}
    if skipped := owes_money(state):
        return skipped
    source = detail.get("source", "after_due")
    if source == "before_due" and state.autopay and not state.failure_count:
        return "skipped_autopay"
    return await _send_reminder(firing, source=source, template=detail.get("template") or "invoice_reminder",
                                channels=list(detail.get("channels") or ["email"]),
                                days_from_due=detail.get("days_from_due"), tone=detail.get("tone"))


# -- dunning steps ----------------------------------------------------------------------

@TIMERS.on(TimerKind.DUNNING_STEP)
async def run_dunning_step(firing: Firing) -> str:
    """One step of the schedule: its actions in order, then (last step) the persistent-failure actions; one
    `invoice.dunning_step_executed` per step says what each did."""
    state, timer = firing.state, firing.timer
    detail = dict(timer.detail or {})
    if skipped := owes_money(state):
        return skipped
    results: list[DunningActionResult] = []
    actions = list(detail.get("actions", []))
    messages = [a for a in actions if a in (EMAIL_REMINDER, SMS_REMINDER)]
    if messages:
        channels = ["email"] * (EMAIL_REMINDER in messages) + ["sms"] * (SMS_REMINDER in messages)
        outcome = await _send_reminder(firing, source="dunning", template=detail.get("template") or "invoice_reminder",
                                       channels=channels, days_from_due=_days_from_due(state, firing.now))
        results += [DunningActionResult(action=a, outcome=outcome) for a in messages]
    for action in actions:
        if action not in messages:
            results.append(DunningActionResult(action=action, outcome=await _step_action(firing, action, detail)))
    for action in detail.get("on_persistent_failure") or []:
        results.append(DunningActionResult(action=action, outcome=await _step_action(firing, action, detail)))
    detail["results"] = [r.model_dump() for r in results]
    timer.detail = detail
    await _emit(firing, "invoice.dunning_step_executed", DunningStepExecuted(
        invoice_id=state.invoice_id, invoice_number=state.number, schedule_id=detail.get("schedule_id", ""),
        schedule_version=detail.get("schedule_version", 0), day=detail.get("day", 0), step=timer.step,
        actions=results, amount_due=state.amount_due, currency=state.currency, executed_at=firing.now))
    done = [r for r in results if not r.outcome.startswith("skipped")]
    return "step_executed" if done else "skipped_no_action_applied"


def _days_from_due(state: CollectionState, now: datetime) -> int | None:
    return (now.date() - state.due_date).days if state.due_date else None


async def _step_action(firing: Firing, action: str, detail: dict) -> str:
    state, timer = firing.state, firing.timer
    if action == RETRY_PAYMENT:
        return await _retry(firing, detail)
    if action in (PAUSE_SUBSCRIPTION, CANCEL_SUBSCRIPTION):
        if not state.subscription_id:
            return "skipped_no_subscription"
        await _emit(firing, "dunning.subscription_action_due", SubscriptionActionDue(
            subscription_id=state.subscription_id, invoice_id=state.invoice_id,
            action="pause" if action == PAUSE_SUBSCRIPTION else "cancel", timer_id=timer.id, step=timer.step,
            fired_at=firing.now))
        return "requested"
    if action == MARK_UNCOLLECTIBLE:
        await _emit(firing, "dunning.uncollectible_due", UncollectibleDue(
            invoice_id=state.invoice_id, timer_id=timer.id, step=timer.step, fired_at=firing.now))
        return "requested"
    if action == MARK_AS_COLLECTIONS:
        if state.sent_to_collections_at is not None:
            return "skipped_already_in_collections"
        state.sent_to_collections_at = firing.now
        await _emit(firing, "invoice.sent_to_collections", InvoiceSentToCollections(
            invoice_id=state.invoice_id, invoice_number=state.number, amount_due=state.amount_due,
            currency=state.currency, schedule_id=detail.get("schedule_id", ""), sent_at=firing.now))
        return "done"
    return "skipped_unknown_action"


async def _retry(firing: Firing, detail: dict) -> str:
    """Charge again, as AutoPay would (payments: never without a usable method, never two in flight)."""
    state, timer = firing.state, firing.timer
    if not state.autopay:
        return "skipped_manual_payer"  # no consent to charge: the reminders ask instead
    if state.hard_declined:
        return "skipped_hard_decline"
    if detail.get("day") == 0 and detail.get("started_by") == "payment_failed":
        return "skipped_day_0_attempt_failed"  # the failed AutoPay charge that started dunning was day 0's attempt
    if state.processing_attempt_id is not None:
        return "skipped_payment_processing"
    if await _later_due(firing.session, timer, firing.now, has_retry):
        return "skipped_superseded_by_later_retry"
    await _emit(firing, "dunning.autopay_charge_due", AutopayChargeDue(
        invoice_id=state.invoice_id, timer_id=timer.id, payment_method_id=state.autopay_payment_method_id,
        scheduled_for=timer.due_at, fired_at=firing.now, reason="dunning_retry"))
    return "requested"


# -- late fees ----------------------------------------------------------------------------

@TIMERS.on(TimerKind.LATE_FEE)
async def charge_late_fee(firing: Firing) -> str:
    """A late fee period came while the invoice is still unpaid: invoicing issues the fee invoice (once per
    period). A monthly fee plans its next period."""
    state, timer = firing.state, firing.timer
    detail = timer.detail or {}
    if skipped := owes_money(state):
        return skipped
    if state.status != CollectionStatus.PAST_DUE and state.due_date and firing.now.date() <= state.due_date:
        return "skipped_not_overdue"
    period = int(detail.get("period", 1))
    fee = LateFeeSettings.model_validate(detail.get("late_fee") or {})
    await _emit(firing, "dunning.late_fee_due", LateFeeDue(invoice_id=state.invoice_id, timer_id=timer.id,
                                                           period=period, late_fee=fee, fired_at=firing.now))
    first_at = datetime.fromisoformat(detail["first_at"]) if detail.get("first_at") else None
    following = late_fee_timer(state.due_date, plan_of(state), period + 1, first_at)
    if following is not None:
        await plan_entry(firing.session, organization_id=state.organization_id, subject_type=SUBJECT_INVOICE,
                         subject_id=state.invoice_id, planned=following, real_now=firing.now)
    return "late_fee_requested"
