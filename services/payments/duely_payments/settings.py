from __future__ import annotations

from pydantic import AliasChoices, Field
from pydantic_settings import SettingsConfigDict

from duely_runtime.settings import ServiceSettings

SANDBOX_API_KEY = "sk_test_sandbox"


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

    def check_production_secrets(self) -> None:
        super().check_production_secrets()
        if self.mode != "production":
            return
        if "stripe_api_key" not in self.model_fields_set or not self.stripe_api_key.strip():
            raise RuntimeError("DUELY_PAYMENTS_STRIPE_API_KEY must be set in production mode")
