"""Settings every service shares. Each service subclasses with its own env prefix.

Shared values (broker, internal secret) are read without the service prefix
via validation aliases, so one environment configures the whole platform.
"""

from __future__ import annotations

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from duely_runtime.outbound import parse_networks

EMBEDDED_SECRET = "embedded-dev-secret-not-for-production"


def shared(name: str, *aliases: str):
    """A field read from DUELY_<NAME> (shared) or any service-specific alias."""
    return AliasChoices(f"DUELY_{name}", *aliases)


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    service_name: str = "service"
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    database_url: str = ""
    kafka_bootstrap_servers: str = Field("127.0.0.1:9092", validation_alias=shared("KAFKA_BOOTSTRAP_SERVERS"))
    internal_secret: str = Field(EMBEDDED_SECRET, validation_alias=shared("INTERNAL_SECRET"))
    hosted_link_secret: str = Field(EMBEDDED_SECRET + "-links", validation_alias=shared("HOSTED_LINK_SECRET"))
    mode: str = Field("embedded", validation_alias=shared("MODE"), description="embedded | production")
    var_dir: str = Field("var", validation_alias=shared("VAR_DIR"))
    invoicing_url: str = Field("http://127.0.0.1:8001", validation_alias=shared("INVOICING_URL"))
    payments_url: str = Field("http://127.0.0.1:8002", validation_alias=shared("PAYMENTS_URL"))
    public_base_url: str = Field("http://127.0.0.1:8000", validation_alias=shared("PUBLIC_BASE_URL"))
    # Consumer tuning: the embedded broker joins groups in about half the session timeout.
    kafka_session_timeout_s: float = Field(6.0, validation_alias=shared("KAFKA_SESSION_TIMEOUT_S"))
    consumer_max_attempts: int = Field(5, validation_alias=shared("CONSUMER_MAX_ATTEMPTS"))
    consumer_retry_backoff_s: float = Field(0.2, validation_alias=shared("CONSUMER_RETRY_BACKOFF_S"))
    # After a restart of the in-memory broker, republish recent outbox rows (inboxes dedupe).
    outbox_replay_window_s: int = Field(86400, validation_alias=shared("OUTBOX_REPLAY_WINDOW_S"))
    log_level: str = Field("INFO", validation_alias=shared("LOG_LEVEL"))
    # Networks that outbound calls to tenant URLs (webhooks, logos) may reach although they are private
    # (comma-separated CIDRs; `make run` sets 127.0.0.0/8). The platform's own addresses stay refused.
    outbound_allow_networks: str = Field("", validation_alias=shared("OUTBOUND_ALLOW_NETWORKS"))

    @field_validator("outbound_allow_networks")
    @classmethod
    def _networks_parse(cls, value: str) -> str:
        parse_networks(value)  # a typo fails at start, not at the first webhook
        return value

    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.var_dir}/{self.service_name}.db"

    def check_production_secrets(self) -> None:
        if self.mode != "production":
            return
        if self.internal_secret == EMBEDDED_SECRET:
            raise RuntimeError("DUELY_INTERNAL_SECRET must be set in production mode")
        if self.hosted_link_secret.startswith(EMBEDDED_SECRET):
            raise RuntimeError("DUELY_HOSTED_LINK_SECRET must be set in production mode")
