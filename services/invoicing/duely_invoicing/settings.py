from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from duely_runtime.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DUELY_INVOICING_", extra="ignore", populate_by_name=True)

    service_name: str = "invoicing"
    http_port: int = 8001
    # The logo named in the invoice settings is fetched once, when they are saved (outbound guard rules).
    logo_max_bytes: int = 512 * 1024
    logo_fetch_deadline_s: float = 10.0
