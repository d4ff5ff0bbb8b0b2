"""The customer portal's pure rules: link and session states, the rate limit, the last-method rule, order."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from duely_portal.domain import portal_rules as rules

NOW = datetime(2026, 12, 10, 12, 0, tzinfo=timezone.utc)


def test_a_link_is_good_once_and_until_it_expires():
    hour = NOW + timedelta(hours=1)
    assert rules.link_state(expires_at=hour, redeemed_at=None, revoked_at=None, now=NOW) == "valid"
    assert rules.link_state(expires_at=hour, redeemed_at=NOW, revoked_at=None, now=NOW) == "used"
    assert rules.link_state(expires_at=NOW, redeemed_at=None, revoked_at=None, now=NOW) == "expired"
    assert rules.link_state(expires_at=hour, redeemed_at=None, revoked_at=NOW, now=NOW) == "revoked"


def test_a_session_ends_when_idle_at_its_end_or_revoked():
    idle = timedelta(hours=12)
    end = NOW + timedelta(hours=1)
    assert rules.session_alive(last_seen_at=NOW - timedelta(hours=11), expires_at=end, revoked_at=None, now=NOW,
                               idle=idle)
    assert not rules.session_alive(last_seen_at=NOW - timedelta(hours=12), expires_at=end, revoked_at=None, now=NOW,
                                   idle=idle)
    assert not rules.session_alive(last_seen_at=NOW, expires_at=NOW, revoked_at=None, now=NOW, idle=idle)
    assert not rules.session_alive(last_seen_at=NOW, expires_at=end, revoked_at=NOW, now=NOW, idle=idle)


def test_new_links_are_limited_per_customer_and_per_address():
    limits = rules.Limits(per_customer=3, per_address=10)
    assert rules.may_send_link(2, 9, limits)
    assert not rules.may_send_link(3, 0, limits)
    assert not rules.may_send_link(0, 10, limits)


def test_the_last_usable_method_stays_while_autopay_is_on():
    card = {"id": "pm_1", "status": "active"}
    expired = {"id": "pm_2", "status": "expired"}
    assert rules.removal_refusal([card, expired], "pm_1", True) == "last_method_autopay"
    assert rules.removal_refusal([card, expired], "pm_1", False) is None
    assert rules.removal_refusal([card, {"id": "pm_3", "status": "active"}], "pm_1", True) is None
    assert rules.removal_refusal([card, expired], "pm_2", True) is None  # an expired card can always go


def test_open_invoices_come_first_oldest_due_first():
    rows = [("paid", date(2026, 1, 1), "A-1"), ("issued", date(2026, 3, 1), "A-3"),
            ("past_due", date(2026, 2, 1), "A-2"), ("void", date(2026, 4, 1), "A-4")]
    ordered = sorted(rows, key=lambda r: rules.invoice_order(*r))
    assert [r[2] for r in ordered] == ["A-2", "A-3", "A-4", "A-1"]


def test_secrets_are_kept_hashed_and_forms_bound_to_their_subject():
    secret = rules.new_secret()
    assert len(secret) >= 43 and rules.hash_secret(secret) != secret and len(rules.hash_secret(secret)) == 64
    assert rules.form_token("s", "new_link", "a") != rules.form_token("s", "new_link", "b")
    assert rules.form_token("s", "access", "a") != rules.form_token("s", "new_link", "a")
    assert not rules.same_secret("", "x") and not rules.same_secret(None, "x") and rules.same_secret("x", "x")


def test_masked_email_and_return_urls():
    assert rules.masked_email("compta@client.example") == "c•••a@client.example"
    assert rules.masked_email("ab@x.example") == "a•••@x.example"
    assert rules.safe_return_url("https://acme.example/account") and rules.safe_return_url(None)
    assert not rules.safe_return_url("javascript:alert(1)") and not rules.safe_return_url("//evil.example")
