"""`make run` uses the settings the user exported over its own embedded defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from duely_devstack.platform import Platform, PlatformConfig
from duely_devstack.run import banner

LAUNCHER_SET = ("SMTP_HOST", "SMTP_PORT", "DUELY_KAFKA_BOOTSTRAP_SERVERS", "DUELY_PAYMENTS_STRIPE_API_BASE",
                "DUELY_STRIPE_API_BASE", "DUELY_PUBLIC_BASE_URL", "DUELY_VAR_DIR", "DUELY_NOTIFICATIONS_SMTP_HOST",
                "DUELY_NOTIFICATIONS_SMTP_PORT", "DUELY_GATEWAY_HTTP_PORT", "DUELY_INVOICING_HTTP_PORT",
                "DUELY_PAYMENTS_STRIPE_WEBHOOK_SECRET", "DUELY_PAYMENTS_HTTP_PORT",
                "DUELY_PORTAL_STRIPE_PUBLIC_API_BASE", "DUELY_NOTIFICATIONS_SMS_PROVIDER",
                "DUELY_NOTIFICATIONS_TWILIO_BASE_URL", "DUELY_NOTIFICATIONS_TWILIO_ACCOUNT_SID",
                "DUELY_NOTIFICATIONS_TWILIO_AUTH_TOKEN", "DUELY_NOTIFICATIONS_TWILIO_FROM", "TWILIO_ACCOUNT_SID",
                "TWILIO_AUTH_TOKEN", "TWILIO_BASE_URL", "TWILIO_FROM")


@pytest.fixture
def clean_env(monkeypatch):
    for name in LAUNCHER_SET:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_the_embedded_defaults_when_the_user_sets_nothing(clean_env, tmp_path):
    import os
    config = PlatformConfig.from_environment(os.environ, tmp_path)
    env = Platform(config).env()
    assert (config.start_broker, config.start_smtp, config.start_sandbox) == (True, True, True)
    assert (env["SMTP_HOST"], env["SMTP_PORT"]) == ("127.0.0.1", "1025")
    assert env["DUELY_PAYMENTS_STRIPE_API_BASE"] == "http://127.0.0.1:8420"
    # The hosted page's bank-debit script creates methods at the same sandbox, whatever its port.
    assert env["DUELY_PORTAL_STRIPE_PUBLIC_API_BASE"] == "http://127.0.0.1:8420"
    moved = Platform(PlatformConfig(var_dir=tmp_path, stripe_port=24777)).env()
    assert moved["DUELY_PORTAL_STRIPE_PUBLIC_API_BASE"] == "http://127.0.0.1:24777"


def test_the_users_smtp_relay_broker_gateway_and_ports_win(clean_env, tmp_path):
    import os
    clean_env.setenv("SMTP_HOST", "relay.example.com")
    clean_env.setenv("SMTP_PORT", "2525")
    clean_env.setenv("DUELY_KAFKA_BOOTSTRAP_SERVERS", "kafka.internal:9092")
    clean_env.setenv("DUELY_PAYMENTS_STRIPE_API_BASE", "")
    clean_env.setenv("DUELY_PUBLIC_BASE_URL", "https://billing.example.com")
    clean_env.setenv("DUELY_INVOICING_HTTP_PORT", "18001")
    clean_env.setenv("DUELY_VAR_DIR", str(tmp_path / "state"))
    config = PlatformConfig.from_environment(os.environ, Path("var"))
    platform = Platform(config)
    env = platform.env()
    assert (config.start_broker, config.start_smtp, config.start_sandbox) == (False, False, False)
    assert (env["SMTP_HOST"], env["SMTP_PORT"]) == ("relay.example.com", "2525")
    assert env["DUELY_KAFKA_BOOTSTRAP_SERVERS"] == "kafka.internal:9092"
    assert env["DUELY_PAYMENTS_STRIPE_API_BASE"] == ""
    assert "DUELY_PORTAL_STRIPE_PUBLIC_API_BASE" not in env  # no sandbox: the portal's own default (Stripe)
    assert env["DUELY_PUBLIC_BASE_URL"] == "https://billing.example.com"
    assert env["DUELY_INVOICING_HTTP_PORT"] == "18001" and env["DUELY_INVOICING_URL"] == "http://127.0.0.1:18001"
    assert config.var_dir == (tmp_path / "state").resolve()
    text = banner(config, {"name": "Demo", "organization_id": "org_1", "api_key": "sk_test_x"}, env)
    assert "your SMTP relay relay.example.com:2525" in text and "kafka.internal:9092 (yours)" in text


def test_without_its_catcher_and_sandbox_the_launcher_starts_neither(clean_env, tmp_path):
    import os
    clean_env.setenv("SMTP_HOST", "127.0.0.1")
    clean_env.setenv("SMTP_PORT", "1")
    clean_env.setenv("DUELY_PAYMENTS_STRIPE_API_BASE", "https://api.stripe.com")
    clean_env.setenv("DUELY_KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:1")
    clean_env.setenv("DUELY_NOTIFICATIONS_SMS_PROVIDER", "none")
    platform = Platform(PlatformConfig.from_environment(os.environ, tmp_path))
    try:
        platform.start_infrastructure()
        assert platform.procs == {}
    finally:
        platform.stop()


def test_tests_keep_their_own_ports_whatever_the_environment(clean_env, tmp_path):
    clean_env.setenv("SMTP_PORT", "2525")
    env = Platform(PlatformConfig(var_dir=tmp_path, smtp_port=41025)).env()
    assert env["SMTP_PORT"] == "41025"


def test_a_prefixed_spelling_of_the_users_relay_wins_too(clean_env, tmp_path):
    import os
    clean_env.setenv("DUELY_NOTIFICATIONS_SMTP_HOST", "relay.example.com")
    clean_env.setenv("DUELY_STRIPE_API_BASE", "https://api.stripe.com")
    config = PlatformConfig.from_environment(os.environ, tmp_path)
    env = Platform(config).env()
    assert not config.start_smtp and not config.start_sandbox
    assert "SMTP_HOST" not in env and "DUELY_PAYMENTS_STRIPE_API_BASE" not in env  # would win over theirs

    from duely_notifications.config import Settings as NotificationsSettings
    from duely_payments.config import Settings as PaymentsSettings
    for name, value in env.items():
        clean_env.setenv(name, value)
    assert NotificationsSettings().smtp_host == "relay.example.com"
    assert PaymentsSettings().stripe_api_base == "https://api.stripe.com"


def _flag(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


def test_the_sandbox_and_payments_share_a_webhook_secret_kept_in_var(clean_env, tmp_path):
    import os
    platform = Platform(PlatformConfig.from_environment(os.environ, tmp_path))
    env, argv = platform.env(), platform.sandbox_command()
    secret = env["DUELY_PAYMENTS_STRIPE_WEBHOOK_SECRET"]
    assert secret.startswith("whsec_") and _flag(argv, "--webhook-secret") == secret
    assert _flag(argv, "--webhook-url") == "http://127.0.0.1:8002/webhooks/stripe"  # payments' route
    again = Platform(PlatformConfig.from_environment(os.environ, tmp_path)).env()
    assert again["DUELY_PAYMENTS_STRIPE_WEBHOOK_SECRET"] == secret  # a restart keeps it


def test_the_users_webhook_secret_and_payments_port_win(clean_env, tmp_path):
    import os
    clean_env.setenv("DUELY_PAYMENTS_STRIPE_WEBHOOK_SECRET", "whsec_mine")
    clean_env.setenv("DUELY_PAYMENTS_HTTP_PORT", "18002")
    platform = Platform(PlatformConfig.from_environment(os.environ, tmp_path))
    assert platform.env()["DUELY_PAYMENTS_STRIPE_WEBHOOK_SECRET"] == "whsec_mine"
    argv = platform.sandbox_command()
    assert _flag(argv, "--webhook-secret") == "whsec_mine"
    assert _flag(argv, "--webhook-url") == "http://127.0.0.1:18002/webhooks/stripe"


def test_without_the_sandbox_no_webhook_secret_is_made_up(clean_env, tmp_path):
    import os
    clean_env.setenv("DUELY_PAYMENTS_STRIPE_API_BASE", "https://api.stripe.com")
    env = Platform(PlatformConfig.from_environment(os.environ, tmp_path)).env()
    assert "DUELY_PAYMENTS_STRIPE_WEBHOOK_SECRET" not in env


def test_the_launched_sandbox_signs_events_to_payments_with_the_shared_secret(clean_env, tmp_path, receiver):
    import stripe

    from duely_devstack.net import free_port
    from tests.devstack.conftest import PORT_RANGE

    payments = receiver()  # stands where payments listens: its /webhooks/stripe
    config = PlatformConfig(var_dir=tmp_path, stripe_port=free_port(*PORT_RANGE), ports={"payments": payments.port},
                            start_broker=False, start_smtp=False)
    platform = Platform(config)
    try:
        platform.start_infrastructure()
        client = stripe.StripeClient("sk_test_sandbox", base_addresses={"api": f"http://127.0.0.1:{config.stripe_port}"})
        intent = client.v1.payment_intents.create(params={"amount": 1200, "currency": "usd", "confirm": True,
                                                          "payment_method": "pm_card_visa", "off_session": True})
        secret = platform.env()["DUELY_PAYMENTS_STRIPE_WEBHOOK_SECRET"]
        payments.wait_for(secret, lambda events: any(
            e.type == "payment_intent.succeeded" and e.data.object.id == intent.id for e in events))
    finally:
        platform.stop()


def test_make_run_points_notifications_at_its_sms_catcher(clean_env, tmp_path):
    import os
    config = PlatformConfig.from_environment(os.environ, tmp_path)
    env = Platform(config).env()
    assert config.start_sms and config.smsdir == tmp_path.resolve() / "sms"
    assert env["DUELY_NOTIFICATIONS_SMS_PROVIDER"] == "twilio"
    assert env["DUELY_NOTIFICATIONS_TWILIO_BASE_URL"] == "http://127.0.0.1:8430"
    for name, value in env.items():
        clean_env.setenv(name, value)
    from duely_notifications.config import Settings as NotificationsSettings
    settings = NotificationsSettings()
    assert (settings.sms_provider, settings.twilio_base_url) == ("twilio", "http://127.0.0.1:8430")
    assert settings.twilio_account_sid and settings.twilio_auth_token and settings.twilio_from
    text = banner(config, {"name": "Demo", "organization_id": "org_1", "api_key": "sk_test_x"}, env)
    assert f"SMS             {config.smsdir}" in text and "http://127.0.0.1:8430/messages" in text


def test_the_users_sms_provider_wins_and_no_catcher_is_pointed_at(clean_env, tmp_path):
    import os
    clean_env.setenv("DUELY_NOTIFICATIONS_SMS_PROVIDER", "twilio")
    clean_env.setenv("TWILIO_ACCOUNT_SID", "AC123")
    clean_env.setenv("TWILIO_AUTH_TOKEN", "secret")
    clean_env.setenv("TWILIO_FROM", "+14155550100")
    config = PlatformConfig.from_environment(os.environ, tmp_path)
    env = Platform(config).env()
    assert not config.start_sms
    assert "DUELY_NOTIFICATIONS_TWILIO_BASE_URL" not in env and "DUELY_NOTIFICATIONS_TWILIO_ACCOUNT_SID" not in env
    for name, value in env.items():
        clean_env.setenv(name, value)
    from duely_notifications.config import Settings as NotificationsSettings
    settings = NotificationsSettings()
    assert (settings.twilio_base_url, settings.twilio_account_sid, settings.twilio_from) == (
        "https://api.twilio.com", "AC123", "+14155550100")
    text = banner(config, {"name": "Demo", "organization_id": "org_1", "api_key": "sk_test_x"}, env)
    assert "your provider (twilio)" in text


async def test_the_launched_sms_catcher_takes_what_notifications_sends(clean_env, tmp_path):
    import os

    from duely_devstack.net import free_port
    from duely_notifications.config import Settings as NotificationsSettings
    from duely_notifications.sms.driver import driver_from_settings
    from tests.devstack.conftest import PORT_RANGE

    config = PlatformConfig(var_dir=tmp_path, sms_port=free_port(*PORT_RANGE), start_broker=False, start_smtp=False,
                            start_sandbox=False)
    platform = Platform(config)
    try:
        platform.start_infrastructure()
        assert set(platform.procs) == {"sms"}
        for name, value in platform.env().items():
            clean_env.setenv(name, value)
        result = await driver_from_settings(NotificationsSettings()).send("+14155550123", "Hello from make run")
        assert result.accepted
        [stored] = list(config.smsdir.glob("*.json"))
        assert stored.read_text().count("Hello from make run") == 1
    finally:
        platform.stop()
    assert os.path.isdir(config.smsdir)


def test_the_banner_prints_the_demo_owners_dashboard_sign_in(clean_env, tmp_path):
    config = PlatformConfig(var_dir=tmp_path)
    demo = {"name": "Demo", "organization_id": "org_1", "api_key": "sk_test_x",
            "owner": {"email": "owner@demo-company.example", "password": "s3cret-pass"}}
    text = banner(config, demo, Platform(config).env())
    assert (f"Dashboard       {config.url('gateway')}/dashboard  (sign in as owner@demo-company.example / "
            "s3cret-pass)" in text)
    assert f"Ops home        {config.url('gateway')}/ops" in text
    older = banner(config, {k: v for k, v in demo.items() if k != "owner"}, Platform(config).env())
    assert f"Dashboard       {config.url('gateway')}/dashboard" in older and "make clean" in older


async def test_the_demo_organization_keeps_its_owners_sign_in_in_var(clean_env, tmp_path, invoicing):
    """seed_demo_org against a real invoicing: the owner's password is kept (private) with the demo key, and it
    signs in to the dashboard; a second run reuses both."""
    import asyncio
    import json
    from urllib.parse import urlparse

    import httpx

    from duely_runtime.auth import INTERNAL_HEADER
    from tests.conftest import INTERNAL_SECRET

    clean_env.setenv("DUELY_INVOICING_HTTP_PORT", str(urlparse(invoicing.url).port))
    import os
    platform = Platform(PlatformConfig.from_environment(os.environ, tmp_path))
    demo = await asyncio.to_thread(platform.seed_demo_org)
    assert demo["owner"]["email"] == "owner@demo-company.example" and len(demo["owner"]["password"]) >= 10
    kept = tmp_path / "demo.json"
    assert json.loads(kept.read_text()) == demo and kept.stat().st_mode & 0o777 == 0o600
    assert await asyncio.to_thread(platform.seed_demo_org) == demo
    async with httpx.AsyncClient(base_url=invoicing.url, timeout=30) as client:
        signed_in = await client.post("/internal/dashboard/sign_in", headers={INTERNAL_HEADER: INTERNAL_SECRET},
                                      json={"email": demo["owner"]["email"], "password": demo["owner"]["password"],
                                            "client_ip": "127.0.0.1"})
    assert signed_in.status_code == 200, signed_in.text
    assert signed_in.json()["organization"]["id"] == demo["organization_id"]
    assert signed_in.json()["user"]["role"] == "owner"
