from __future__ import annotations

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import SettingsConfigDict

from duely_runtime.config import ServiceSettings

SANDBOX_API_KEY = "sk_test_sandbox"
LIVE_KEY_PREFIXES = ("sk_live_", "rk_live_")
STRIPE_API_BASES = ("", "https://api.stripe.com")


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DUELY_PAYMENTS_", extra="ignore", populate_by_name=True)

    service_name: str = "payments"
    http_port: int = 8002
    stripe_api_key: str = Field(SANDBOX_API_KEY, validation_alias=AliasChoices(
        "DUELY_PAYMENTS_STRIPE_API_KEY", "STRIPE_API_KEY"))
    stripe_api_base: str = Field("http://127.0.0.1:8420", validation_alias=AliasChoices(
        "DUELY_PAYMENTS_STRIPE_API_BASE", "DUELY_STRIPE_API_BASE"),
        description="Base URL of the Stripe API; empty means the real Stripe.")
    # A charge still `processing` this long after it started is presumed orphaned
    # (the process died mid-charge) and is completed by the recovery worker.
    stale_attempt_after_s: float = 10.0
    recovery_interval_s: float = 2.0  # also how often pending refunds are retried (a new one starts at once)
    # Signs the gateway's events POSTed to /webhooks/stripe (Stripe: the endpoint's `whsec_…`).
    stripe_webhook_secret: str = Field("", validation_alias=AliasChoices(
        "DUELY_PAYMENTS_STRIPE_WEBHOOK_SECRET", "STRIPE_WEBHOOK_SECRET"))
    # A bank debit settles in days; its outcome comes as a gateway event. In case one is lost, the
    # recovery worker also asks the gateway about a processing debit this rarely (its invoice's hold is
    # renewed every minute meanwhile, which costs one call to invoicing per processing debit).
    debit_poll_interval_s: float = Field(900.0, gt=0)
    # Where the customer saves a new card (the portal); empty = DUELY_PUBLIC_BASE_URL.
    portal_base_url: str = ""
    # How long the signed link in the `payment_method_expiring` email works (the customer may come back).
    payment_method_link_ttl_days: float = Field(30.0, gt=0)
    # How often pending AutoPay requests are looked at (a new one is executed at once).
    autopay_interval_s: float = Field(5.0, gt=0)

    # Production refuses test keys and any API base but Stripe's own, unless this says otherwise
    # (a staging installation that runs against Stripe's test mode or the sandbox on purpose).
    allow_test_gateway: bool = Field(False, validation_alias=AliasChoices(
        "DUELY_PAYMENTS_ALLOW_TEST_GATEWAY", "DUELY_ALLOW_TEST_GATEWAY"))

    @model_validator(mode="after")
    def _real_stripe_by_default_in_production(self) -> "Settings":
        # The sandbox address is the embedded default only; production talks to Stripe unless told.
        if self.mode == "production" and "stripe_api_base" not in self.model_fields_set:
            self.stripe_api_base = ""
        return self

    def production_problems(self) -> list[str]:
        problems = super().production_problems()
        key = self.stripe_api_key.strip()
        if "stripe_api_key" not in self.model_fields_set or not key:
            problems.append("DUELY_PAYMENTS_STRIPE_API_KEY (or STRIPE_API_KEY) must be set")
        elif not self.allow_test_gateway and not key.startswith(LIVE_KEY_PREFIXES):
            problems.append("the Stripe key is not a live key (sk_live_/rk_live_); set "
                            "DUELY_PAYMENTS_ALLOW_TEST_GATEWAY=true to run against Stripe's test mode on purpose")
        if not self.allow_test_gateway and self.stripe_api_base.rstrip("/") not in STRIPE_API_BASES:
            problems.append(f"DUELY_PAYMENTS_STRIPE_API_BASE={self.stripe_api_base!r} is not Stripe's API; set "
                            "DUELY_PAYMENTS_ALLOW_TEST_GATEWAY=true to use a sandbox on purpose")
        if not self.stripe_webhook_secret.strip():
            problems.append("DUELY_PAYMENTS_STRIPE_WEBHOOK_SECRET must be set (the gateway's events are verified "
                            "with it; bank debits settle only through them)")
        return problems

    def portal_url(self) -> str:
        return (self.portal_base_url or self.public_base_url).rstrip("/")
