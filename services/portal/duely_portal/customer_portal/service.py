"""The customer portal's use cases: guard clauses, then one transaction. No transaction is held while invoicing
or payments answers.

A portal session starts as a single-use magic link (made by the merchant through the API, or asked for by
the customer from an expired link or the hosted invoice page, then emailed); opening the link turns it into
a browser session (a cookie, kept only as its hash, with a CSRF token for every form).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from duely_contracts.models import InvoiceSnapshot
from duely_runtime.db import Database
from duely_runtime.errors import invalid, not_found
from duely_runtime.kit.clock import utcnow
from duely_runtime.kit.ids import new_id
from duely_runtime.outbox import Outbox
from duely_portal.config import Settings
from duely_portal.customer_portal import repository
from duely_portal.customer_portal.upstream import Answer, PortalUpstream
from duely_portal.domain import portal_rules as rules
from duely_portal.domain.presentation import PAYMENT_METHOD_CHOICES, SAVE_CARD_CHOICES
from duely_portal.models import PortalSession

log = logging.getLogger(__name__)
LOGIN_PATH = "/portal/login/"
FORM_KEY = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
MAX_INVOICES_PER_PAYMENT = 50  # payments' limit for one charge


@dataclass(frozen=True)
class Viewer:
    """The signed-in customer: everything a page shows is of this customer of this organization."""

    session_id: str
    organization_id: str
    customer_id: str
    csrf_token: str
    return_url: str | None = None


@dataclass(frozen=True)
class NewLink:
    session: PortalSession
    url: str
    emailed: bool


# -- links and sessions ------------------------------------------------------------------------------

async def create_link(db: Database, outbox: Outbox, upstream: PortalUpstream, settings: Settings,
                      organization_id: str, customer_id: str, *, email: bool, return_url: str | None,
                      requested_by: str = "merchant", context: dict | None = None) -> NewLink:
    """A single-use sign-in link for the customer; emailed to them (portal.link_requested) when asked."""
    if not rules.safe_return_url(return_url):
        raise invalid("return_url", "return_url must be an http(s) URL of at most 2000 characters.")
    context = context or await upstream.portal_context(organization_id, customer_id)
    if context is None:
        raise not_found("customer", customer_id)
    customer = context["customer"]
    if email and not customer.get("email"):
        raise invalid("email", "The customer has no email address to send the link to.")
    now = utcnow()
    token = rules.new_secret()
    row = PortalSession(id=new_id("ps"), organization_id=organization_id, customer_id=customer_id,
                        link_hash=rules.hash_secret(token),
                        link_expires_at=now + timedelta(seconds=settings.magic_link_ttl_s),
                        requested_by=requested_by, return_url=return_url or None, created_at=now)
    url = f"{settings.public_base_url.rstrip('/')}{LOGIN_PATH}{token}"
    async with db.transaction() as session:
        await repository.add_session(session, row)
        if email:
            await _emit_link_requested(outbox, session, row, url, context)
    return NewLink(row, url, email)


async def _emit_link_requested(outbox: Outbox, session, row: PortalSession, url: str, context: dict) -> None:
    from duely_contracts.events import PortalLinkRequested
    customer, organization = context["customer"], context.get("organization") or {}
    await outbox.emit(session, "portal.link_requested", PortalLinkRequested(
        customer_id=row.customer_id, email=customer["email"], customer_name=customer.get("name") or "",
        locale=customer.get("locale") or organization.get("locale"), url=url, expires_at=row.link_expires_at,
        requested_by=row.requested_by, organization_name=organization.get("name") or "",
        logo_url=organization.get("logo_url"), accent_color=organization.get("accent_color"),
    # One aggregate per customer (its links); any increasing version will do: the moment, in milliseconds.
    ), organization_id=row.organization_id, aggregate_id=row.customer_id,
        aggregate_version=int(row.created_at.timestamp() * 1000))


@dataclass(frozen=True)
class Opened:
    state: str  # valid (a session was opened) | used | expired | revoked | unknown
    row: PortalSession | None = None
    cookie: str | None = None


async def open_link(db: Database, outbox: Outbox, settings: Settings, token: str) -> Opened:
    """The magic link opens a session, once; portal.session_created is published with it."""
    if not token or len(token) > 128:
        return Opened("unknown")
    now = utcnow()
    async with db.transaction() as session:
        row = await repository.session_by_link(session, rules.hash_secret(token))
        if row is None:
            return Opened("unknown")
        state = rules.link_state(expires_at=row.link_expires_at, redeemed_at=row.redeemed_at,
                                 revoked_at=row.revoked_at, now=now)
        if state != "valid":
            return Opened(state, row)
        cookie = rules.new_secret()
        expires_at = now + timedelta(seconds=settings.session_max_s)
        if not await repository.redeem(session, row.id, cookie_hash=rules.hash_secret(cookie),
                                       csrf_token=rules.new_secret(), now=now, expires_at=expires_at):
            return Opened("used", row)  # another browser opened it just now
        from duely_contracts.events import PortalSessionCreated
        await outbox.emit(session, "portal.session_created", PortalSessionCreated(
            session_id=row.id, customer_id=row.customer_id, created_at=now, expires_at=expires_at),
            organization_id=row.organization_id, aggregate_id=row.id, aggregate_version=1)
        return Opened("valid", row, cookie)


async def viewer_of(db: Database, settings: Settings, cookie: str | None) -> Viewer | None:
    """The customer behind the session cookie while the session lives (and it lives on while used)."""
    if not cookie or len(cookie) > 128:
        return None
    now = utcnow()
    async with db.transaction() as session:
        row = await repository.session_by_cookie(session, rules.hash_secret(cookie))
        if row is None or not rules.session_alive(last_seen_at=row.last_seen_at, expires_at=row.expires_at,
                                                  revoked_at=row.revoked_at, now=now,
                                                  idle=timedelta(seconds=settings.session_idle_s)):
            return None
        if now - row.last_seen_at > timedelta(seconds=60):  # one write a minute at most
            await repository.touch(session, row.id, now)
        return Viewer(row.id, row.organization_id, row.customer_id, row.csrf_token, row.return_url)


async def sign_out(db: Database, viewer: Viewer) -> None:
    async with db.transaction() as session:
        await repository.revoke(session, viewer.session_id, utcnow())


async def revoke_session(db: Database, organization_id: str, customer_id: str, session_id: str) -> PortalSession:
    """The merchant ends a session (or voids a link not used yet)."""
    async with db.transaction() as session:
        row = await repository.get_session(session, organization_id, customer_id, session_id)
        if row is None:
            raise not_found("portal_session", session_id)
        await repository.revoke(session, row.id, utcnow())
        await session.refresh(row)
        return row


async def request_new_link(db: Database, outbox: Outbox, upstream: PortalUpstream, settings: Settings,
                           organization_id: str, customer_id: str, ip_address: str) -> str:
    """The customer asks for a sign-in link by email: sent | rate_limited | no_email | unknown."""
    context = await upstream.portal_context(organization_id, customer_id)
    if context is None:
        return "unknown"
    if not context["customer"].get("email"):
        return "no_email"
    now = utcnow()
    limits = rules.Limits(settings.link_requests_per_customer_per_hour, settings.link_requests_per_ip_per_hour)
    async with db.transaction() as session:
        by_customer, by_address = await repository.link_requests_since(
            session, organization_id, customer_id, ip_address[:64], now - timedelta(hours=1))
        if not rules.may_send_link(by_customer, by_address, limits):
            log.info("portal link request rate limited", extra={"customer_id": customer_id})
            return "rate_limited"
        await repository.add_link_request(session, organization_id=organization_id, customer_id=customer_id,
                                          ip_address=ip_address[:64], requested_at=now)
    await create_link(db, outbox, upstream, settings, organization_id, customer_id, email=True, return_url=None,
                      requested_by="customer", context=context)
    return "sent"


# -- what the pages show ------------------------------------------------------------------------------

async def invoices_of(db: Database, upstream: PortalUpstream, viewer: Viewer,
                      show_drafts: bool) -> list[InvoiceSnapshot]:
    async with db.transaction() as session:
        rows = await repository.customer_invoices(session, viewer.organization_id, viewer.customer_id)
    snapshots = [InvoiceSnapshot.model_validate_json(row.snapshot) for row in rows]
    snapshots = [s for s in snapshots if s.status in rules.SHOWN_STATUSES]
    if show_drafts:
        snapshots += await upstream.draft_invoices(viewer.organization_id, viewer.customer_id)
    return sorted(snapshots, key=lambda s: rules.invoice_order(s.status, s.due_date, s.number))


async def invoice_of(db: Database, viewer: Viewer, invoice_id: str):
    """The customer's invoice in the read model, or None (another customer's, another organization's, unknown)."""
    if not rules.plausible_id(invoice_id):
        return None
    async with db.transaction() as session:
        return await repository.customer_invoice(session, viewer.organization_id, viewer.customer_id, invoice_id)


async def history_of(db: Database, viewer: Viewer):
    async with db.transaction() as session:
        payments = await repository.customer_payments(session, viewer.organization_id, viewer.customer_id)
        refunds = await repository.customer_refunds(session, viewer.organization_id, viewer.customer_id)
    return payments, refunds


# -- paying -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PayOutcome:
    status: str  # succeeded | processing | failed
    failure_code: str | None = None
    invoice_ids: tuple[str, ...] = ()
    group_id: str | None = None


async def pay(db: Database, upstream: PortalUpstream, viewer: Viewer, invoice_ids: list[str], choice: str,
              form_key: str) -> PayOutcome | None:
    """One charge for the chosen open invoices. None when an id is not one of this customer's invoices."""
    invoice_ids = list(dict.fromkeys(i for i in invoice_ids if i))
    if not FORM_KEY.match(form_key or ""):
        return PayOutcome("failed", "form_invalid")
    if not invoice_ids:
        return PayOutcome("failed", "nothing_selected")
    if len(invoice_ids) > MAX_INVOICES_PER_PAYMENT:
        return PayOutcome("failed", "too_many_invoices")
    rows = [await invoice_of(db, viewer, invoice_id) for invoice_id in invoice_ids]
    if any(row is None for row in rows):
        return None
    if not all(rules.is_open(row.status, row.amount_due) for row in rows):
        return PayOutcome("failed", "invoice_not_payable", tuple(invoice_ids))
    method = await _payment_method_for(upstream, viewer, choice)
    if method is False:
        return PayOutcome("failed", "payment_method_invalid", tuple(invoice_ids))
    answer = await upstream.pay_invoices(viewer.organization_id, viewer.customer_id, invoice_ids, method,
                                         idempotency_key=f"portal-pay-{viewer.customer_id}-{form_key}")
    return _pay_outcome(answer, tuple(invoice_ids))


async def _payment_method_for(upstream: PortalUpstream, viewer: Viewer, choice: str) -> str | None | bool:
    """None: the default saved method; a saved method of this customer; a sandbox test card; else False."""
    if choice in ("", "default"):
        return None
    if any(value == choice for value, _ in PAYMENT_METHOD_CHOICES):
        return choice
    saved = await upstream.payment_methods(viewer.organization_id, viewer.customer_id)
    return choice if any(m["id"] == choice and m.get("status") == "active" for m in saved) else False


def _pay_outcome(answer: Answer, invoice_ids: tuple[str, ...]) -> PayOutcome:
    body = answer.body
    if answer.ok:
        status = body.get("status")
        if status in ("succeeded", "processing"):
            return PayOutcome(status, None, invoice_ids, body.get("id"))
        return PayOutcome("failed", body.get("failure_reason") or body.get("failure_code") or "payment_failed",
                          invoice_ids, body.get("id"))
    code = answer.error_code or "payment_failed"
    if code == "idempotency_key_in_use":
        code = "payment_in_progress"
    if code == "resource_missing":
        code = "invoice_not_payable"
    return PayOutcome("failed", code, invoice_ids)


# -- payment methods and AutoPay -----------------------------------------------------------------------

async def add_card(upstream: PortalUpstream, viewer: Viewer, choice: str, form_key: str) -> tuple[dict | None, str | None]:
    """Save a card (the sandbox's test choices) as the customer's default: (method, None) or (None, code)."""
    if not any(value == choice for value, _ in SAVE_CARD_CHOICES) or not FORM_KEY.match(form_key or ""):
        return None, "form_invalid"
    answer = await upstream.save_payment_method(viewer.organization_id, viewer.customer_id, choice,
                                                set_default=True,
                                                idempotency_key=f"portal-pm-{viewer.customer_id}-{form_key}")
    return _saved(answer)


async def add_bank_account(upstream: PortalUpstream, viewer: Viewer, payment_method: str, form_key: str, *,
                           mandate_accepted: bool, mandate_text: str, ip_address: str,
                           user_agent: str) -> tuple[dict | None, str | None]:
    """A bank account the page's script created at the gateway (only its pm_ id comes here), saved under the
    mandate the customer accepted on the page."""
    if not mandate_accepted:
        return None, "mandate_not_accepted"
    if not re.match(r"^pm_[A-Za-z0-9]{6,64}$", payment_method or "") or not FORM_KEY.match(form_key or ""):
        return None, "form_invalid"
    answer = await upstream.save_payment_method(
        viewer.organization_id, viewer.customer_id, payment_method, set_default=True,
        idempotency_key=f"portal-pm-{viewer.customer_id}-{form_key}",
        mandate={"accepted_at": int(utcnow().timestamp()), "ip_address": ip_address[:64] or "0.0.0.0",
                 "user_agent": (user_agent or "unknown")[:500]}, authorization_text=mandate_text)
    return _saved(answer)


def _saved(answer: Answer) -> tuple[dict | None, str | None]:
    if answer.ok:
        return answer.body, None
    if answer.status == 402:
        return None, answer.error_code or "card_declined"
    return None, answer.error_code if answer.error_code == "payment_method_invalid" else "form_invalid"


async def make_default(upstream: PortalUpstream, viewer: Viewer, method_id: str) -> str | None:
    """None when done, else a code; 'not_found' for a method that is not this customer's."""
    saved = await upstream.payment_methods(viewer.organization_id, viewer.customer_id)
    if not any(m["id"] == method_id for m in saved):
        return "not_found"
    answer = await upstream.make_default(viewer.organization_id, viewer.customer_id, method_id)
    return None if answer.ok else ("not_found" if answer.status == 404 else answer.error_code or "form_invalid")


async def remove_method(upstream: PortalUpstream, viewer: Viewer, method_id: str,
                        context: dict) -> tuple[str | None, dict | None]:
    """(None, the method removed) or (a code the page words, the method when it is the customer's)."""
    saved = await upstream.payment_methods(viewer.organization_id, viewer.customer_id)
    method = next((m for m in saved if m["id"] == method_id), None)
    if method is None:
        return "not_found", None
    refusal = rules.removal_refusal(saved, method_id, bool((context.get("autopay") or {}).get("enabled")))
    if refusal:
        return refusal, method
    answer = await upstream.remove_payment_method(viewer.organization_id, viewer.customer_id, method_id)
    if answer.ok:
        return None, method
    return ("not_found" if answer.status == 404 else answer.error_code or "form_invalid"), method


TIMINGS = ("on_issue", "on_due_date", "days_before_due")


async def set_autopay(upstream: PortalUpstream, viewer: Viewer, context: dict, *, enabled: bool, timing: str,
                      days_before_due: str) -> str | None:
    """None when saved, else a code the page words."""
    if not (context.get("portal") or {}).get("customer_autopay", True):
        return "autopay_not_customer_managed"
    if timing not in TIMINGS:
        return "form_invalid"
    body: dict = {"enabled": enabled, "timing": timing}
    if timing == "days_before_due":
        if not days_before_due.isdigit() or not 1 <= int(days_before_due) <= 60:
            return "days_before_due_invalid"
        body["days_before_due"] = int(days_before_due)
    if enabled:
        saved = await upstream.payment_methods(viewer.organization_id, viewer.customer_id)
        if not any(m.get("status") == "active" for m in saved):
            return "autopay_needs_method"
    answer = await upstream.set_autopay(viewer.organization_id, viewer.customer_id, body)
    if answer.ok:
        return None
    if answer.error_code == "autopay_not_customer_managed":
        return "autopay_not_customer_managed"
    return "days_before_due_invalid" if (answer.body.get("error") or {}).get("param", "").endswith("days_before_due") \
        else "form_invalid"


def expired(at: datetime | None) -> bool:
    return at is not None and at <= utcnow()


async def receipt_of(db: Database, viewer: Viewer, payment_id: str):
    """The receipt of one of the customer's payments (as notifications emails it): the invoice as of that
    payment, what was paid, how. None when it is not this customer's."""
    from duely_presentation.receipt import PaymentFacts, build_receipt
    if not rules.plausible_id(payment_id):
        return None
    async with db.transaction() as session:
        found = await repository.customer_payment(session, viewer.organization_id, viewer.customer_id, payment_id)
        if found is None:
            return None
        entry, invoice = found
        earlier = await repository.invoice_payments(session, viewer.organization_id, invoice.id)
    snapshot = InvoiceSnapshot.model_validate_json(invoice.snapshot)
    paid_then = 0
    for payment in earlier:  # the invoice's balance right after this payment
        paid_then += payment.amount
        if payment.payment_id == payment_id:
            break
    at_payment = snapshot.model_copy(update={"amount_paid": min(paid_then, snapshot.total),
                                             "amount_due": max(snapshot.total - paid_then, 0)})
    return build_receipt(at_payment, PaymentFacts(
        payment_id=payment_id, amount=entry.amount, currency=entry.currency, paid_at=entry.occurred_at,
        method_type=entry.method_type or "card", brand=entry.card_brand, last4=entry.card_last4,
        reference=entry.reference))
