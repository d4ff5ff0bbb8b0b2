"""An invoice's collection plan (issue #10), fixed at approval from its resolved settings (invoices/settings.py stamps
them): the reminders, the late fee and the dunning schedule that apply to it, each with the level it came from
(domain/settings_resolution.py). Dunning reads it from `invoice.issued` and plans the invoice's timeline.

It needs no column of its own: approval stamps the resolved settings on the invoice (`invoices.resolved_settings`,
never rewritten after), so the plan read from them is the one fixed at approval, in every later snapshot. An
invoice issued before collections existed resolved none of them: its plan is the defaults. A draft has no plan
yet. A late fee invoice is never charged a late fee itself (no fee on a fee): its plan's late fee is the disabled
default.
"""

from __future__ import annotations

from duely_contracts.models import CollectionPlan, LateFeeLink, LateFeeSettings, ReminderSettings
from duely_invoicing.domain import settings_resolution as res
from duely_invoicing.models import Invoice


def _resolved(invoice: Invoice, name: str) -> tuple[object, str]:
    entry = ((invoice.resolved_settings or {}).get("settings") or {}).get(name)
    if entry is None:
        return res.DEFAULTS[name], res.DEFAULT
    return entry["value"], entry["source"]


def plan(invoice: Invoice) -> CollectionPlan:
    reminders, reminders_source = _resolved(invoice, res.REMINDERS)
    late_fee, late_fee_source = _resolved(invoice, res.LATE_FEE)
    schedule_id, schedule_source = _resolved(invoice, res.DUNNING_SCHEDULE)
    if invoice.late_fee_for is not None:
        late_fee, late_fee_source = res.DEFAULTS[res.LATE_FEE], res.DEFAULT
    return CollectionPlan(dunning_schedule_id=schedule_id, dunning_schedule_source=schedule_source,
                          reminders=ReminderSettings.model_validate(reminders), reminders_source=reminders_source,
                          late_fee=LateFeeSettings.model_validate(late_fee), late_fee_source=late_fee_source)


def stored(invoice: Invoice) -> CollectionPlan | None:
    """The plan fixed at approval; None on a draft."""
    return plan(invoice) if invoice.issued_at is not None else None


def late_fee_link(invoice: Invoice) -> LateFeeLink | None:
    return LateFeeLink.model_validate(invoice.late_fee_for) if invoice.late_fee_for else None
