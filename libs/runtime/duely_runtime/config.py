"""Settings every service shares. Each service subclasses with its own env prefix.

Shared values (broker, internal secret) are read without the service prefix
via validation aliases, so one environment configures the whole platform.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from duely_runtime.edge import DEFAULT_MAX_BODY_BYTES
from duely_runtime.outbound import parse_networks

EMBEDDED_SECRET = "embedded-dev-secret-not-for-production"
MIN_SECRET_BYTES = 32


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
    mode: Literal["embedded", "production"] = Field("embedded", validation_alias=shared("MODE"))
    var_dir: str = Field("var", validation_alias=shared("VAR_DIR"))
    invoicing_url: str = Field("http://127.0.0.1:8001", validation_alias=shared("INVOICING_URL"))
    payments_url: str = Field("http://127.0.0.1:8002", validation_alias=shared("PAYMENTS_URL"))
    public_base_url: str = Field("http://127.0.0.1:8000", validation_alias=shared("PUBLIC_BASE_URL"))
    # Consumer tuning: the embedded broker joins groups in about half the session timeout.
    kafka_session_timeout_s: float = Field(6.0, validation_alias=shared("KAFKA_SESSION_TIMEOUT_S"))
    # Postgres connections per process: kept open, and allowed on top under load (max_connections is shared).
    db_pool_size: int = Field(5, ge=1, validation_alias=shared("DB_POOL_SIZE"))
    db_max_overflow: int = Field(10, ge=0, validation_alias=shared("DB_MAX_OVERFLOW"))
    # How long a consumer's fetch may wait for data; None: 50 ms embedded (the embedded broker never
    # answers a fetch early, and shorter waits cost it and every consumer CPU while idle: 20 ms doubled
    # the idle platform's CPU), 500 ms in production (Kafka answers as soon as data arrives).
    kafka_fetch_max_wait_ms: int | None = Field(None, ge=1, le=10000, validation_alias=shared("KAFKA_FETCH_MAX_WAIT_MS"))
    # Events handled in one transaction (a savepoint each), and how long a batch waits to fill (faust
    # wakes every agent this often, events or not: 10 ms cost each idle service a tenth of a core).
    consumer_batch_size: int = Field(100, ge=1, le=1000, validation_alias=shared("CONSUMER_BATCH_SIZE"))
    consumer_batch_wait_s: float = Field(0.05, gt=0, le=1, validation_alias=shared("CONSUMER_BATCH_WAIT_S"))
    consumer_max_attempts: int = Field(5, validation_alias=shared("CONSUMER_MAX_ATTEMPTS"))
    consumer_retry_backoff_s: float = Field(0.2, validation_alias=shared("CONSUMER_RETRY_BACKOFF_S"))
    # After a restart of the in-memory broker, republish recent outbox rows (inboxes dedupe).
    outbox_replay_window_s: int = Field(86400, validation_alias=shared("OUTBOX_REPLAY_WINDOW_S"))
    log_level: str = Field("INFO", validation_alias=shared("LOG_LEVEL"))
    # Retention windows (README: "Retention"); the worker runs every retention_interval_s.
    retention_interval_s: float = Field(3600.0, gt=0, validation_alias=shared("RETENTION_INTERVAL_S"))
    retention_outbox_days: float = Field(7, gt=0, validation_alias=shared("RETENTION_OUTBOX_DAYS"))
    retention_inbox_days: float = Field(14, gt=0, validation_alias=shared("RETENTION_INBOX_DAYS"))
    retention_idempotency_hours: float = Field(24, gt=0, validation_alias=shared("RETENTION_IDEMPOTENCY_HOURS"))
    retention_dead_letters_days: float = Field(30, gt=0, validation_alias=shared("RETENTION_DEAD_LETTERS_DAYS"))
    # The ops page's charts: one sample of its figures per interval, the last 60 kept in memory.
    ops_sample_interval_s: float = Field(60.0, gt=0, validation_alias=shared("OPS_SAMPLE_INTERVAL_S"))
    # One request-body limit for the gateway and every service (413 above it).
    max_body_bytes: int = Field(DEFAULT_MAX_BODY_BYTES, ge=1, validation_alias=shared("MAX_BODY_BYTES"))
    # Networks that outbound calls to tenant URLs (webhooks, logos) may reach although they are private
    # (comma-separated CIDRs; `make run` sets 127.0.0.0/8). The platform's own addresses stay refused.
    outbound_allow_networks: str = Field("", validation_alias=shared("OUTBOUND_ALLOW_NETWORKS"))

    @field_validator("outbound_allow_networks")
    @classmethod
    def _networks_parse(cls, value: str) -> str:
        parse_networks(value)  # a typo fails at start, not at the first webhook
        return value

    def resolved_fetch_max_wait_ms(self) -> int:
        if self.kafka_fetch_max_wait_ms is not None:
            return self.kafka_fetch_max_wait_ms
        return 50 if self.mode == "embedded" else 500

    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.var_dir}/{self.service_name}.db"

    def check_production_secrets(self) -> None:
        """Production refuses to start with the embedded defaults or short secrets."""
        if self.mode != "production":
            return
        problems = self.production_problems()
        if problems:
            raise RuntimeError("refusing to start in production mode: " + "; ".join(problems))

    def production_problems(self) -> list[str]:
        problems = []
        for env, value in (("DUELY_INTERNAL_SECRET", self.internal_secret),
                           ("DUELY_HOSTED_LINK_SECRET", self.hosted_link_secret)):
            if value.startswith(EMBEDDED_SECRET):
                problems.append(f"{env} must be set")
            elif len(value.encode()) < MIN_SECRET_BYTES:
                problems.append(f"{env} must be at least {MIN_SECRET_BYTES} bytes (e.g. `openssl rand -hex 32`)")
        return problems
