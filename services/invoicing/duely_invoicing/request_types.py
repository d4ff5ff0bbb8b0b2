"""The request vocabulary every invoicing request body is made of: one name per kind of value.

`RequestModel` refuses unknown fields and control characters; `Name`, `Terms`, `Currency`,
`Country`, `LocaleCode`, `Quantity`, `Percentage`, `UnitAmount`... validate one kind of value
each, the same way wherever it appears, with an OpenAPI schema that says what they accept.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any, Literal

import phonenumbers
from babel import Locale, UnknownLocaleError
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    PlainSerializer,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from duely_contracts import tax_treatment as vat
from duely_invoicing import schema_docs
from duely_invoicing.domain import autopay, collections, money, terms
from duely_invoicing.domain.settings_resolution import PAYMENT_METHODS
from duely_runtime.amounts import IntegerMinorUnits
from duely_runtime.text import control_character_problem, document_text_rules, refuse_line_breaks_and_control_characters


class RequestModel(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra=document_text_rules)

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value):
        # A 400 naming the field here, not a 500 at the INSERT (NUL) or in the PDF's XML (U+001C).
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, str) and (problem := control_character_problem(item)):
                raise ValueError(problem)
        return value


def _terms(value: str) -> str:
    if not terms.is_valid_terms(value):
        raise ValueError("payment terms must be 'due_on_receipt' or 'net_N' with N from 0 to 365")
    return value


def _currency(value: str) -> str:
    code = money.normalize_currency(value)
    if code is None:
        raise ValueError(f"'{value}' is not an ISO 4217 currency code")
    return code


def _locale(value: str) -> str:
    """'de-DE', 'de_DE' → 'de_DE'; anything Babel doesn't know is refused."""
    try:
        code = str(Locale.parse(value.strip().replace("-", "_")))
    except (UnknownLocaleError, ValueError, TypeError):
        code = None
    if code is None or code == "root" or len(code) > 20:
        raise ValueError(f"'{value}' is not a locale Babel knows (e.g. 'en_US', 'de_DE', 'fr')")
    return code


def _colour(value: str) -> str:
    if not re.fullmatch(r"#[0-9A-Fa-f]{6}", value):
        raise ValueError("colour must be #RRGGBB, e.g. '#1F2937'")
    return value.upper()


def _country(value: str) -> str:
    code = value.strip().upper()
    if code not in schema_docs.countries():
        raise ValueError(f"'{value}' is not an ISO 3166-1 alpha-2 country code")
    return code


# --- one type per kind of value -------------------------------------------------------

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(max_length=5000)]
Terms = Annotated[str, AfterValidator(_terms), Field(description="due_on_receipt or net_N (N days, 0-365).",
                                                    json_schema_extra=schema_docs.TERMS)]
Currency = Annotated[str, AfterValidator(_currency), Field(description="ISO 4217 code, any case; stored lower-case.",
                                                          json_schema_extra=schema_docs.currency)]
Country = Annotated[str, AfterValidator(_country), Field(json_schema_extra=schema_docs.country)]
LocaleCode = Annotated[str, Field(max_length=20), AfterValidator(_locale),
                       Field(description="A Babel locale: en_US, de_DE, fr...", json_schema_extra=schema_docs.locale)]
Colour = Annotated[str, AfterValidator(_colour), Field(description="#RRGGBB", json_schema_extra=schema_docs.COLOUR)]
# One line (it becomes a mail header), not blank.
SenderName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
                       AfterValidator(refuse_line_breaks_and_control_characters),
                       Field(json_schema_extra={"pattern": r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f]"
                                                           r"[^\x00-\x1f\x7f-\x9f]*$"})]
CcList = Annotated[list[EmailStr], Field(max_length=20)]
Quantity = Annotated[Decimal, Field(gt=0, le=Decimal(10**9), decimal_places=6, allow_inf_nan=False,
                                    description="Decimal (string or number) above 0, at most 10^9, ≤ 6 decimals, "
                                                "e.g. '1.5'.",
                                    json_schema_extra=schema_docs.QUANTITY)]
Percentage = Annotated[Decimal, Field(ge=0, le=100, decimal_places=4, allow_inf_nan=False,
                                      description="Decimal (string or number) from 0 to 100, ≤ 4 decimals, e.g. '8.25'.",
                                      json_schema_extra=schema_docs.PERCENTAGE)]
UnitAmount = Annotated[int, Field(strict=True, ge=0, le=money.MAX_UNIT_AMOUNT,
                                  description="Minor units of the invoice currency, e.g. 1999 = $19.99."),
                       IntegerMinorUnits]


# --- shared by customers, invoices and the organization's settings -------------------------

def _iban(value: str) -> str:
    iban = re.sub(r"\s+", "", value).upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", iban):
        raise ValueError("not an IBAN")
    digits = "".join(str(int(c, 36)) for c in iban[4:] + iban[:4])
    if int(digits) % 97 != 1:
        raise ValueError("IBAN check digits do not match")
    return iban


def _bic(value: str) -> str:
    bic = value.strip().upper()
    if not re.fullmatch(r"[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?", bic):
        raise ValueError("a BIC has 8 or 11 letters/digits, e.g. 'DEUTDEFF'")
    return bic


TaxTreatment = Annotated[Literal[vat.TREATMENTS], Field(  # type: ignore[valid-type]
    description="standard (the lines' tax rates apply), or zero tax: reverse_charge (EN 16931 category AE), "
                "intra_community_supply (K), export (G), exempt (E, with tax_exemption_reason).")]
ExemptionReason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500), Field(
    description="Why the supply is exempt (the provision, e.g. 'Article 132(1)(c) of Directive 2006/112/EC'); "
                "printed on the invoice. Required when tax_treatment is exempt.")]
ExemptionReasonCode = Annotated[Literal[tuple(sorted(vat.EXEMPT_VATEX_CODES))], Field(  # type: ignore[valid-type]
    description="Optional CEF VATEX code of the exemption (tax_treatment exempt), e.g. VATEX-EU-132-1C.")]


class AddressIn(RequestModel):
    lines: list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]] = Field(
        default_factory=list, max_length=4)
    city: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None
    postal_code: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)] | None = None
    region: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None
    country: Country | None = None


class ContactIn(RequestModel):
    name: Name | None = None
    email: EmailStr


class BankDetailsIn(RequestModel):
    account_name: Name | None = None
    iban: Annotated[str, AfterValidator(_iban)] | None = None
    account_number: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=34)] | None = None
    bic: Annotated[str, AfterValidator(_bic)] | None = None
    routing_number: Annotated[str, StringConstraints(pattern=r"^\d{9}$")] | None = Field(
        None, description="US ABA routing number (9 digits).")
    bank_name: Name | None = None

    @model_validator(mode="after")
    def has_an_account(self):
        if not self.iban and not self.account_number:
            raise ValueError("bank details need an iban or an account_number")
        return self


def set_fields(model: BaseModel) -> dict[str, Any]:
    """The fields the client sent (null included), as plain JSON-able values."""
    dumped = model.model_dump(mode="json")
    return {name: dumped[name] for name in model.model_fields_set}


# --- payment collection (issue #9) -------------------------------------------------------------

def _timezone(value: str) -> str:
    if not autopay.is_valid_timezone(value):
        raise ValueError(f"'{value}' is not an IANA timezone name (e.g. 'Europe/Berlin', 'America/New_York', "
                         "'UTC')")
    return value


Timezone = Annotated[str, StringConstraints(max_length=64), AfterValidator(_timezone), Field(
    description="IANA timezone name, e.g. 'Europe/Berlin'; AutoPay's charge days are counted in it.",
    examples=["Europe/Berlin"])]
SepaPrenotificationDays = Annotated[int, Field(
    strict=True, ge=autopay.SEPA_PRENOTIFICATION_MIN, le=autopay.SEPA_PRENOTIFICATION_MAX,
    description="How many calendar days before a SEPA Direct Debit the payer is notified of it (amount and "
                "date; the invoice email is the notice): the SEPA Core rulebook's 14 days unless the creditor "
                "agreed a shorter period with the payer (1-14). Default 14.")]
AcceptedPaymentMethod = Literal[PAYMENT_METHODS]  # type: ignore[valid-type]
AcceptedPaymentMethods = Annotated[list[AcceptedPaymentMethod], Field(min_length=1, max_length=5)]
PaymentMethodId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class AutopayIn(RequestModel):
    """AutoPay at one level, as a whole: it replaces what the level had (send null to inherit instead). Fields
    left out take their defaults: enabled false, timing on_issue, no days_before_due, no payment method."""

    enabled: bool = Field(False, description="Charge this level's invoices automatically.")
    timing: Literal[autopay.TIMINGS] = Field(  # type: ignore[valid-type]
        autopay.ON_ISSUE, description="on_issue: right after the invoice is issued; on_due_date: on the due date; "
                                      "days_before_due: days_before_due days before it (never before the issue "
                                      "day). Days are counted in the organization's timezone.")
    days_before_due: int | None = Field(
        None, validate_default=True, strict=True,
        description=f"Required with timing days_before_due ({autopay.MIN_DAYS_BEFORE_DUE}-"
                    f"{autopay.MAX_DAYS_BEFORE_DUE}); refused with the other timings.")
    payment_method_id: PaymentMethodId | None = Field(
        None, description="A saved payment method of the customer (customer and subscription levels only); null = "
                          "the customer's default method.")

    @field_validator("days_before_due", mode="after")
    @classmethod
    def _days_go_with_the_timing(cls, value, info: ValidationInfo):
        timing = info.data.get("timing")
        if timing is None:
            return value  # the timing itself was refused
        if problem := autopay.timing_problem(timing, value):
            raise ValueError(problem[1])
        return value


# --- collections (issue #10): reminders, late fees, the dunning schedule, the customer's phone -------------------

def _unique(value: list) -> list:
    if len(set(value)) != len(value):
        raise ValueError("must not repeat an item (each day or channel once)")
    return value


ReminderDays = Annotated[
    list[Annotated[int, Field(strict=True, ge=collections.REMINDER_DAY_MIN, le=collections.REMINDER_DAY_MAX)]],
    Field(min_length=1, max_length=collections.MAX_REMINDERS_PER_SIDE, json_schema_extra={"uniqueItems": True},
          description=f"{collections.REMINDER_DAY_MIN}-{collections.REMINDER_DAY_MAX}, unique, at most "
                      f"{collections.MAX_REMINDERS_PER_SIDE}."),
    AfterValidator(_unique)]
ReminderTemplate = Literal[collections.TEMPLATES]  # type: ignore[valid-type]
ReminderTemplates = Annotated[list[ReminderTemplate], Field(
    min_length=1, max_length=collections.MAX_REMINDERS_PER_SIDE,
    description="The template of each reminder in the order they are sent (the last one repeats).")]


class BeforeDueReminderIn(RequestModel):
    """Reminders before the due date. Fields left out take the defaults: off, days 7, 3, 1, invoice_reminder."""

    enabled: bool = False
    days: ReminderDays = Field(default_factory=lambda: [7, 3, 1],
                               description="Days before the due date, e.g. [7, 3, 1] (kept latest first).")
    templates: ReminderTemplates = Field(default_factory=lambda: ["invoice_reminder"])

    @field_validator("days", mode="after")
    @classmethod
    def _earliest_first(cls, value: list[int]) -> list[int]:
        return sorted(value, reverse=True)  # in the order they are sent: 7 days before, then 3, then 1


class AfterDueReminderIn(RequestModel):
    """Reminders after the due date. Fields left out take the defaults: off, days 1, 7, 14, gentle → firm → final."""

    enabled: bool = False
    days: ReminderDays = Field(default_factory=lambda: [1, 7, 14],
                               description="Days after the due date, e.g. [1, 7, 14] (kept in order).")
    templates: ReminderTemplates = Field(default_factory=lambda: ["invoice_reminder_gentle", "invoice_reminder_firm",
                                                                  "invoice_reminder_final"])

    @field_validator("days", mode="after")
    @classmethod
    def _in_order(cls, value: list[int]) -> list[int]:
        return sorted(value)


ReminderChannel = Literal[collections.CHANNELS]  # type: ignore[valid-type]


class RemindersIn(RequestModel):
    """Reminders at one level, as a whole: they replace what the level had (send null to inherit instead).
    Left out: before_due and after_due take their defaults (both off), channels ["email"]."""

    before_due: BeforeDueReminderIn = Field(default_factory=BeforeDueReminderIn)
    after_due: AfterDueReminderIn = Field(default_factory=AfterDueReminderIn)
    channels: Annotated[list[ReminderChannel], Field(min_length=1, max_length=len(collections.CHANNELS),
                                                     json_schema_extra={"uniqueItems": True}),
                        AfterValidator(_unique)] = Field(
        default_factory=lambda: ["email"],
        description="email, and sms to also text customers with a phone number who opted in (sms_opt_in).")


LateFeePercentage = Annotated[Decimal, Field(gt=0, le=100, decimal_places=4, allow_inf_nan=False,
                                             json_schema_extra=schema_docs.POSITIVE_PERCENTAGE),
                              PlainSerializer(collections.percentage_str, return_type=str), Field(
    description="Percent of the overdue invoice's balance, a decimal string above 0 and up to 100 with at most "
                "4 decimals, e.g. '1.5'.")]


class LateFeeIn(RequestModel):
    """A late fee setting as a whole (it replaces what the level had; null inherits instead). Each fee is its own
    invoice linked to the overdue one: percentage % of its balance at that moment, plus fixed_amount."""

    enabled: bool = False
    percentage: LateFeePercentage | None = None
    fixed_amount: Annotated[int, Field(strict=True, ge=0, le=money.MAX_AMOUNT,
                                       description="Minor units of the overdue invoice's currency."),
                            IntegerMinorUnits] | None = None
    after_days: int = Field(30, strict=True, ge=collections.LATE_FEE_AFTER_DAYS_MIN,
                            le=collections.LATE_FEE_AFTER_DAYS_MAX,
                            description="Days after the due date the first fee is charged (0-365).")
    recurrence: Literal[collections.RECURRENCES] = Field(  # type: ignore[valid-type]
        "once", description="once | monthly (another fee each month while unpaid).")
    cap: Annotated[int, Field(strict=True, gt=0, le=money.MAX_AMOUNT,
                              description="The most all late fees of one invoice add up to (minor units); null = "
                                          "no limit."),
                   IntegerMinorUnits] | None = None

    @model_validator(mode="after")
    def _something_to_charge(self):
        if self.enabled and self.percentage is None and not self.fixed_amount:
            raise ValueError("an enabled late fee needs a percentage or a fixed_amount above 0 (or both)")
        return self


DunningScheduleId = Annotated[str, StringConstraints(pattern=collections.DUNNING_SCHEDULE_ID.pattern), Field(
    description="A dunning schedule (/v1/dunning_schedules), e.g. 'dsch_123'; null = inherit (in the end the "
                "organization's default schedule).", examples=["dsch_3f9a"])]


def _phone(value: str) -> str:
    """E.164, checked by libphonenumber: '+1 415-555-0123' → '+14155550123'. A national number (no leading +)
    is refused: which country it belongs to would be a guess."""
    text = value.strip()
    if not text.startswith("+"):
        raise ValueError("phone must be in international format, starting with + and the country code, e.g. "
                         "'+14155550123'")
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"'{value}' is not a phone number ({exc})") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"'{value}' is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# The pattern is documented only (libphonenumber decides), so that a national number gets the clearer message.
Phone = Annotated[str, StringConstraints(max_length=40), AfterValidator(_phone), Field(
    json_schema_extra={"pattern": r"^\s*\+[1-9][0-9 ()./-]{2,35}$"},
    description="E.164 (a leading + and the country code), e.g. '+14155550123'; spaces and dashes are dropped.",
    examples=["+14155550123"])]


# --- the customer portal (issue #11) -----------------------------------------------------------------------------

class PortalIn(RequestModel):
    """What the customer portal lets customers see and do, as a whole (null: the built-in default). Fields left
    out take their defaults: drafts hidden, customers may manage their own AutoPay."""

    show_drafts: bool = Field(False, strict=True, description="List the customer's draft invoices in the portal.")
    customer_autopay: bool = Field(True, strict=True, description="Customers may turn their own AutoPay on or off "
                                                                  "and choose its timing in the portal.")
