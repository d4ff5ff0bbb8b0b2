"""The SMS channel: reminders by text message (dunning's `dunning.reminder_due` with channel "sms").

- `segments.py`: how many SMS parts a text costs (GSM-7 or UCS-2); pure, shared with the SMS catcher.
- `text.py`: the words of a reminder SMS, per tone and language (`sms_text`); pure.
- `driver.py`: `SmsDriver` and its production driver (Twilio's REST API over httpx).
- `sender.py`: the worker that sends queued SMS with retries, and records the provider's answer.
- `repository.py`, `schemas.py`: the `sms_messages` table's SQL and its delivery-log shape.

Nothing here imports a database or HTTP library at package import: the catcher imports `segments`.
"""
