from __future__ import annotations

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from duely_runtime.config import ServiceSettings

STRIPE_API = "https://api.stripe.com"


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DUELY_PORTAL_", extra="ignore", populate_by_name=True)

    service_name: str = "portal"
    http_port: int = 8005
    # The language of pages that show no invoice (not found, unavailable). An invoice's page is
    # written in the invoice's own locale, as its PDF and emails are.
    locale: str = "en_US"
    upstream_timeout_s: float = 30.0  # a card charge can take a while; a person is waiting
    # Bank debits on the hosted page: the page's script creates the PaymentMethod at the gateway itself
    # (as Stripe.js does), with the publishable key, so account numbers never pass through Duely.
    stripe_publishable_key: str = "pk_test_sandbox"
    # Where the customer's browser reaches the gateway: the embedded sandbox by default; Stripe in production.
    stripe_public_api_base: str = "http://127.0.0.1:8420"

    # The customer portal (/portal): the magic link's life, the session it opens (ended after being idle this
    # long, and in any case after session_max_s), and how many "email me a new link" a customer (and an
    # address) may ask for in an hour.
    magic_link_ttl_s: int = Field(3600, ge=60, le=7 * 86400)
    session_idle_s: int = Field(12 * 3600, ge=60)
    session_max_s: int = Field(24 * 3600, ge=60)
    link_requests_per_customer_per_hour: int = Field(3, ge=1)
    link_requests_per_ip_per_hour: int = Field(10, ge=1)

    @property
    def secure_cookies(self) -> bool:
        """Production serves the portal over HTTPS: its cookie is never sent in clear."""
        return self.mode == "production"

    @model_validator(mode="after")
    def _real_stripe_by_default_in_production(self) -> "Settings":
        if self.mode == "production" and "stripe_public_api_base" not in self.model_fields_set:
            self.stripe_public_api_base = STRIPE_API
        return self
