from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from duely_runtime.config import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DUELY_INVOICING_", extra="ignore", populate_by_name=True)

    service_name: str = "invoicing"
    http_port: int = 8001
    # PDFs of superseded invoice versions (a newer version was rendered) are a cache: dropped after this.
    retention_superseded_documents_days: float = 90
    # How long a charge reservation holds off void and write-off at most (domain/charge_reservation.py).
    # Longer than a charge normally takes (seconds), short enough that a payments process that died
    # mid-charge blocks void for two minutes at most; a charge landing later is refunded.
    charge_reservation_ttl_s: float = Field(120.0, gt=0, le=3600)
    # The logo named in the invoice settings is fetched once, when they are saved (outbound guard rules).
    logo_max_bytes: int = 512 * 1024
    logo_fetch_deadline_s: float = 10.0
    # Dashboard sessions (users/sign_in.py): end after this long unused, and this long after they began at most.
    dashboard_session_idle_s: float = Field(12 * 3600, gt=0)
    dashboard_session_max_s: float = Field(7 * 24 * 3600, gt=0)
