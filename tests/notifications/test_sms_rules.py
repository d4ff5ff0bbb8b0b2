"""The SMS channel's pure rules: segments (GSM-7 and UCS-2), who may get one, the reminder text, Twilio's answers."""

from __future__ import annotations

from datetime import date

import pytest

from duely_contracts.models import CustomerRef
from duely_notifications.sms.driver import answer
from duely_notifications.sms.rules import sms_refusal
from duely_notifications.sms.segments import count_segments
from duely_notifications.sms.text import sms_text


def test_gsm7_fits_160_in_one_sms_and_153_per_part_beyond():
    assert count_segments("a" * 160) == count_segments("a" * 160).__class__("GSM-7", 160, 1)
    assert (count_segments("a" * 161).count, count_segments("a" * 161).units) == (2, 161)
    assert count_segments("a" * 306).count == 2 and count_segments("a" * 307).count == 3
    assert count_segments("").count == 1
    assert count_segments("Grüße à Ñoño? £5 @home, ¿Qué?").encoding == "GSM-7"  # all in the basic table
    assert count_segments("Zoë").encoding == "UCS-2"  # ë is not


def test_the_extension_table_counts_two():
    assert count_segments("€").units == 2 and count_segments("€").encoding == "GSM-7"
    assert count_segments("a" * 158 + "€").count == 1   # 160 septets
    assert count_segments("a" * 159 + "€").count == 2   # 161
    assert count_segments("[]{}^~\\|").units == 16
    # A part never ends between the escape and its character: 152 septets, then a € that needs two.
    assert count_segments("a" * 152 + "€" + "a" * 153).count == 3


def test_one_character_outside_gsm7_makes_it_ucs2():
    assert count_segments("a" * 69 + "ê") == count_segments("a" * 69 + "ê").__class__("UCS-2", 70, 1)
    assert count_segments("a" * 70 + "ê").count == 2
    assert count_segments("a" * 134).count == 1 and count_segments("a" * 133 + "ê").count == 2  # 67 per part
    emoji = count_segments("Paid 👍")
    assert (emoji.encoding, emoji.units, emoji.count) == ("UCS-2", 7, 1)  # the emoji is two UTF-16 units
    assert count_segments("👍" * 35).count == 1 and count_segments("👍" * 36).count == 2
    assert count_segments("a" + "👍" * 33 + "a" * 66).count == 2  # 67: the pair is not split (1 + 66 | 1 + ...)


@pytest.mark.parametrize("phone, opt_in, refusal", [
    ("+14155550123", True, None),
    ("+14155550123", False, "no_sms_consent"),
    (None, True, "no_phone"),
    ("4155550123", True, "no_phone"),        # not E.164
    ("+1 415 555 0123", True, "no_phone"),
])
def test_only_a_consenting_customer_with_an_e164_phone_gets_one(phone, opt_in, refusal):
    customer = CustomerRef(id="cus_1", name="Ada", email="ada@example.test", phone=phone, sms_opt_in=opt_in)
    assert sms_refusal(customer) == refusal


def _text(tone: str, locale: str, due: date = date(2026, 3, 31), currency: str = "usd") -> str:
    return sms_text(tone, company="Acme", number="INV-7", amount_due=162375, currency=currency, due_date=due,
                    pay_url="https://pay.example/i/1", locale=locale, today=date(2026, 4, 7))


def test_the_reminder_text_per_tone_and_language():
    assert _text("gentle", "en_US", due=date(2026, 4, 10)) == (
        "Acme: invoice INV-7 for $1,623.75 is due April 10, 2026. Pay: https://pay.example/i/1")
    assert _text("gentle", "en_US") == (
        "Acme: invoice INV-7 for $1,623.75 was due March 31, 2026 and is still unpaid. Pay: https://pay.example/i/1")
    assert _text("final", "en_US").startswith("Acme: FINAL NOTICE. Invoice INV-7")
    german = _text("firm", "de_DE", currency="eur")
    assert german.startswith("Acme: Rechnung INV-7 über 1.623,75 € ist seit 31. März 2026 überfällig.")
    assert "\u00a0" not in german and count_segments(german).encoding == "GSM-7"  # Babel's no-break space went
    assert _text("gentle", "fr_FR", currency="eur").startswith("Acme : la facture INV-7 de 1 623,75 € était due")
    assert _text("gentle", "nl_NL", currency="eur").startswith("Acme: invoice INV-7 for € 1.623,75")  # words: English
    with pytest.raises(ValueError):
        _text("rude", "en_US")


def test_twilios_answers():
    taken = answer(201, '{"sid": "SM1", "status": "queued", "error_code": null, "error_message": null}')
    assert (taken.accepted, taken.provider_id, taken.status, taken.error) == (True, "SM1", "queued", None)
    refused = answer(400, '{"code": 21211, "message": "The \'To\' number 1 is not a valid phone number.", '
                          '"more_info": "https://www.twilio.com/docs/errors/21211", "status": 400}')
    assert not refused.accepted and not refused.retryable and refused.raw["code"] == 21211
    assert refused.error == "Twilio 21211 (HTTP 400): The 'To' number 1 is not a valid phone number."
    assert answer(429, '{"code": 20429, "message": "Too Many Requests", "status": 429}').retryable
    assert answer(503, "<html>down</html>").raw == {"http_status": 503, "body": "<html>down</html>"}
    failed = answer(201, '{"sid": "SM2", "status": "failed", "error_code": 30007, "error_message": "Filtered"}')
    assert not failed.accepted and failed.error == "Twilio 30007: Filtered"
