"""AutoPay's rules, pure: which settings are valid, and on which day an invoice is charged.

The charge day is a calendar day in the organization's timezone (`timezone`, IANA, default UTC):

    on_issue         the issue day (the day `issued_at` falls on in that timezone)
    on_due_date      the due date
    days_before_due  the due date − N days

never before the issue day (a due date already behind, or N larger than the terms, charge on the
issue day). A SEPA Direct Debit must be pre-notified to the payer at least the organization's
`sepa_prenotification_days` ahead (the SEPA rulebook's 14 calendar days unless agreed shorter): the
invoice email, sent at issue, is that notice, so a SEPA charge day is never before issue day + the
period, and the plan says `prenotified: true`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

ON_ISSUE, ON_DUE_DATE, DAYS_BEFORE_DUE = "on_issue", "on_due_date", "days_before_due"
TIMINGS = (ON_ISSUE, ON_DUE_DATE, DAYS_BEFORE_DUE)
MIN_DAYS_BEFORE_DUE, MAX_DAYS_BEFORE_DUE = 1, 60
SEPA_PRENOTIFICATION_DEFAULT = 14  # SEPA Core rulebook: 14 calendar days unless the parties agreed shorter
SEPA_PRENOTIFICATION_MIN, SEPA_PRENOTIFICATION_MAX = 1, 14
SEPA_DEBIT = "sepa_debit"
DEFAULT_TIMEZONE = "UTC"

# Where the method to charge came from.
METHOD_FROM_SUBSCRIPTION, METHOD_FROM_CUSTOMER, METHOD_FROM_CUSTOMER_DEFAULT = \
    "subscription", "customer", "customer_default"


def timing_problem(timing: str, days_before_due: int | None) -> tuple[str, str] | None:
    """(field, message) when an AutoPay setting does not hold together, else None."""
    if timing not in TIMINGS:
        return "timing", f"timing must be one of {', '.join(TIMINGS)}"
    if timing == DAYS_BEFORE_DUE:
        if days_before_due is None:
            return "days_before_due", "days_before_due is required with timing days_before_due"
        if not MIN_DAYS_BEFORE_DUE <= days_before_due <= MAX_DAYS_BEFORE_DUE:
            return "days_before_due", (f"days_before_due must be from {MIN_DAYS_BEFORE_DUE} to "
                                       f"{MAX_DAYS_BEFORE_DUE}")
    elif days_before_due is not None:
        return "days_before_due", "days_before_due is only allowed with timing days_before_due"
    return None


def is_valid_timezone(name: str) -> bool:
    """An IANA zone name the system's tz database knows ('Europe/Berlin', 'UTC'); not a bare offset."""
    if not name or name != name.strip() or name.startswith("/") or ".." in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, IsADirectoryError, OSError):
        return False
    return name in _zones()


_ZONES: set[str] | None = None


def _zones() -> set[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = set(available_timezones()) | {"UTC"}
    return _ZONES


def local_day(moment: datetime, tz: str) -> date:
    """The calendar day `moment` falls on in `tz` (a naive moment is taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(ZoneInfo(tz)).date()


@dataclass(frozen=True)
class ChargeDay:
    charge_date: date
    prenotified: bool  # SEPA: the invoice email is the pre-notification


def charge_day(timing: str, days_before_due: int | None, *, issued_at: datetime, due_date: date | None,
               tz: str = DEFAULT_TIMEZONE, method_type: str | None = None,
               sepa_prenotification_days: int = SEPA_PRENOTIFICATION_DEFAULT) -> ChargeDay:
    """The day AutoPay charges an invoice issued at `issued_at`, in `tz` (see the module doc)."""
    issue_day = local_day(issued_at, tz)
    due = due_date or issue_day
    if timing == ON_ISSUE:
        day = issue_day
    elif timing == ON_DUE_DATE:
        day = due
    elif timing == DAYS_BEFORE_DUE:
        day = due - timedelta(days=days_before_due or 0)
    else:
        raise ValueError(f"unknown AutoPay timing {timing!r}")
    day = max(day, issue_day)
    prenotified = method_type == SEPA_DEBIT
    if prenotified:
        day = max(day, issue_day + timedelta(days=sepa_prenotification_days))
    return ChargeDay(day, prenotified)
