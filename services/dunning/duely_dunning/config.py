from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from duely_runtime.config import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="DUELY_DUNNING_", extra="ignore", populate_by_name=True)

    service_name: str = "dunning"
    http_port: int = 8003
    # How often the background worker looks for timers that fell due.
    timer_tick_s: float = 1.0
    # Timers fired per transaction by the worker and by a test-clock advance.
    timer_batch_size: int = 100
    # Test clocks let an organization move its own clock forward. Organizations are in
    # test mode in the embedded setup; unset means "on unless mode is production".
    test_clocks_enabled: bool | None = None

    @property
    def test_clocks_allowed(self) -> bool:
        if self.test_clocks_enabled is not None:
            return self.test_clocks_enabled
        return self.mode != "production"
