"""Who may get a reminder SMS. Pure.

Only a customer with a phone number in E.164 form (invoicing validates it with `phonenumbers`) who
agreed to SMS (`sms_opt_in`), as the invoice's newest snapshot says when the SMS is sent.
"""

from __future__ import annotations

import re

from duely_contracts.models import CustomerRef

E164 = re.compile(r"^\+[1-9][0-9]{1,14}$")
NO_PHONE, NO_CONSENT = "no_phone", "no_sms_consent"


def sms_refusal(customer: CustomerRef) -> str | None:
    """Why no SMS may go to `customer` (no_phone, no_sms_consent), or None when one may."""
    if not customer.phone or not E164.match(customer.phone):
        return NO_PHONE
    if not customer.sms_opt_in:
        return NO_CONSENT
    return None
