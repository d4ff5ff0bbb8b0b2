from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from duely_runtime.config import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DUELY_PORTAL_", extra="ignore", populate_by_name=True)

    service_name: str = "portal"
    http_port: int = 8005
    # The language of pages that show no invoice (not found, unavailable). An invoice's page is
    # written in the invoice's own locale, as its PDF and emails are.
    locale: str = "en_US"
    upstream_timeout_s: float = 30.0  # a card charge can take a while; a person is waiting
