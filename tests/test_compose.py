"""docker-compose.yml cannot run here (no Docker engine), so check it stays consistent with the code."""

import importlib
import importlib.util
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SERVICES = ["invoicing", "payments", "dunning", "notifications", "portal"]


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_every_process_runs_an_existing_module():
    for name, service in compose()["services"].items():
        command = service.get("command")
        if command and command[:2] == ["python", "-m"]:
            assert importlib.util.find_spec(command[2]) is not None, (name, command)


def test_each_service_has_its_own_postgres_database():
    created = set(re.findall(r"CREATE DATABASE (\w+);", (ROOT / "docker" / "postgres-init.sql").read_text()))
    services = compose()["services"]
    for name in SERVICES:
        url = services[name]["environment"][f"DUELY_{name.upper()}_DATABASE_URL"]
        assert url.startswith("postgresql+asyncpg://") and url.rsplit("/", 1)[1] == name
        assert name in created


def test_services_reach_each_other_and_kafka_by_compose_names():
    services = compose()["services"]
    env = services["gateway"]["environment"]
    assert env["DUELY_KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
    for name in SERVICES:
        host = re.match(r"http://([\w-]+):\d+", env[f"DUELY_{name.upper()}_URL"]).group(1)
        assert host in services
    assert env["SMTP_HOST"].endswith("mailpit}")
    assert "KAFKA_PROCESS_ROLES" in services["kafka"]["environment"], "Kafka runs in KRaft mode"


def environment_settings_module(name: str):
    """A service's environment settings (`config.py`)."""
    return importlib.import_module(f"duely_{name}.config")


def test_the_service_settings_read_the_variables_compose_sets():
    for name in SERVICES:
        settings_module = environment_settings_module(name)
        fields = settings_module.Settings.model_fields
        assert "database_url" in fields and "http_host" in fields
        prefix = settings_module.Settings.model_config["env_prefix"]
        assert prefix == f"DUELY_{name.upper()}_"


def test_compose_fails_fast_without_a_stripe_key():
    """docker compose refuses to start when a `${VAR:?message}` is unset: the key has no default."""
    payments_env = compose()["services"]["payments"]["environment"]
    assert payments_env["DUELY_PAYMENTS_STRIPE_API_KEY"].startswith("${STRIPE_API_KEY:?")
    assert payments_env["DUELY_PAYMENTS_STRIPE_API_BASE"] == "${STRIPE_API_BASE:-}"
    sandbox = compose()["services"]["stripe-sandbox"]
    assert sandbox["profiles"] == ["sandbox"], "the sandbox starts only when asked for"
