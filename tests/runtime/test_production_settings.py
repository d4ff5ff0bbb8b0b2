"""Production mode refuses the embedded defaults: sandbox keys and addresses, short secrets."""

from __future__ import annotations

import pytest

from duely_payments.config import Settings as PaymentsSettings
from duely_runtime.config import ServiceSettings

LONG = "x" * 32


@pytest.fixture
def production(monkeypatch):
    for name in ("DUELY_PAYMENTS_STRIPE_API_KEY", "STRIPE_API_KEY", "DUELY_PAYMENTS_STRIPE_API_BASE",
                 "DUELY_STRIPE_API_BASE", "DUELY_PAYMENTS_ALLOW_TEST_GATEWAY", "DUELY_ALLOW_TEST_GATEWAY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DUELY_MODE", "production")
    monkeypatch.setenv("DUELY_PAYMENTS_STRIPE_WEBHOOK_SECRET", "whsec_" + LONG)
    monkeypatch.setenv("DUELY_INTERNAL_SECRET", LONG)
    monkeypatch.setenv("DUELY_HOSTED_LINK_SECRET", LONG + "y")
    return monkeypatch


def test_production_refuses_missing_and_short_secrets(production):
    production.delenv("DUELY_INTERNAL_SECRET")
    with pytest.raises(RuntimeError, match="DUELY_INTERNAL_SECRET must be set"):
        ServiceSettings().check_production_secrets()
    production.setenv("DUELY_INTERNAL_SECRET", "x")
    with pytest.raises(RuntimeError, match="DUELY_INTERNAL_SECRET must be at least 32 bytes"):
        ServiceSettings().check_production_secrets()
    production.setenv("DUELY_INTERNAL_SECRET", LONG)
    production.setenv("DUELY_HOSTED_LINK_SECRET", "short")
    with pytest.raises(RuntimeError, match="DUELY_HOSTED_LINK_SECRET must be at least 32 bytes"):
        ServiceSettings().check_production_secrets()
    production.setenv("DUELY_HOSTED_LINK_SECRET", LONG)
    ServiceSettings().check_production_secrets()


def test_an_unknown_mode_is_refused(monkeypatch):
    monkeypatch.setenv("DUELY_MODE", "prod")
    with pytest.raises(ValueError, match="embedded.*production"):
        ServiceSettings()


def test_production_refuses_the_sandbox_key_and_address(production):
    production.setenv("STRIPE_API_KEY", "sk_test_sandbox")
    with pytest.raises(RuntimeError, match="not a live key"):
        PaymentsSettings().check_production_secrets()
    production.setenv("STRIPE_API_KEY", "sk_live_abc")
    production.setenv("DUELY_PAYMENTS_STRIPE_API_BASE", "http://stripe-sandbox:8420")
    with pytest.raises(RuntimeError, match="is not Stripe's API"):
        PaymentsSettings().check_production_secrets()
    production.delenv("DUELY_PAYMENTS_STRIPE_API_BASE")
    settings = PaymentsSettings()
    settings.check_production_secrets()
    assert settings.stripe_api_base == "", "production talks to Stripe itself unless told otherwise"


def test_a_staging_installation_may_allow_the_test_gateway_explicitly(production):
    production.setenv("STRIPE_API_KEY", "sk_test_sandbox")
    production.setenv("DUELY_PAYMENTS_STRIPE_API_BASE", "http://stripe-sandbox:8420")
    production.setenv("DUELY_PAYMENTS_ALLOW_TEST_GATEWAY", "true")
    settings = PaymentsSettings()
    settings.check_production_secrets()
    assert settings.stripe_api_base == "http://stripe-sandbox:8420"
