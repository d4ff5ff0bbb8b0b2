"""An invoice's collection timeline as one list for the page: what happened (the invoice's own moments,
what came back from payments and notifications, actions already taken) and what is planned, by time."""

from __future__ import annotations

from datetime import datetime, timezone

KINDS = {"overdue": "Due date passes unpaid", "autopay_charge": "AutoPay charge", "reminder": "Reminder",
         "dunning_step": "Dunning step", "late_fee": "Late fee", "payment_method_expiry": "Card expiry warning"}
HISTORY = {"payment.processing": "Payment processing", "payment.succeeded": "Payment succeeded",
           "invoice.payment_failed": "Payment failed", "invoice.autopay_skipped": "AutoPay skipped",
           "invoice.paid": "Invoice paid", "invoice.reminder_sent": "Reminder sent",
           "invoice.past_due": "Invoice past due", "invoice.voided": "Invoice voided",
           "invoice.marked_uncollectible": "Marked uncollectible"}


SHOWN_ALREADY = {"invoice.issued"}  # the invoice's own issued_at says it


def _step(entry: dict) -> str:
    step = str(entry.get("step") or "")
    if step.startswith("manual"):
        return " sent by hand"
    if entry["kind"] == "reminder" and step:
        return f" ({step.replace('before_', '').replace('after_', '')} days {'before' if 'before' in step else 'after'} due)" \
            if step.startswith(("before_", "after_")) else f" ({_words(step)})"
    return f" (step {step})" if step not in ("", "1") else ""


def _words(value: str | None) -> str:
    return (value or "").replace("_", " ")


def _entry_detail(entry: dict) -> str:
    detail = entry.get("detail") or {}
    parts = [_words(str(detail[key])) for key in ("action", "actions", "tone", "template") if detail.get(key)]
    if entry.get("outcome"):
        parts.append(_words(entry["outcome"]))
    return " · ".join(parts)


def _history_detail(detail: dict) -> str:
    parts = []
    for key in ("failure_message", "decline_code", "reason", "template", "payment_method", "amount_paid"):
        value = detail.get(key)
        if value not in (None, "", [], {}):
            parts.append(f"{_words(key)}: {value}" if key in ("amount_paid",) else _words(str(value)))
    return " · ".join(parts)


def timeline(invoice: dict, collection: dict | None) -> list[dict]:
    """Rows {at, what, detail, state} where state is done, planned, skipped or cancelled; oldest first."""
    rows = [{"at": invoice["created_at"], "what": "Invoice created", "detail": "draft", "state": "done"}]
    if invoice.get("issued_at"):
        rows.append({"at": invoice["issued_at"], "what": "Invoice issued", "detail": invoice.get("number") or "",
                     "state": "done"})
    for entry in (collection or {}).get("entries", []):
        at = entry.get("fired_at") or entry.get("cancelled_at") or entry["due_at"]
        rows.append({"at": at, "what": KINDS.get(entry["kind"], _words(entry["kind"])) + _step(entry),
                     "detail": _entry_detail(entry), "state": entry["status"]})
    for event in (collection or {}).get("history", []):
        if event["type"] in SHOWN_ALREADY:
            continue
        rows.append({"at": event["at"], "what": HISTORY.get(event["type"], event["type"]),
                     "detail": _history_detail(event.get("detail") or {}), "state": "done"})
    if invoice.get("paid_at") and not any(r["what"] == "Invoice paid" for r in rows):
        rows.append({"at": invoice["paid_at"], "what": "Invoice paid", "detail": "", "state": "done"})
    return sorted(rows, key=lambda row: _instant(row["at"]))


def _instant(value) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return datetime.min.replace(tzinfo=timezone.utc)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
