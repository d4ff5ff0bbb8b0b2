"""Dunning schedules, reminders and late fees as timeline entries: pure (callers pass times in).

A dunning schedule is ordered steps `{day, actions, template}` counted from the day dunning starts
(day 0): the first failed AutoPay charge, or, for an invoice paid by hand, the moment it became past
due (the start of the day after its due date). Each step is one timeline entry of kind
`dunning_step`, step `v<version>:day_<day>`: the invoice keeps the version it started with, and each
step fires once. Reminders before and after the due date are entries of kind `reminder` (steps
`before_<days>`, `after_<days>`; a manual one is `manual_<date>`). A late fee period is an entry of
kind `late_fee` (step `period_<n>`).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from duely_contracts.models import REMINDER_TEMPLATES, CollectionPlan

from duely_dunning.domain.schedule import PlannedTimer, TimerKind, overdue_at, start_of_day

RETRY_PAYMENT = "retry_payment"
EMAIL_REMINDER = "email_reminder"
SMS_REMINDER = "sms_reminder"
PAUSE_SUBSCRIPTION = "pause_subscription"
CANCEL_SUBSCRIPTION = "cancel_subscription"
MARK_UNCOLLECTIBLE = "mark_uncollectible"
MARK_AS_COLLECTIONS = "mark_as_collections"

STEP_ACTIONS = (RETRY_PAYMENT, EMAIL_REMINDER, SMS_REMINDER, PAUSE_SUBSCRIPTION, CANCEL_SUBSCRIPTION,
                MARK_UNCOLLECTIBLE)
PERSISTENT_FAILURE_ACTIONS = (PAUSE_SUBSCRIPTION, CANCEL_SUBSCRIPTION, MARK_AS_COLLECTIONS)
MESSAGE_ACTIONS = (EMAIL_REMINDER, SMS_REMINDER)
MAX_DAY = 365
MAX_STEPS = 20
# A monthly late fee is charged at most this many times per invoice (the cap may stop it sooner).
MAX_LATE_FEE_PERIODS = 12

# The product description's default: day 0 retry; 3 gentle reminder + retry; 7 firm reminder + retry;
# 14 final notice; 30 write-off.
DEFAULT_SCHEDULE_NAME = "Default dunning schedule"
DEFAULT_STEPS: list[dict] = [
    {"day": 0, "actions": [RETRY_PAYMENT], "template": None},
    {"day": 3, "actions": [EMAIL_REMINDER, RETRY_PAYMENT], "template": "invoice_reminder_gentle"},
    {"day": 7, "actions": [EMAIL_REMINDER, RETRY_PAYMENT], "template": "invoice_reminder_firm"},
    {"day": 14, "actions": [EMAIL_REMINDER], "template": "invoice_reminder_final"},
    {"day": 30, "actions": [MARK_UNCOLLECTIBLE], "template": None},
]
DEFAULT_ON_PERSISTENT_FAILURE: list[str] = []

TONE_OF_TEMPLATE = {"invoice_reminder": "gentle", "invoice_reminder_gentle": "gentle",
                    "invoice_reminder_firm": "firm", "invoice_reminder_final": "final"}


class ScheduleProblem(ValueError):
    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param = param
        self.message = message


def validated_steps(steps: list[dict]) -> list[dict]:
    """The steps in day order, each `{day, actions, template}`; ScheduleProblem names the bad field."""
    if not steps:
        raise ScheduleProblem("steps", "A dunning schedule needs at least one step.")
    if len(steps) > MAX_STEPS:
        raise ScheduleProblem("steps", f"A dunning schedule has at most {MAX_STEPS} steps.")
    seen: set[int] = set()
    out = []
    for index, step in enumerate(steps):
        where = f"steps[{index}]"
        day, actions, template = step["day"], list(step["actions"]), step.get("template")
        if not 0 <= day <= MAX_DAY:
            raise ScheduleProblem(f"{where}.day", f"day must be between 0 and {MAX_DAY}.")
        if day in seen:
            raise ScheduleProblem(f"{where}.day", f"Two steps on day {day}: merge their actions into one step.")
        seen.add(day)
        if not actions:
            raise ScheduleProblem(f"{where}.actions", "A step needs at least one action.")
        for action in actions:
            if action not in STEP_ACTIONS:
                raise ScheduleProblem(f"{where}.actions", f"Unknown action {action!r}: use one of "
                                                          f"{', '.join(STEP_ACTIONS)}.")
        if len(set(actions)) != len(actions):
            raise ScheduleProblem(f"{where}.actions", "An action is listed twice.")
        if any(a in MESSAGE_ACTIONS for a in actions):
            template = template or "invoice_reminder"
            if template not in REMINDER_TEMPLATES:
                raise ScheduleProblem(f"{where}.template", f"template must be one of {', '.join(REMINDER_TEMPLATES)}.")
        elif template is not None:
            raise ScheduleProblem(f"{where}.template", "Only a step that sends a reminder has a template.")
        out.append({"day": day, "actions": actions, "template": template})
    return sorted(out, key=lambda s: s["day"])


def validated_persistent_failure(actions: list[str]) -> list[str]:
    for action in actions:
        if action not in PERSISTENT_FAILURE_ACTIONS:
            raise ScheduleProblem("on_persistent_failure", f"Unknown action {action!r}: use one of "
                                                           f"{', '.join(PERSISTENT_FAILURE_ACTIONS)}.")
    if len(set(actions)) != len(actions):
        raise ScheduleProblem("on_persistent_failure", "An action is listed twice.")
    if PAUSE_SUBSCRIPTION in actions and CANCEL_SUBSCRIPTION in actions:
        raise ScheduleProblem("on_persistent_failure", "Pause or cancel the subscription, not both.")
    return list(actions)


def dunning_step_name(version: int, day: int) -> str:
    return f"v{version}:day_{day}"


@dataclass(frozen=True)
class ScheduleVersion:
    schedule_id: str
    version: int
    steps: list[dict]
    on_persistent_failure: list[str]


def dunning_timers(start: datetime, schedule: ScheduleVersion, *, started_by: str) -> list[PlannedTimer]:
    """One entry per step, day N at `start` + N days; the last step also runs the persistent-failure actions."""
    last_day = max(step["day"] for step in schedule.steps)
    return [PlannedTimer(TimerKind.DUNNING_STEP, start + timedelta(days=step["day"]),
                         dunning_step_name(schedule.version, step["day"]), {
                             "schedule_id": schedule.schedule_id, "schedule_version": schedule.version,
                             "day": step["day"], "actions": step["actions"], "template": step["template"],
                             "last": step["day"] == last_day,
                             "on_persistent_failure": schedule.on_persistent_failure if step["day"] == last_day
                             else [], "started_by": started_by})
            for step in schedule.steps]


def has_message(kind: str, detail: dict | None) -> bool:
    """Whether an entry sends the customer a message when it fires (for catch-up: only the latest goes)."""
    if kind == TimerKind.REMINDER:
        return (detail or {}).get("source") != "manual"
    if kind == TimerKind.DUNNING_STEP:
        return any(a in MESSAGE_ACTIONS for a in (detail or {}).get("actions", ()))
    return False


def has_retry(kind: str, detail: dict | None) -> bool:
    return kind == TimerKind.DUNNING_STEP and RETRY_PAYMENT in (detail or {}).get("actions", ())


# -- reminders before and after the due date -----------------------------------------

def _template(templates: list[str], index: int, fallback: str) -> str:
    return templates[min(index, len(templates) - 1)] if templates else fallback


def reminder_timers(due_date: date | None, plan: CollectionPlan, now: datetime) -> list[PlannedTimer]:
    """The invoice's before- and after-due reminders; a before-due moment already past is not planned."""
    if due_date is None:
        return []
    reminders, planned = plan.reminders, []
    channels = [c for c in dict.fromkeys(reminders.channels) if c in ("email", "sms")] or ["email"]
    if reminders.before_due.enabled:
        for index, days in enumerate(sorted(set(reminders.before_due.days), reverse=True)):
            at = start_of_day(due_date - timedelta(days=days))
            if at > now:
                template = _template(reminders.before_due.templates, index, "invoice_reminder")
                planned.append(PlannedTimer(TimerKind.REMINDER, at, f"before_{days}", {
                    "source": "before_due", "days_from_due": -days, "template": template, "channels": channels}))
    if reminders.after_due.enabled:
        for index, days in enumerate(sorted(set(reminders.after_due.days))):
            template = _template(reminders.after_due.templates, index, "invoice_reminder_gentle")
            planned.append(PlannedTimer(TimerKind.REMINDER, start_of_day(due_date + timedelta(days=days)),
                                        f"after_{days}", {"source": "after_due", "days_from_due": days,
                                                          "template": template, "channels": channels}))
    return planned


def manual_reminder(day: date, now: datetime, tone: str, channels: list[str],
                    due_date: date | None) -> PlannedTimer:
    template = "invoice_reminder" if tone == "gentle" else f"invoice_reminder_{tone}"
    return PlannedTimer(TimerKind.REMINDER, now, f"manual_{day.isoformat()}", {
        "source": "manual", "template": template, "tone": tone, "channels": channels,
        "days_from_due": (day - due_date).days if due_date else None})


# -- late fees -------------------------------------------------------------------------

def add_months(moment: datetime, months: int) -> datetime:
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def late_fee_timer(due_date: date | None, plan: CollectionPlan, period: int = 1,
                   first_at: datetime | None = None) -> PlannedTimer | None:
    """The late fee entry of `period` (1 = `after_days` after the due date; monthly ones a month apart)."""
    fee = plan.late_fee
    if due_date is None or not fee.enabled or period > MAX_LATE_FEE_PERIODS:
        return None
    if period > 1 and fee.recurrence != "monthly":
        return None
    first = first_at or overdue_at(due_date) + timedelta(days=fee.after_days)
    return PlannedTimer(TimerKind.LATE_FEE, add_months(first, period - 1), f"period_{period}",
                        {"period": period, "first_at": first.isoformat(), "late_fee": fee.model_dump(mode="json")})
