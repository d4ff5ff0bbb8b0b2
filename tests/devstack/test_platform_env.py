"""What `make run` gives every service for outbound calls: loopback allowed for a local webhook
receiver, every port of the platform itself still refused; a value the user set wins."""

from __future__ import annotations

import pytest

from duely_devstack.platform import Platform, PlatformConfig
from duely_notifications.config import Settings
from duely_runtime.outbound import OutboundGuard, OutboundRefused


def launcher_env(tmp_path, monkeypatch, **user_env: str) -> dict[str, str]:
    monkeypatch.delenv("DUELY_OUTBOUND_ALLOW_NETWORKS", raising=False)
    for name, value in user_env.items():
        monkeypatch.setenv(name, value)
    import os
    return Platform(PlatformConfig.from_environment(os.environ, tmp_path)).env()  # as `make run` builds it


async def test_make_run_allows_a_local_receiver_but_not_the_platform(tmp_path, monkeypatch):
    env = launcher_env(tmp_path, monkeypatch)
    assert env["DUELY_OUTBOUND_ALLOW_NETWORKS"] == "127.0.0.0/8"
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    guard = OutboundGuard.from_settings(Settings(), environ=env)
    await guard.check_url("http://127.0.0.1:9000/hooks")  # README: duely_devstack.webhook_receiver --port 9000
    for port in (8000, 8001, 8002, 8003, 8004, 8005, 8420, 9092, 1025, 8430):  # gateway, services, sandbox, broker,
        #                                                                       SMTP, SMS catchers
        with pytest.raises(OutboundRefused, match="platform's own services"):
            await guard.check_url(f"http://localhost:{port}/")


def test_a_user_setting_wins(tmp_path, monkeypatch):
    env = launcher_env(tmp_path, monkeypatch, DUELY_OUTBOUND_ALLOW_NETWORKS="")
    assert env["DUELY_OUTBOUND_ALLOW_NETWORKS"] == ""
