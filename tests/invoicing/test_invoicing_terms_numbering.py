from __future__ import annotations

from datetime import date

import pytest

from duely_invoicing.domain import numbering, status, terms


@pytest.mark.parametrize("value,days", [("due_on_receipt", 0), ("net_30", 30), ("net_0", 0), ("net_7", 7),
                                        ("net_365", 365), ("net_366", None), ("net_", None), ("net_-1", None),
                                        ("net_30x", None), ("NET_30", None), ("", None), ("net_1000", None)])
def test_net_days(value, days):
    assert terms.net_days(value) == days
    assert terms.is_valid_terms(value) == (days is not None)


def test_due_dates():
    assert terms.due_date(date(2026, 1, 15), "net_30") == date(2026, 2, 14)
    assert terms.due_date(date(2026, 12, 20), "net_15") == date(2027, 1, 4)
    assert terms.due_date(date(2028, 2, 28), "net_1") == date(2028, 2, 29)
    assert terms.due_date(date(2026, 3, 3), "due_on_receipt") == date(2026, 3, 3)
    with pytest.raises(ValueError):
        terms.due_date(date(2026, 3, 3), "whenever")


def test_number_format():
    assert numbering.format_number("INV-{YYYY}-{NNNNN}", 1, date(2026, 5, 1)) == "INV-2026-00001"
    assert numbering.format_number("INV-{YYYY}-{NNNNN}", 123456, date(2026, 5, 1)) == "INV-2026-123456"
    assert numbering.format_number("{YY}{MM}-{NNN}", 42, date(2031, 9, 1)) == "3109-042"
    with pytest.raises(ValueError):
        numbering.format_number(numbering.DEFAULT_FORMAT, 0, date(2026, 1, 1))


@pytest.mark.parametrize("fmt,ok", [("INV-{YYYY}-{NNNNN}", True), ("{N}", True), ("INV-{YYYY}", False),
                                    ("{NNN}-{NN}", False), ("INV-{DD}-{NNN}", False), ("INV-{NNN", False)])
def test_number_format_validation(fmt, ok):
    assert numbering.is_valid_format(fmt) == ok


def test_status_machine():
    assert status.can_approve("draft") and not status.can_approve("issued")
    assert status.can_void("issued", 0) and status.can_void("past_due", 0)
    assert not status.can_void("issued", 100) and not status.can_void("paid", 0) and not status.can_void("draft", 0)
    assert status.can_mark_uncollectible("past_due") and not status.can_mark_uncollectible("void")
    assert status.can_become_past_due("issued", 1) and not status.can_become_past_due("issued", 0)
    assert not status.can_become_past_due("past_due", 1)
    assert status.can_accept_payment("uncollectible") and not status.can_accept_payment("void")
    assert status.can_accept_payment("past_due")
