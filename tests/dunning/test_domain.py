"""Unit tests of dunning's pure logic: schedule, collection state rules, clocks."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from duely_dunning.domain.clock_arithmetic import (
    MAX_ADVANCE_SECONDS, SECONDS_PER_DAY, InvalidAdvance, advance_seconds, org_now,
)
from duely_dunning.domain.collection import (
    CLOSED_STATUSES, STATUS_AFTER_EVENT, CollectionStatus, is_closed, is_new_failure, is_newer,
    needs_overdue_notice,
)
from duely_dunning.domain.schedule import (
    PlannedTimer, TimerKind, overdue_at, start_of_day, timer_status, timers_for_issued_invoice,
)

UTC = timezone.utc


# -- schedule ---------------------------------------------------------------------

@pytest.mark.parametrize("due, expected", [
    (date(2025, 3, 14), datetime(2025, 3, 15, tzinfo=UTC)),
    (date(2025, 12, 31), datetime(2026, 1, 1, tzinfo=UTC)),        # year end
    (date(2024, 2, 28), datetime(2024, 2, 29, tzinfo=UTC)),        # leap day
    (date(2024, 2, 29), datetime(2024, 3, 1, tzinfo=UTC)),
    (date(2025, 2, 28), datetime(2025, 3, 1, tzinfo=UTC)),         # no leap day
    (date(2025, 3, 30), datetime(2025, 3, 31, tzinfo=UTC)),        # DST change elsewhere, not in UTC
])
def test_overdue_at_is_the_start_of_the_next_utc_day(due, expected):
    assert overdue_at(due) == expected
    assert overdue_at(due).tzinfo is UTC


def test_an_invoice_is_payable_through_its_whole_due_date():
    due = date(2025, 6, 1)
    last_moment = datetime(2025, 6, 1, 23, 59, 59, 999999, tzinfo=UTC)
    assert last_moment < overdue_at(due)
    assert overdue_at(due) - start_of_day(due) == timedelta(days=1)


def test_issued_invoice_gets_one_overdue_timer():
    assert timers_for_issued_invoice(date(2025, 1, 31)) == [
        PlannedTimer(TimerKind.OVERDUE, datetime(2025, 2, 1, tzinfo=UTC))]


def test_invoice_without_due_date_gets_no_timers():
    assert timers_for_issued_invoice(None) == []


def test_timer_kinds_are_plain_strings():
    assert TimerKind.OVERDUE == "overdue"


@pytest.mark.parametrize("fired, cancelled, expected", [
    (None, None, "pending"),
    (datetime(2025, 1, 1, tzinfo=UTC), None, "fired"),
    (None, datetime(2025, 1, 1, tzinfo=UTC), "cancelled"),
    (datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 1, 2, tzinfo=UTC), "fired"),
])
def test_timer_status(fired, cancelled, expected):
    assert timer_status(fired, cancelled) == expected


# -- collection state ---------------------------------------------------------------

def test_every_snapshot_event_maps_to_a_status():
    assert STATUS_AFTER_EVENT == {
        "invoice.issued": "open", "invoice.past_due": "past_due", "invoice.paid": "paid",
        "invoice.voided": "void", "invoice.marked_uncollectible": "uncollectible"}


@pytest.mark.parametrize("status, closed", [
    ("open", False), ("past_due", False), ("paid", True), ("void", True), ("uncollectible", True)])
def test_closed_statuses(status, closed):
    assert is_closed(status) is closed
    assert (status in CLOSED_STATUSES) is closed


@pytest.mark.parametrize("incoming, current, newer", [
    (1, None, True), (0, None, True), (2, 1, True), (1, 1, False), (1, 2, False), (5, 0, True)])
def test_only_a_strictly_newer_version_changes_state(incoming, current, newer):
    assert is_newer(incoming, current) is newer


@pytest.mark.parametrize("status, amount_due, needed", [
    (CollectionStatus.OPEN, 1, True),
    (CollectionStatus.OPEN, 0, False),
    (CollectionStatus.PAST_DUE, 100, False),   # invoicing already knows
    (CollectionStatus.PAID, 100, False),
    (CollectionStatus.VOID, 100, False),
    (CollectionStatus.UNCOLLECTIBLE, 100, False),
])
def test_overdue_notice_only_for_open_invoices_with_money_owed(status, amount_due, needed):
    assert needs_overdue_notice(status, amount_due) is needed


@pytest.mark.parametrize("attempt, last, latest", [(1, None, True), (2, 1, True), (1, 2, False), (2, 2, True)])
def test_latest_failure_wins_the_last_failure_code(attempt, last, latest):
    assert is_new_failure(attempt, last) is latest


# -- clocks ---------------------------------------------------------------------------

def test_org_now_adds_the_offset():
    real = datetime(2025, 1, 1, 12, tzinfo=UTC)
    assert org_now(real, 0) == real
    assert org_now(real, 31 * SECONDS_PER_DAY) == datetime(2025, 2, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize("days, seconds, total", [
    (1, None, 86_400), (None, 1, 1), (31, None, 31 * 86_400), (2, 30, 2 * 86_400 + 30),
    (3650, None, MAX_ADVANCE_SECONDS), (None, MAX_ADVANCE_SECONDS, MAX_ADVANCE_SECONDS)])
def test_advance_seconds(days, seconds, total):
    assert advance_seconds(days, seconds) == total


@pytest.mark.parametrize("days, seconds, param", [
    (None, None, "days"),
    (0, None, "days"), (-1, None, "days"),
    (None, 0, "seconds"), (None, -30, "seconds"),
    (1, -1, "seconds"), (-1, 5, "days"),
    (True, None, "days"), (1.5, None, "days"), (None, "10", "seconds"),
    (3651, None, "days"), (None, MAX_ADVANCE_SECONDS + 1, "seconds"),
])
def test_advance_rejects_anything_but_positive_integers(days, seconds, param):
    with pytest.raises(InvalidAdvance) as caught:
        advance_seconds(days, seconds)
    assert caught.value.param == param
    assert param in caught.value.message or "Give" in caught.value.message or "3650" in caught.value.message


# -- the collection timeline's plans (issue 9) ---------------------------------------------

def test_autopay_charges_at_the_start_of_the_charge_day_in_the_organizations_timezone():
    from duely_dunning.domain.schedule import TimerKind, timers_for_issued_invoice
    from tests.dunning.builders import autopay_plan
    winter = autopay_plan("on_due_date", date(2026, 12, 15), tz="America/New_York")
    summer = autopay_plan("on_due_date", date(2026, 7, 15), tz="Europe/Berlin")
    [overdue, charge] = timers_for_issued_invoice(date(2026, 12, 15), winter)
    assert (overdue.kind, overdue.step) == (TimerKind.OVERDUE, "1")
    assert (charge.kind, charge.step) == (TimerKind.AUTOPAY_CHARGE, "1")
    assert charge.due_at == datetime(2026, 12, 15, 5, tzinfo=timezone.utc)
    assert charge.detail["timing"] == "on_due_date" and charge.detail["charge_date"] == "2026-12-15"
    assert timers_for_issued_invoice(None, summer)[0].due_at == datetime(2026, 7, 14, 22, tzinfo=timezone.utc)
    nowhere = autopay_plan("on_issue", date(2026, 12, 15), tz="Mars/Olympus_Mons")
    assert timers_for_issued_invoice(None, nowhere)[0].due_at == datetime(2026, 12, 15, tzinfo=timezone.utc)
    disabled = winter.model_copy(update={"enabled": False})
    assert [t.kind for t in timers_for_issued_invoice(date(2026, 12, 15), disabled)] == [TimerKind.OVERDUE]


def test_a_cards_expiry_check_is_the_first_of_the_month_before_or_now_while_it_still_works():
    from duely_dunning.domain.schedule import card_expired, expiry_check_at, expiry_check_for
    from tests.dunning.builders import card
    assert expiry_check_at(12, 2026) == datetime(2026, 11, 1, tzinfo=timezone.utc)
    assert expiry_check_at(1, 2027) == datetime(2026, 12, 1, tzinfo=timezone.utc)
    assert not card_expired(12, 2026, datetime(2026, 12, 31, 23, 59, tzinfo=timezone.utc))
    assert card_expired(12, 2026, datetime(2027, 1, 1, tzinfo=timezone.utc))

    now = datetime(2026, 11, 30, 12, tzinfo=timezone.utc)
    far = expiry_check_for(card("org", exp_month=12, exp_year=2028), now)
    assert (far.step, far.due_at) == ("2028-12", datetime(2028, 11, 1, tzinfo=timezone.utc))
    assert far.detail["exp_month"] == 12 and far.detail["exp_year"] == 2028
    assert expiry_check_for(card("org", exp_month=12, exp_year=2026), now).due_at == now  # next month: now
    assert expiry_check_for(card("org", exp_month=11, exp_year=2026), now).due_at == now  # this month: now
    assert expiry_check_for(card("org", exp_month=10, exp_year=2026), now) is None  # expired
    assert expiry_check_for(card("org", exp_month=12, exp_year=2028, status="detached"), now) is None
    bank = card("org", exp_month=12, exp_year=2028).model_copy(update={"type": "sepa_debit"})
    assert expiry_check_for(bank, now) is None


def test_entry_status_shows_skips_apart_from_done():
    from duely_dunning.domain.schedule import entry_status
    now = datetime(2026, 11, 30, tzinfo=timezone.utc)
    assert entry_status(None, None, None) == "planned"
    assert entry_status(None, now, None) == "cancelled"
    assert entry_status(now, None, "autopay_charge_requested") == "done"
    assert entry_status(now, None, "skipped_payment_processing") == "skipped"
