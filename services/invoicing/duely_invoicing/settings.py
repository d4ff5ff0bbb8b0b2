from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from duely_runtime.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DUELY_INVOICING_", extra="ignore", populate_by_name=True)

    service_name: str = "invoicing"
    http_port: int = 8001
    # PDFs of superseded invoice versions (a newer version was rendered) are a cache: dropped after this.
    retention_superseded_documents_days: float = 90
