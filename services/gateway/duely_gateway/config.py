"""Gateway settings (prefix DUELY_GATEWAY_); upstream URLs and shared secrets use the platform-wide names."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from duely_runtime.edge import DEFAULT_MAX_BODY_BYTES
from duely_runtime.config import EMBEDDED_SECRET, shared


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DUELY_GATEWAY_", extra="ignore", populate_by_name=True)

    service_name: str = "gateway"
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    invoicing_url: str = Field("http://127.0.0.1:8001", validation_alias=shared("INVOICING_URL"))
    payments_url: str = Field("http://127.0.0.1:8002", validation_alias=shared("PAYMENTS_URL"))
    dunning_url: str = Field("http://127.0.0.1:8003", validation_alias=shared("DUNNING_URL"))
    notifications_url: str = Field("http://127.0.0.1:8004", validation_alias=shared("NOTIFICATIONS_URL"))
    portal_url: str = Field("http://127.0.0.1:8005", validation_alias=shared("PORTAL_URL"))
    connect_timeout_s: float = 5.0
    # A card charge behind /v1/invoices/{id}/pay may take a while; clients retry with Idempotency-Key.
    upstream_timeout_s: float = 60.0
    readiness_timeout_s: float = 3.0
    log_level: str = Field("INFO", validation_alias=shared("LOG_LEVEL"))
    # The same limit as every service (ServiceSettings.max_body_bytes): 413 above it, before forwarding.
    max_body_bytes: int = Field(DEFAULT_MAX_BODY_BYTES, ge=1, validation_alias=shared("MAX_BODY_BYTES"))
    # The ops home reads each service's /ops/status with it and operators sign in with it; the dashboard
    # signs users in through invoicing's internal routes with it and signs its forms' CSRF tokens.
    internal_secret: str = Field(EMBEDDED_SECRET, validation_alias=shared("INTERNAL_SECRET"))
    mode: Literal["embedded", "production"] = Field("embedded", validation_alias=shared("MODE"))
    public_base_url: str = Field("http://127.0.0.1:8000", validation_alias=shared("PUBLIC_BASE_URL"))

    def upstreams(self) -> dict[str, str]:
        return {
            "invoicing": self.invoicing_url,
            "payments": self.payments_url,
            "dunning": self.dunning_url,
            "notifications": self.notifications_url,
            "portal": self.portal_url,
        }

    def check_production_secrets(self) -> None:
        """The dashboard signs CSRF tokens and talks to invoicing with the internal secret: never the default."""
        if self.mode == "production" and self.internal_secret.startswith(EMBEDDED_SECRET):
            raise RuntimeError("refusing to start in production mode: DUELY_INTERNAL_SECRET must be set")

    @property
    def dashboard_url(self) -> str:
        return self.public_base_url.rstrip("/") + "/dashboard"
