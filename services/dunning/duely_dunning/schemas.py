"""API models of dunning's endpoints."""

from __future__ import annotations

from datetime import date
from typing import Literal

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from duely_contracts.timestamps import Timestamp

from duely_dunning.domain.clock_arithmetic import MAX_ADVANCE_SECONDS, SECONDS_PER_DAY
from duely_dunning.domain.schedule import TimerKind, entry_status, timer_status
from duely_dunning.models import CollectionEvent, CollectionState, DunningSchedule, Timer
from duely_dunning.service import ClockReading


class TimerOut(BaseModel):
    object: Literal["timer"] = "timer"
    id: str
    kind: str
    step: str
    subject_type: str = Field(description="invoice | payment_method: whose timeline the entry is on.")
    subject_id: str
    invoice_id: str | None
    status: Literal["pending", "fired", "cancelled"]
    due_at: Timestamp
    fired_at: Timestamp | None
    cancelled_at: Timestamp | None
    outcome: str | None

    @classmethod
    def of(cls, timer: Timer) -> "TimerOut":
        return cls(id=timer.id, kind=timer.kind, step=timer.step, subject_type=timer.subject_type,
                   subject_id=timer.subject_id, invoice_id=timer.invoice_id,
                   status=timer_status(timer.fired_at, timer.cancelled_at), due_at=timer.due_at,
                   fired_at=timer.fired_at, cancelled_at=timer.cancelled_at, outcome=timer.outcome)


class FailuresOut(BaseModel):
    count: int
    last_code: str | None
    last_attempt: int | None
    last_failed_at: Timestamp | None


class CollectionStateOut(BaseModel):
    object: Literal["dunning_invoice"] = "dunning_invoice"
    invoice_id: str
    organization_id: str
    number: str | None
    status: str
    due_date: date | None
    amount_due: int
    currency: str
    version: int
    failures: FailuresOut
    next_timers: list[TimerOut] = Field(description="Pending timers, soonest first.")
    timers: list[TimerOut] = Field(description="Every timer of the invoice, fired and cancelled included.")
    closed_at: Timestamp | None
    updated_at: Timestamp

    @classmethod
    def of(cls, state: CollectionState, timers: list[Timer]) -> "CollectionStateOut":
        shown = [TimerOut.of(t) for t in timers]
        return cls(
            invoice_id=state.invoice_id, organization_id=state.organization_id, number=state.number,
            status=state.status, due_date=state.due_date, amount_due=state.amount_due, currency=state.currency,
            version=state.version,
            failures=FailuresOut(count=state.failure_count, last_code=state.last_failure_code,
                                 last_attempt=state.last_failure_attempt, last_failed_at=state.last_failure_at),
            next_timers=[t for t in shown if t.status == "pending"], timers=shown,
            closed_at=state.closed_at, updated_at=state.updated_at)


class CollectionEntryOut(BaseModel):
    """One action on the invoice's collection timeline, planned or past."""

    object: Literal["collection_entry"] = "collection_entry"
    id: str
    kind: str = Field(description="overdue | autopay_charge | reminder | dunning_step | late_fee.")
    step: str
    status: Literal["planned", "done", "skipped", "cancelled"]
    due_at: Timestamp
    fired_at: Timestamp | None
    cancelled_at: Timestamp | None
    outcome: str | None = Field(description="What firing did, e.g. autopay_charge_requested, "
                                            "skipped_payment_processing.")
    detail: dict | None = None

    @classmethod
    def of(cls, timer: Timer) -> "CollectionEntryOut":
        return cls(id=timer.id, kind=timer.kind, step=timer.step,
                   status=entry_status(timer.fired_at, timer.cancelled_at, timer.outcome), due_at=timer.due_at,
                   fired_at=timer.fired_at, cancelled_at=timer.cancelled_at, outcome=timer.outcome,
                   detail=_public_detail(timer.detail))


def _public_detail(detail: dict | None) -> dict | None:
    if not detail:
        return None
    return {key: value for key, value in detail.items() if key != "correlation_id"}


class CollectionHistoryOut(BaseModel):
    type: str = Field(description="The event that came back: payment.processing, payment.succeeded, "
                                  "invoice.payment_failed, invoice.autopay_skipped, invoice.paid…")
    at: Timestamp
    detail: dict


class AutopayMethodOut(BaseModel):
    id: str | None
    type: str | None = None
    brand: str | None = None
    bank_name: str | None = None
    last4: str | None = None


class AutopaySummaryOut(BaseModel):
    timing: str | None
    days_before_due: int | None = None
    charge_date: date | None
    timezone: str | None
    charge_at: Timestamp
    status: Literal["planned", "done", "skipped", "cancelled"]
    payment_method: AutopayMethodOut | None


class DunningSummaryOut(BaseModel):
    schedule_id: str
    schedule_version: int = Field(description="The version the invoice keeps, whatever edits came after.")
    started_at: Timestamp = Field(description="Day 0: the first failed AutoPay charge, or the moment the "
                                              "invoice became past due.")
    sent_to_collections_at: Timestamp | None = None


class InvoiceCollectionOut(BaseModel):
    """An invoice's collection timeline: what is planned and what happened, with times."""

    object: Literal["invoice_collection"] = "invoice_collection"
    invoice_id: str
    number: str | None
    status: str
    amount_due: int
    currency: str
    due_date: date | None
    payment_processing: bool = Field(description="A bank debit is settling: no overdue notice meanwhile.")
    autopay: AutopaySummaryOut | None = Field(description="The AutoPay plan as fixed at issue; null = paid by hand.")
    dunning: DunningSummaryOut | None = Field(None, description="The dunning schedule the invoice is under; "
                                                                "null until dunning starts.")
    entries: list[CollectionEntryOut] = Field(description="Planned and past actions, by due time.")
    history: list[CollectionHistoryOut] = Field(description="What came back, by time.")

    @classmethod
    def of(cls, state: CollectionState, timers: list[Timer], events: list[CollectionEvent]) -> "InvoiceCollectionOut":
        entries = [CollectionEntryOut.of(t) for t in timers]
        autopay = None
        charge = next((e for e in entries if e.kind == TimerKind.AUTOPAY_CHARGE and e.step == "1"), None)
        if charge is not None:
            detail = charge.detail or {}
            method = detail.get("payment_method")
            autopay = AutopaySummaryOut(
                timing=detail.get("timing"), days_before_due=detail.get("days_before_due"),
                charge_date=detail.get("charge_date"), timezone=detail.get("timezone"), charge_at=charge.due_at,
                status=charge.status,
                payment_method=AutopayMethodOut(**method) if method else (
                    AutopayMethodOut(id=detail["payment_method_id"]) if detail.get("payment_method_id") else None))
        return cls(invoice_id=state.invoice_id, number=state.number, status=state.status,
                   amount_due=state.amount_due, currency=state.currency, due_date=state.due_date,
                   payment_processing=state.processing_attempt_id is not None, autopay=autopay,
                   dunning=None if state.dunning_started_at is None else DunningSummaryOut(
                       schedule_id=state.dunning_schedule_id or "", schedule_version=state.dunning_schedule_version or 1,
                       started_at=state.dunning_started_at, sent_to_collections_at=state.sent_to_collections_at),
                   entries=entries,
                   history=[CollectionHistoryOut(type=e.type, at=e.at, detail=e.detail) for e in events])


class TestClockOut(BaseModel):
    object: Literal["test_clock"] = "test_clock"
    organization_id: str
    now: Timestamp
    offset_seconds: int

    @classmethod
    def of(cls, reading: ClockReading) -> "TestClockOut":
        return cls(organization_id=reading.organization_id, now=reading.now, offset_seconds=reading.offset_seconds)


def _integer(maximum: int):
    """Document a positive integer that may be left out but not null (the validator keeps its messages)."""
    def extra(schema: dict) -> None:
        schema.pop("anyOf", None)
        schema.pop("default", None)
        schema.update(type="integer", minimum=1, maximum=maximum)
    return extra


class AdvanceTestClockIn(BaseModel):
    """Move the clock forward by days and/or seconds (positive integers, at most 3650 days in all)."""

    # The schema documents one of the two (the server also takes both, up to 3650 days together).
    model_config = ConfigDict(extra="forbid", json_schema_extra={"oneOf": [
        {"required": ["days"], "not": {"required": ["seconds"]}},
        {"required": ["seconds"], "not": {"required": ["days"]}}]})

    days: int | None = Field(None, strict=True, json_schema_extra=_integer(MAX_ADVANCE_SECONDS // SECONDS_PER_DAY))
    seconds: int | None = Field(None, strict=True, json_schema_extra=_integer(MAX_ADVANCE_SECONDS))


class AdvanceTestClockOut(TestClockOut):
    fired_timers: list[TimerOut] = Field(description="Timers that fell due and fired, in due order.")


# -- dunning schedules and manual reminders --------------------------------------------

class RequestModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


StepAction = Literal["retry_payment", "email_reminder", "sms_reminder", "pause_subscription", "cancel_subscription",
                     "mark_uncollectible"]
FailureAction = Literal["pause_subscription", "cancel_subscription", "mark_as_collections"]
ReminderTemplate = Literal["invoice_reminder", "invoice_reminder_gentle", "invoice_reminder_firm",
                           "invoice_reminder_final"]
ScheduleName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class DunningStep(RequestModel):
    day: int = Field(strict=True, ge=0, le=365, description="Days after dunning starts (day 0).")
    actions: list[StepAction] = Field(min_length=1, max_length=6)
    template: ReminderTemplate | None = Field(None, description="The reminder's template (steps that send one).")


class DunningScheduleCreate(RequestModel):
    name: ScheduleName
    steps: list[DunningStep] = Field(min_length=1, max_length=20)
    on_persistent_failure: list[FailureAction] = Field(default_factory=list, max_length=3, description=(
        "Run after the last step when the invoice is still unpaid."))
    is_default: bool = Field(False, description="Make it the organization's default schedule.")


class DunningSchedulePatch(RequestModel):
    name: ScheduleName | None = None
    steps: list[DunningStep] | None = Field(None, min_length=1, max_length=20)
    on_persistent_failure: list[FailureAction] | None = Field(None, max_length=3)
    is_default: bool | None = None


class DunningStepOut(BaseModel):
    day: int
    actions: list[str]
    template: str | None


class DunningScheduleOut(BaseModel):
    object: Literal["dunning_schedule"] = "dunning_schedule"
    id: str
    name: str
    is_default: bool
    version: int = Field(description="Grows when the steps change; an invoice in dunning keeps its version.")
    steps: list[DunningStepOut]
    on_persistent_failure: list[str]
    created_at: Timestamp
    updated_at: Timestamp

    @classmethod
    def of(cls, schedule: DunningSchedule) -> "DunningScheduleOut":
        return cls(id=schedule.id, name=schedule.name, is_default=schedule.is_default, version=schedule.version,
                   steps=[DunningStepOut(**step) for step in schedule.steps],
                   on_persistent_failure=list(schedule.on_persistent_failure), created_at=schedule.created_at,
                   updated_at=schedule.updated_at)


class DunningScheduleList(BaseModel):
    object: Literal["list"] = "list"
    data: list[DunningScheduleOut]
    has_more: bool = False


class RemindRequest(RequestModel):
    tone: Literal["gentle", "firm", "final"] = "gentle"
    channels: list[Literal["email", "sms"]] | None = Field(None, min_length=1, max_length=2, description=(
        "Default: the invoice's reminder channels (email unless its settings add sms)."))


class ReminderOut(BaseModel):
    object: Literal["reminder"] = "reminder"
    id: str = Field(description="The collection timeline entry.")
    invoice_id: str
    step: str
    tone: str
    template: str
    channels: list[str]
    status: str = Field(description="requested (notifications sends it), or skipped_<reason>.")
    requested_at: Timestamp

    @classmethod
    def of(cls, timer: Timer) -> "ReminderOut":
        detail = timer.detail or {}
        return cls(id=timer.id, invoice_id=timer.subject_id, step=timer.step, tone=detail.get("tone", "gentle"),
                   template=detail.get("template", "invoice_reminder"), channels=list(detail.get("channels", [])),
                   status="requested" if timer.outcome == "reminder_requested" else (timer.outcome or "planned"),
                   requested_at=timer.fired_at or timer.due_at)
