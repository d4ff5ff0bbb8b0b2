"""Custom email templates (issue #10): saved, shown, reset and previewed over the real API (Postgres, broker,
SMTP catcher); refused with the part and the line when they do not parse or name an unknown variable; rendered
in Jinja2's sandbox within size and time limits; used when the email is sent (autoescaped in HTML), falling
back to the built-in email when they fail then; scoped to their organization."""

from __future__ import annotations

import logging
import time
import uuid

import pytest

from duely_notifications.composition import Composer, Plan
from duely_notifications.config import Settings
from duely_notifications.custom_templates import sandbox
from duely_notifications.custom_templates.render import choose, custom_reminder_sms
from duely_notifications.custom_templates.variables import names_for_email
from duely_notifications.invoice_pdfs import InvoicePdfs
from duely_notifications.models import EmailTemplate
from tests.notifications.notification_events import invoice_issued, reminder_due, snapshot

NAMES = ["invoice_issued", "invoice_reminder", "invoice_reminder_gentle", "invoice_reminder_firm",
         "invoice_reminder_final", "payment_receipt", "payment_failed", "payment_method_expiring"]
VALID = {"subject": "Invoice {{ invoice_number }} for {{ customer_name }}",
         "html": "<p>Hello {{ customer_name }},</p>\n<p>{{ amount_due }} due {{ due_date }}</p>\n",
         "text": "Hello {{ customer_name }},\n{{ amount_due }} due {{ due_date }}\n"}


def _plain(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def _html(message) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"type", "code", "message", "param"}
    return body["error"]


# -- the sandbox, no service --------------------------------------------------------

@pytest.mark.parametrize("source", [
    "{{ ''.__class__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ customer_name.__init__.__globals__ }}",
    "{{ customer_name.format.__globals__ }}",
])
def test_internals_are_out_of_reach(source):
    with pytest.raises(sandbox.TemplateProblem) as refused:
        sandbox.render(source, {"customer_name": "Ada"}, html=False)
    assert "unsafe" in str(refused.value) and "Line 1" in str(refused.value)


def test_no_globals_but_range_and_no_filters_that_escape():
    with pytest.raises(sandbox.UnknownVariables) as unknown:
        sandbox.check("{{ cycler.__init__.__globals__ }}\n{{ lipsum() }}", {"customer_name"}, html=True)
    assert unknown.value.names == ["cycler", "lipsum"]
    for source in ("{{ customer_name|safe }}", "{{ customer_name|attr('__class__') }}", "{% include 'x' %}",
                   "{% autoescape false %}{{ customer_name }}{% endautoescape %}"):
        with pytest.raises(sandbox.TemplateSyntaxProblem):
            sandbox.check(source, {"customer_name"}, html=True)


BIG_LIST = "{% set a = 'x'|center(250000) %}{% set l = [" + "a," * 2000 + "a] %}"


@pytest.mark.parametrize("source", [
    "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",   # no output, no calls
    "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",  # output
    "{{ 'x' * 1000000000 }}",
    "{{ [1] * 1000000000 }}",
    "{{ 'x'|center(1000000000) }}",
    "{{ '%0999999999d' % 1 }}",
    "{{ '{:999999999}'.format(1) }}",
    "{{ 9 ** (9 ** 9) }}",
    "{% set s = 'xxxxxxxxxxxxxxxx' %}" + "{% set s = s ~ s %}" * 40 + "{{ s }}",
    "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
    # Many references to one big string: nothing may build their text (500 MB) before a check stops it.
    *(BIG_LIST + use for use in ("{{ l }}", "{{ l|join }}", "{{ '%s' % l }}", "{{ l|tojson }}", "{{ '{}'.format(l) }}",
                                 "{{ l|map('upper')|list|length }}")),
    # Buffers (macros, {% set %} and {% filter %} blocks) are joined under the limits too.
    "{% macro m() %}{% for i in range(100000) %}" + "x" * 5000 + "{% endfor %}{% endmacro %}{{ m()|length }}",
    "{% set b %}{% for i in range(100000) %}" + "x" * 5000 + "{% endfor %}{% endset %}{{ b|length }}",
])
def test_huge_loops_and_strings_are_stopped_quickly(source):
    started = time.monotonic()
    with pytest.raises(sandbox.LimitExceeded):
        sandbox.render(source, {}, html=True)
    assert time.monotonic() - started < 1.0


def test_html_is_autoescaped_and_the_other_parts_are_not():
    variables = {"customer_name": "<b>x</b>"}
    assert sandbox.render("Hi {{ customer_name }}", variables, html=True) == "Hi &lt;b&gt;x&lt;/b&gt;"
    assert sandbox.render("Hi {{ customer_name }}", variables, html=False) == "Hi <b>x</b>"


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def test_a_custom_template_failing_at_send_time_falls_back_to_the_built_in_email():
    warnings = Records()
    logging.getLogger("duely_notifications.custom_templates.render").addHandler(warnings)
    invoice = snapshot("org_fallback", number="INV-FB-1")
    slow = EmailTemplate(name="invoice_issued", locale="default", subject="Custom {{ invoice_number }}",
                         html="{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
                         text="custom", sms=None)
    settings = Settings()
    composer = Composer(settings, InvoicePdfs(settings.invoicing_url, settings.internal_secret, max_bytes=1,
                                              timeout_s=1))
    row = {"id": "msg_fb", "organization_id": "org_fallback", "template": "invoice_issued", "facts": {},
           "invoice_id": invoice.id, "to": ["ada@example.test"], "cc": []}
    started = time.monotonic()
    sent = await composer.compose(Plan(row, invoice.model_dump(mode="json"), None, "Acme Cloud", (slow,)))
    assert time.monotonic() - started < 2
    assert sent.subject == "Your invoice INV-FB-1 from Acme Cloud is ready"  # the built-in email
    assert [r.getMessage() for r in warnings.records] == [
        "custom email template failed; the built-in email is sent instead"]
    assert warnings.records[0].part == "html" and "200 ms" in warnings.records[0].error

    works = EmailTemplate(name="invoice_issued", locale="default", subject="Custom {{ invoice_number }}",
                          html="<p>{{ customer_name }}</p>", text="{{ customer_name }}", sms=None)
    sent = await composer.compose(Plan(row, invoice.model_dump(mode="json"), None, "Acme Cloud", (works,)))
    assert (sent.subject, sent.html, sent.text) == ("Custom INV-FB-1", "<p>Ada Lovelace</p>", "Ada Lovelace")


# -- the API -------------------------------------------------------------------------

async def test_save_get_list_and_reset(notifications, invoicing):
    _, api_key = await invoicing.create_org("Template Co")
    async with notifications.client(api_key) as client:
        listed = (await client.get("/v1/email_templates")).json()
        assert [t["name"] for t in listed["data"]] == NAMES
        assert not any(t["customized"] for t in listed["data"])

        starter = (await client.get("/v1/email_templates/invoice_reminder_firm")).json()
        assert starter["customized"] is False and starter["locale"] == "default"
        assert "{{ invoice_number }}" in starter["subject"] and starter["sms"]
        assert {"customer_name", "invoice_number", "amount_due", "due_date", "invoice_url", "pay_now_url",
                "company_name", "days_overdue", "total", "currency", "memo"} <= set(starter["variables"])

        saved = await client.put("/v1/email_templates/invoice_reminder_firm", json={**VALID, "sms": "Pay {{ amount_due }}"},
                                 headers={"Idempotency-Key": f"tpl-{uuid.uuid4()}"})
        assert saved.status_code == 200, saved.text
        assert saved.json()["customized"] is True and saved.json()["sms"] == "Pay {{ amount_due }}"
        german = await client.put("/v1/email_templates/invoice_reminder_firm",
                                  json={**VALID, "locale": "de-DE", "subject": "Rechnung {{ invoice_number }}"})
        assert german.status_code == 200 and german.json()["locale"] == "de_DE", german.text

        got = (await client.get("/v1/email_templates/invoice_reminder_firm")).json()
        assert got["customized"] is True and got["subject"] == VALID["subject"] and got["html"] == VALID["html"]
        assert (await client.get("/v1/email_templates/invoice_reminder_firm",
                                 params={"locale": "de_DE"})).json()["subject"] == "Rechnung {{ invoice_number }}"
        firm = next(t for t in (await client.get("/v1/email_templates")).json()["data"]
                    if t["name"] == "invoice_reminder_firm")
        assert firm["customized"] is True and sorted(firm["locales"]) == ["de_DE", "default"]

        # Saved again: replaced, not duplicated.
        again = await client.put("/v1/email_templates/invoice_reminder_firm", json={**VALID, "text": "Changed"})
        assert again.json()["text"] == "Changed"

        reset = await client.delete("/v1/email_templates/invoice_reminder_firm")
        assert reset.status_code == 200 and reset.json()["deleted"] is True
        after = (await client.get("/v1/email_templates/invoice_reminder_firm")).json()
        assert after["customized"] is False and after["subject"] == starter["subject"]
        assert (await client.get("/v1/email_templates/invoice_reminder_firm",
                                 params={"locale": "de_DE"})).json()["customized"] is True  # its own locale stays

        bad_locale = _error(await client.put("/v1/email_templates/invoice_issued",
                                             json={**VALID, "locale": "xx_YY"}), 400)
        assert bad_locale["param"] == "locale"


async def test_unknown_names_and_bad_input_answer_in_the_one_error_shape(notifications, invoicing):
    _, api_key = await invoicing.create_org("Errors Co")
    async with notifications.client(api_key) as client:
        for response in (await client.get("/v1/email_templates/invoice_paid"),
                         await client.put("/v1/email_templates/invoice_paid", json=VALID),
                         await client.delete("/v1/email_templates/invoice_paid"),
                         await client.post("/v1/email_templates/invoice_paid/preview", json={})):
            error = _error(response, 404)
            assert error["code"] == "resource_missing" and error["param"] == "name"
            assert "invoice_paid" in error["message"]
        missing_part = _error(await client.put("/v1/email_templates/invoice_issued",
                                               json={"subject": "x", "html": "y"}), 400)
        assert missing_part["param"] == "text"
        too_large = _error(await client.put("/v1/email_templates/invoice_issued",
                                            json={**VALID, "html": "x" * (64 * 1024 + 1)}), 400)
        assert too_large["param"] == "html"
    async with notifications.client() as anonymous:
        assert (await anonymous.get("/v1/email_templates")).status_code == 401


async def test_a_syntax_error_is_refused_with_its_line(notifications, invoicing):
    _, api_key = await invoicing.create_org("Syntax Co")
    async with notifications.client(api_key) as client:
        error = _error(await client.put("/v1/email_templates/invoice_issued", json={
            **VALID, "html": "<p>Hello</p>\n<p>{{ customer_name }}</p>\n<p>{{ amount_due }</p>\n"}), 400)
        assert error["param"] == "html" and error["code"] == "template_syntax_error"
        assert error["message"] == "Line 3: unexpected '}'"
        error = _error(await client.put("/v1/email_templates/invoice_issued", json={
            **VALID, "subject": "{% if customer_name %}Hi"}), 400)
        assert error["param"] == "subject" and error["message"].startswith("Line 1: ")
        assert (await client.get("/v1/email_templates/invoice_issued")).json()["customized"] is False


async def test_an_unknown_variable_is_refused_with_its_name_and_line(notifications, invoicing):
    _, api_key = await invoicing.create_org("Variables Co")
    async with notifications.client(api_key) as client:
        error = _error(await client.put("/v1/email_templates/payment_receipt", json={
            **VALID, "text": "Hello {{ customer_name }},\n\nYou owe {{ amount_owed }}.\n{{ cycler.__init__ }}\n"}), 400)
        assert error["param"] == "text" and error["code"] == "template_unknown_variable"
        assert "'amount_owed' (line 3)" in error["message"] and "'cycler' (line 4)" in error["message"]
        # Names set by the template itself are not unknown; a card's variables are not an invoice's.
        ok = await client.put("/v1/email_templates/payment_receipt", json={
            **VALID, "text": "{% set who = customer_name %}{% for c in currency %}{{ c }}{% endfor %} {{ who }}"})
        assert ok.status_code == 200, ok.text
        card = _error(await client.put("/v1/email_templates/payment_method_expiring", json=VALID), 400)
        assert "'invoice_number'" in card["message"] and card["param"] == "subject"


async def test_escapes_and_runaway_templates_are_refused_when_saved(notifications, invoicing):
    _, api_key = await invoicing.create_org("Escape Co")
    async with notifications.client(api_key) as client:
        for html in ("{{ ''.__class__ }}", "{{ customer_name.__class__.__mro__ }}",
                     "{{ cycler.__init__.__globals__ }}"):
            error = _error(await client.put("/v1/email_templates/invoice_issued", json={**VALID, "html": html}), 400)
            assert error["param"] == "html" and ("unsafe" in error["message"] or "cycler" in error["message"])
        started = time.monotonic()
        error = _error(await client.put("/v1/email_templates/invoice_issued", json={
            **VALID, "text": "{% for i in range(100000) %}{% for j in range(100000) %}{{ i }}{% endfor %}{% endfor %}"}),
            400)
        assert error["code"] == "template_limit_exceeded" and error["param"] == "text"
        error = _error(await client.put("/v1/email_templates/invoice_issued", json={
            **VALID, "html": "{{ customer_name * 100000000 }}"}), 400)
        assert error["code"] == "template_limit_exceeded"
        assert time.monotonic() - started < 5
        assert (await client.get("/v1/email_templates/invoice_issued")).json()["customized"] is False


async def test_preview_with_sample_data_a_draft_and_a_real_invoice(notifications, invoicing, publish, wait_for):
    org_id, api_key = await invoicing.create_org("Preview Co")
    number = f"INV-P-{uuid.uuid4().hex[:5].upper()}"
    invoice = snapshot(org_id, number=number)
    async with notifications.client(api_key) as client:
        # Not customized: the built-in email, through the composer that sends it.
        async def named():  # the organization's name arrives with organization.created
            body = (await client.post("/v1/email_templates/invoice_issued/preview", json={})).json()
            return body if "Preview Co" in body["subject"] else None
        sample = await wait_for(named, timeout=30)
        assert sample["customized"] is False and sample["sms"] is None
        assert sample["subject"] == "Your invoice INV-0001 from Preview Co is ready"
        assert "Jane Doe" in sample["text"] and "Professional services" in sample["html"]
        assert sample["variables"]["amount_due"] == "$1,375.00" and sample["variables"]["invoice_number"] == "INV-0001"

        for name in NAMES:  # every built-in email, through the composer, with sample data
            shown = await client.post(f"/v1/email_templates/{name}/preview", json={})
            assert shown.status_code == 200, (name, shown.text)
            assert shown.json()["customized"] is False and shown.json()["subject"] and shown.json()["html"]
            starter = await client.post(f"/v1/email_templates/{name}/preview", json={"text": "{{ customer_name }}"})
            assert starter.json()["customized"] is True and starter.json()["text"] == "Jane Doe", name

        german = (await client.post("/v1/email_templates/invoice_reminder_final/preview",
                                    json={"locale": "de_DE"})).json()
        assert german["variables"]["amount_due"] == "1.375,00\xa0€" and german["variables"]["days_overdue"] == 7

        draft = await client.post("/v1/email_templates/invoice_reminder_firm/preview", json={
            "html": "<p>{{ customer_name }} owes {{ amount_due }}, {{ days_overdue }} days late</p>"},
            headers={"Idempotency-Key": f"preview-{uuid.uuid4()}"})
        assert draft.status_code == 200, draft.text
        assert draft.json()["customized"] is True
        assert draft.json()["html"] == "<p>Jane Doe owes $1,375.00, 7 days late</p>"
        assert draft.json()["sms"]  # the starter's SMS, rendered
        bad_draft = _error(await client.post("/v1/email_templates/invoice_issued/preview",
                                             json={"text": "a\n{{ nope }}"}), 400)
        assert bad_draft["param"] == "text" and "'nope' (line 2)" in bad_draft["message"]

        missing = _error(await client.post("/v1/email_templates/invoice_issued/preview",
                                           json={"invoice_id": "in_nope"}), 404)
        assert missing["param"] == "invoice_id"

        await publish(invoice_issued(invoice))  # the read model notifications previews from

        async def real():
            response = await client.post("/v1/email_templates/invoice_issued/preview", json={"invoice_id": invoice.id})
            return response if response.status_code == 200 else None
        built_in = (await wait_for(real, timeout=30)).json()
        assert built_in["subject"] == f"Your invoice {number} from Acme Cloud is ready"
        assert "Pro plan (March)" in built_in["text"]

        await client.put("/v1/email_templates/invoice_reminder", json=VALID)
        custom = (await client.post("/v1/email_templates/invoice_reminder_gentle/preview",
                                    json={"invoice_id": invoice.id})).json()
        # No gentle one of its own: the organization's invoice_reminder is what a gentle reminder sends.
        assert custom["customized"] is True and custom["template_name"] == "invoice_reminder"
        assert custom["subject"] == f"Invoice {number} for Ada Lovelace"
        assert custom["variables"]["amount_due"] == "$1,623.75" and custom["variables"]["due_date"] == "March 31, 2026"
        assert custom["variables"]["memo"] == "Thank you for your business."
        assert custom["variables"]["pay_now_url"] == f"{invoice.hosted_invoice_url}#pay"


async def test_custom_templates_are_used_when_sent_and_escaped_in_html(notifications, invoicing, publish, wait_for):
    org_id, api_key = await invoicing.create_org("Custom Co")
    number = f"INV-C-{uuid.uuid4().hex[:5].upper()}"
    invoice = snapshot(org_id, number=number, cc=())
    invoice = invoice.model_copy(update={"customer": invoice.customer.model_copy(update={"name": "<b>x</b>"})})
    async with notifications.client(api_key) as client:
        assert (await client.put("/v1/email_templates/invoice_issued", json={
            "subject": "Custom {{ invoice_number }} for {{ customer_name }}",
            "html": "<p>Dear {{ customer_name }}, pay {{ amount_due }} at <a href=\"{{ pay_now_url }}\">here</a></p>",
            "text": "Dear {{ customer_name }}, pay {{ amount_due }} by {{ due_date }}."})).status_code == 200
        assert (await client.put("/v1/email_templates/invoice_reminder_firm", json={
            "subject": "FIRM {{ invoice_number }}: {{ days_overdue }} days", "html": "<p>{{ customer_name }}</p>",
            "text": "Firm: {{ amount_due }}"})).status_code == 200

        await publish(invoice_issued(invoice))

        async def issued_mail():
            return notifications.catcher.messages(subject=f"Custom {number}") or None
        mail = (await wait_for(issued_mail, timeout=30))[0]
        assert mail["Subject"] == f"Custom {number} for <b>x</b>"
        assert "<p>Dear &lt;b&gt;x&lt;/b&gt;, pay $1,623.75" in _html(mail) and "<b>x</b>" not in _html(mail)
        assert _plain(mail).strip() == "Dear <b>x</b>, pay $1,623.75 by March 31, 2026."

        # Dunning's reminder in tone firm: the organization's invoice_reminder_firm.
        await publish(reminder_due(invoice, tone="firm", template="invoice_reminder_firm"))

        async def reminder_mail():
            return notifications.catcher.messages(subject=f"FIRM {number}") or None
        reminder = (await wait_for(reminder_mail, timeout=30))[0]
        # Overdue as of the day dunning fired it (7 days after the due date), whatever the host's date.
        assert reminder["Subject"] == f"FIRM {number}: 7 days" and _plain(reminder).strip() == "Firm: $1,623.75"
        assert _html(reminder).strip() == "<p>&lt;b&gt;x&lt;/b&gt;</p>"

        async def logged():
            rows = (await client.get("/v1/messages", params={"invoice_id": invoice.id})).json()["data"]
            return rows if len(rows) == 2 and all(r["status"] == "sent" for r in rows) else None
        log = await wait_for(logged, timeout=30)
    for entry in log:
        assert entry["channel"] == "email" and entry["recipients"] == ["ada@example.test"]
        assert entry["attempts"] == 1 and entry["last_error"] is None
        assert entry["provider_response"] and entry["provider_response"].startswith("250")
    assert {entry["template"] for entry in log} == {"invoice_issued", "invoice_reminder_firm"}


async def test_templates_are_scoped_to_their_organization(notifications, invoicing):
    _, owner_key = await invoicing.create_org("Owner Templates")
    _, other_key = await invoicing.create_org("Other Templates")
    async with notifications.client(owner_key) as owner, notifications.client(other_key) as other:
        assert (await owner.put("/v1/email_templates/payment_failed", json={
            **VALID, "text": "Secret wording {{ failure_reason }}"})).status_code == 200
        seen = (await other.get("/v1/email_templates/payment_failed")).json()
        assert seen["customized"] is False and "Secret" not in seen["text"]
        assert not any(t["customized"] for t in (await other.get("/v1/email_templates")).json()["data"])
        preview = (await other.post("/v1/email_templates/payment_failed/preview", json={})).json()
        assert preview["customized"] is False and "Secret" not in preview["text"]
        assert (await other.delete("/v1/email_templates/payment_failed")).json()["deleted"] is False
        assert (await owner.get("/v1/email_templates/payment_failed")).json()["text"].startswith("Secret wording")


def test_which_custom_template_an_email_uses():
    assert names_for_email("invoice_reminder", {"tone": "firm"}) == ("invoice_reminder_firm", "invoice_reminder")
    assert names_for_email("invoice_reminder", {"tone": "final", "template": "invoice_reminder_final"}) == (
        "invoice_reminder_final", "invoice_reminder")
    assert names_for_email("invoice_reminder", {"tone": "gentle", "template": "invoice_reminder"}) == (
        "invoice_reminder",)
    assert names_for_email("invoice_issued", {}) == ("invoice_issued",)
    assert names_for_email("payment_refunded", {}) == ()  # not customizable

    def saved(name: str, locale: str) -> EmailTemplate:
        return EmailTemplate(name=name, locale=locale, subject=f"{name} {locale}", html="", text="", sms=None)
    firm_de, firm_any, any_reminder = (saved("invoice_reminder_firm", "de_DE"), saved("invoice_reminder_firm", "default"),
                                       saved("invoice_reminder", "default"))
    names = ("invoice_reminder_firm", "invoice_reminder")
    assert choose([any_reminder, firm_any, firm_de], names, "de_DE") is firm_de
    assert choose([any_reminder, firm_any, firm_de], names, "de-DE") is firm_de
    assert choose([any_reminder, firm_any, firm_de], names, "fr_FR") is firm_any
    assert choose([any_reminder, firm_de], names, "fr_FR") is any_reminder
    german = saved("invoice_reminder", "de")
    assert choose([any_reminder, german], names, "de_AT") is german  # the language when no exact locale
    assert choose([], names, "de_DE") is None


async def test_the_customers_locale_chooses_the_template_and_formats_its_variables():
    invoice = snapshot("org_locale", number="INV-DE-1").model_copy(update={"locale": "de_DE"})
    settings = Settings()
    composer = Composer(settings, InvoicePdfs(settings.invoicing_url, settings.internal_secret, max_bytes=1,
                                              timeout_s=1))
    row = {"id": "msg_de", "organization_id": "org_locale", "template": "invoice_reminder",
           "facts": {"tone": "firm"}, "invoice_id": invoice.id, "to": ["ada@example.test"], "cc": []}
    templates = (EmailTemplate(name="invoice_reminder", locale="de_DE", subject="Mahnung {{ invoice_number }}",
                               html="<p>{{ amount_due }}</p>", text="Fällig am {{ due_date }}: {{ amount_due }}",
                               sms=None),
                 EmailTemplate(name="invoice_reminder", locale="default", subject="Reminder {{ invoice_number }}",
                               html="<p>{{ amount_due }}</p>", text="{{ amount_due }}", sms=None))
    sent = await composer.compose(Plan(row, invoice.model_dump(mode="json"), None, "Acme Cloud", templates))
    assert sent.subject == "Mahnung INV-DE-1"
    assert sent.text == "Fällig am 31. März 2026: 1.623,75\xa0$"
    english = await composer.compose(Plan(row, invoice.model_copy(update={"locale": "en_US"}).model_dump(mode="json"),
                                          None, "Acme Cloud", templates))
    assert (english.subject, english.text) == ("Reminder INV-DE-1", "$1,623.75")


async def test_a_reminders_sms_text_comes_from_the_custom_template(notifications, invoicing):
    org_id, api_key = await invoicing.create_org("SMS Text Co")
    variables = {"customer_name": "Ada", "invoice_number": "INV-9", "amount_due": "$10.00", "pay_now_url": "https://x/p",
                 "company_name": "SMS Text Co"}
    db = notifications.app.state.runtime.db
    async with db.transaction() as session:
        assert await custom_reminder_sms(session, org_id, {"tone": "firm"}, "en_US", lambda: variables) is None
    async with notifications.client(api_key) as client:
        assert (await client.put("/v1/email_templates/invoice_reminder", json={
            **VALID, "sms": "{{ company_name }}: {{ invoice_number }},\n{{ amount_due }} due. {{ pay_now_url }}"})
                ).status_code == 200
        assert (await client.put("/v1/email_templates/invoice_reminder_final", json=VALID)).status_code == 200
    async with db.transaction() as session:
        # The final one has no SMS part: the organization's invoice_reminder SMS is used.
        for reminder in ({"tone": "firm"}, {"template": "invoice_reminder_final", "tone": "final"}):
            assert await custom_reminder_sms(session, org_id, reminder, "de_DE", lambda: variables) == (
                "SMS Text Co: INV-9, $10.00 due. https://x/p")
        assert await custom_reminder_sms(session, "org_someone_else", {"tone": "firm"}, None, lambda: variables) is None


async def test_a_reminder_sms_says_what_the_organizations_template_says(notifications, invoicing, publish, wait_for):
    org_id, api_key = await invoicing.create_org("Own Words Co")
    number, phone = f"INV-S-{uuid.uuid4().hex[:5].upper()}", f"+1415{uuid.uuid4().int % 10_000_000:07d}"
    invoice = snapshot(org_id, number=number, phone=phone, sms_opt_in=True).model_copy(update={"locale": "de_DE"})
    async with notifications.client(api_key) as client:
        assert (await client.put("/v1/email_templates/invoice_reminder", json={
            **VALID, "sms": "{{ company_name }}: {{ invoice_number }}\n{{ amount_due }} offen. {{ pay_now_url }}"})
                ).status_code == 200
    await publish(invoice_issued(invoice))
    await publish(reminder_due(invoice, channel="sms", tone="final", template="invoice_reminder_final"))

    async def texted():
        return notifications.sms.messages(to=phone) or None
    [text] = await wait_for(texted, timeout=30)
    # German amounts, one line, plain spaces (GSM-7): the built-in words are not used.
    assert text["body"] == f"Acme Cloud: {number} 1.623,75 $ offen. {invoice.hosted_invoice_url}#pay"
    assert text["encoding"] == "GSM-7"
