"""Start the whole platform as separate processes, the way `make run` does.

`Platform` is also what the end-to-end tests drive (with Postgres URLs and
other ports), so the tests exercise exactly what a newcomer runs. Each process
logs JSON lines to `<var>/logs/<name>.log`.

A service may run as several processes (`PlatformConfig.replicas`, Postgres only): replica k ≥ 2 is
named `<service>-<k>` and listens on `replica_port(service, k)`; the other services and the gateway keep
calling replica 1, and the replicas share the event work through their Kafka consumer group and the
workers' `FOR UPDATE SKIP LOCKED` claims.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import httpx

from duely_devstack.broker import broker_command
from duely_devstack.net import wait_for_port_sync

SERVICES = ("invoicing", "payments", "dunning", "notifications", "portal")
INTERNAL_HEADER = "X-Duely-Internal-Secret"
WEBHOOK_SECRET_ENV = "DUELY_PAYMENTS_STRIPE_WEBHOOK_SECRET"
# Any of these in the user's environment means their own SMS provider: the catcher is not started.
SMS_SETTINGS = ("DUELY_NOTIFICATIONS_SMS_PROVIDER", "DUELY_NOTIFICATIONS_TWILIO_BASE_URL",
                "DUELY_NOTIFICATIONS_TWILIO_ACCOUNT_SID", "TWILIO_ACCOUNT_SID", "TWILIO_BASE_URL")
# What notifications is given to send through the SMS catcher (it accepts any account and token).
CATCHER_TWILIO = {"DUELY_NOTIFICATIONS_SMS_PROVIDER": "twilio",
                  "DUELY_NOTIFICATIONS_TWILIO_ACCOUNT_SID": "ACembedded0000000000000000000000",
                  "DUELY_NOTIFICATIONS_TWILIO_AUTH_TOKEN": "embedded-sms-catcher",
                  "DUELY_NOTIFICATIONS_TWILIO_FROM": "+15005550006"}
REPLICA_PORT_STEP = 10  # replica k of a service listens (k - 1) steps above replica 1: 8012 is payments' second


@dataclass
class PlatformConfig:
    var_dir: Path = Path("var")
    base_port: int = 8000            # gateway; services at +1..+5 in SERVICES order
    broker_port: int = 9092
    smtp_port: int = 1025
    stripe_port: int = 8420
    sms_port: int = 8430
    database_urls: dict[str, str] = field(default_factory=dict)  # service → URL; empty = SQLite in var/
    start_broker: bool = True         # False when the user points DUELY_KAFKA_BOOTSTRAP_SERVERS elsewhere
    start_smtp: bool = True           # False when the user gives SMTP_HOST / SMTP_PORT (their relay)
    start_sandbox: bool = True        # False when the user gives DUELY_PAYMENTS_STRIPE_API_BASE
    start_sms: bool = True            # False when the user gives their own SMS settings (SMS_SETTINGS)
    sandbox_settlement_delay_s: float = 5.0  # how long the sandbox's bank debits stay processing
    ports: dict[str, int] = field(default_factory=dict)  # service → port the user chose
    # service → how many processes run it (default 1). Postgres only: SQLite's one writer per file
    # would make a second process wait on the first's locks rather than share its work.
    replicas: dict[str, int] = field(default_factory=dict)
    extra_env: dict[str, str] = field(default_factory=dict)
    # The launcher's settings give way to the ones the user exported (make run); tests pin theirs.
    user_env_wins: bool = False

    @classmethod
    def from_environment(cls, environ: Mapping[str, str], var_dir: Path) -> "PlatformConfig":
        """`make run`: the embedded defaults, except what the user set in the environment."""
        def given(*names: str) -> bool:
            return any(name in environ for name in names)
        ports = {service: int(environ[f"DUELY_{service.upper()}_HTTP_PORT"])
                 for service in SERVICES + ("gateway",) if f"DUELY_{service.upper()}_HTTP_PORT" in environ}
        return cls(
            var_dir=Path(environ.get("DUELY_VAR_DIR", var_dir)).resolve(), ports=ports, user_env_wins=True,
            start_broker=not given("DUELY_KAFKA_BOOTSTRAP_SERVERS"),
            start_smtp=not given("SMTP_HOST", "SMTP_PORT", "DUELY_NOTIFICATIONS_SMTP_HOST",
                                 "DUELY_NOTIFICATIONS_SMTP_PORT"),
            start_sandbox=not given("DUELY_PAYMENTS_STRIPE_API_BASE", "DUELY_STRIPE_API_BASE"),
            start_sms=not given(*SMS_SETTINGS),
        )

    def port(self, service: str) -> int:
        if service in self.ports:
            return self.ports[service]
        return self.base_port if service == "gateway" else self.base_port + 1 + SERVICES.index(service)

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.port(service)}"

    def replica_port(self, service: str, k: int) -> int:
        return self.port(service) if k == 1 else self.port(service) + REPLICA_PORT_STEP * (k - 1)

    def replica_names(self, service: str) -> list[str]:
        """The process names of a service: `payments`, then `payments-2`, `payments-3`..."""
        return [service] + [f"{service}-{k}" for k in range(2, self.replicas.get(service, 1) + 1)]

    def process_url(self, name: str) -> str:
        """Where one process (`payments` or `payments-2`) answers HTTP."""
        service, k = split_replica(name)
        return f"http://127.0.0.1:{self.replica_port(service, k)}"

    def check_replicas(self) -> None:
        for service, count in self.replicas.items():
            if service not in SERVICES or count < 1:
                raise ValueError(f"replicas: {service}={count}: one or more processes of a service in {SERVICES}")
            url = self.database_urls.get(service, "")
            if count > 1 and not url.startswith("postgresql"):
                raise ValueError(f"replicas: {service} runs {count} processes only on Postgres "
                                 f"(database_urls[{service!r}] is {url or 'SQLite in var/'})")

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.broker_port}"

    @property
    def maildir(self) -> Path:
        return self.var_dir / "mail"

    @property
    def smsdir(self) -> Path:
        return self.var_dir / "sms"

    @property
    def sms_url(self) -> str:
        return f"http://127.0.0.1:{self.sms_port}"


def split_replica(name: str) -> tuple[str, int]:
    """`payments-2` → ("payments", 2); `payments` → ("payments", 1)."""
    service, _, k = name.rpartition("-")
    return (service, int(k)) if service in SERVICES and k.isdigit() else (name, 1)


class Platform:
    def __init__(self, config: PlatformConfig) -> None:
        self.config = config
        self.procs: dict[str, subprocess.Popen] = {}
        (config.var_dir / "logs").mkdir(parents=True, exist_ok=True)

    # -- environment every service process shares ---------------------------------------

    def env(self) -> dict[str, str]:
        c = self.config
        env = dict(os.environ)
        launcher = {
            "PYTHONUNBUFFERED": "1",
            "DUELY_VAR_DIR": str(c.var_dir),
            "DUELY_KAFKA_BOOTSTRAP_SERVERS": c.bootstrap,
            "DUELY_PUBLIC_BASE_URL": c.url("gateway"),
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": str(c.smtp_port),
            "DUELY_PAYMENTS_STRIPE_API_BASE": f"http://127.0.0.1:{c.stripe_port}",
            # Where the hosted page's script creates bank-debit methods with the publishable key.
            "DUELY_PORTAL_STRIPE_PUBLIC_API_BASE": f"http://127.0.0.1:{c.stripe_port}",
            # The sandbox signs the events it POSTs to payments' /webhooks/stripe with this secret.
            WEBHOOK_SECRET_ENV: self.stripe_webhook_secret(),
            "DUELY_GATEWAY_HTTP_PORT": str(c.port("gateway")),
            # SMS through the catcher: the production Twilio driver, at the catcher's address.
            **CATCHER_TWILIO, "DUELY_NOTIFICATIONS_TWILIO_BASE_URL": c.sms_url,
            # Outbound calls to tenant URLs may reach this machine (the README's local webhook
            # receiver); the platform's own ports stay refused.
            "DUELY_OUTBOUND_ALLOW_NETWORKS": "127.0.0.0/8",
        }
        for service in SERVICES:
            launcher[f"DUELY_{service.upper()}_URL"] = c.url(service)
            launcher[f"DUELY_{service.upper()}_HTTP_PORT"] = str(c.port(service))
            if service in c.database_urls:
                launcher[f"DUELY_{service.upper()}_DATABASE_URL"] = c.database_urls[service]
            for name in c.replica_names(service)[1:]:  # named only so the outbound guard refuses them too
                launcher[f"DUELY_REPLICA_{name.upper().replace('-', '_')}_URL"] = c.process_url(name)
        # The embedded parts the user replaced are not pointed at: not under any spelling.
        if not c.start_smtp:
            launcher.pop("SMTP_HOST"), launcher.pop("SMTP_PORT")
        if not c.start_sandbox:
            launcher.pop("DUELY_PAYMENTS_STRIPE_API_BASE")
            launcher.pop("DUELY_PORTAL_STRIPE_PUBLIC_API_BASE")
            launcher.pop(WEBHOOK_SECRET_ENV)
        if not c.start_broker:
            launcher.pop("DUELY_KAFKA_BOOTSTRAP_SERVERS")
        if not c.start_sms:
            for name in (*CATCHER_TWILIO, "DUELY_NOTIFICATIONS_TWILIO_BASE_URL"):
                launcher.pop(name)
        for name, value in launcher.items():
            if not (c.user_env_wins and name in os.environ):
                env[name] = value
        env.update(c.extra_env)
        return env

    def stripe_webhook_secret(self) -> str:
        """The signing secret the sandbox and payments share: the one given (extra_env, or the user's
        environment under `make run`), else one generated once and kept in var/."""
        c = self.config
        if WEBHOOK_SECRET_ENV in c.extra_env:
            return c.extra_env[WEBHOOK_SECRET_ENV]
        if c.user_env_wins and os.environ.get(WEBHOOK_SECRET_ENV):
            return os.environ[WEBHOOK_SECRET_ENV]
        path = c.var_dir / "sandbox-webhook-secret"
        if not path.exists():
            c.var_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(f"whsec_{secrets.token_hex(24)}\n")
            path.chmod(0o600)
        return path.read_text().strip()

    def sandbox_command(self) -> list[str]:
        c = self.config
        return [sys.executable, "-m", "duely_devstack.sandbox_gateway", "--port", str(c.stripe_port),
                "--state-dir", str(c.var_dir / "sandbox-gateway"),
                "--settlement-delay-s", str(c.sandbox_settlement_delay_s),
                "--webhook-url", c.url("payments") + "/webhooks/stripe",
                "--webhook-secret", self.stripe_webhook_secret()]

    # -- processes ------------------------------------------------------------------------

    def _spawn(self, name: str, argv: list[str], env: dict[str, str] | None = None) -> subprocess.Popen:
        log = open(self.config.var_dir / "logs" / f"{name}.log", "ab")
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env or self.env(),
                                start_new_session=True)  # Ctrl-C in the terminal reaches only us
        self.procs[name] = proc
        return proc

    def start_infrastructure(self) -> None:
        """The embedded broker, SMTP and SMS catchers and Stripe sandbox, each unless the user brought their own."""
        c = self.config
        py = sys.executable
        if c.start_broker:
            self._spawn("broker", broker_command(c.broker_port))
            wait_for_port_sync("127.0.0.1", c.broker_port, timeout=20)
        if c.start_smtp:
            self._spawn("smtp", [py, "-m", "duely_devstack.smtp_catcher", "--port", str(c.smtp_port),
                                 "--maildir", str(c.maildir)])
            wait_for_port_sync("127.0.0.1", c.smtp_port, timeout=20)
        if c.start_sms:
            self._spawn("sms", [py, "-m", "duely_devstack.sms_catcher", "--port", str(c.sms_port),
                                "--dir", str(c.smsdir)])
            wait_for_port_sync("127.0.0.1", c.sms_port, timeout=20)
        if c.start_sandbox:
            self._spawn("stripe", self.sandbox_command())
            wait_for_port_sync("127.0.0.1", c.stripe_port, timeout=20)

    def start_service(self, name: str) -> None:
        """Start one process: a service's first (`payments`) or a further replica of it (`payments-2`)."""
        service, k = split_replica(name)
        env = self.env()
        if k > 1:  # same settings and database, its own port; everyone else still calls replica 1
            env[f"DUELY_{service.upper()}_HTTP_PORT"] = str(self.config.replica_port(service, k))
        self._spawn(name, [sys.executable, "-m", f"duely_{service}"], env)

    def process_names(self) -> list[str]:
        """Every service process in start order, replicas right after their first."""
        return [name for service in SERVICES for name in self.config.replica_names(service)] + ["gateway"]

    def start(self, timeout: float = 120.0) -> None:
        self.config.check_replicas()
        self.start_infrastructure()
        for name in self.process_names():
            self.start_service(name)
        for name in self.process_names():
            self.wait_ready(name, timeout)

    def wait_ready(self, name: str, timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        url = self.config.process_url(name) + "/readyz"
        while time.monotonic() < deadline:
            proc = self.procs.get(name)
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}; see {self.log_path(name)}")
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"{name} not ready after {timeout}s; see {self.log_path(name)}")

    def log_path(self, name: str) -> Path:
        return self.config.var_dir / "logs" / f"{name}.log"

    def kill(self, name: str) -> None:
        """SIGKILL: the process gets no chance to finish anything (crash tests)."""
        proc = self.procs.pop(name)
        proc.kill()
        proc.wait()

    def stop_process(self, name: str, timeout: float = 15.0) -> None:
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def stop(self) -> None:
        # Services first (a service's further replicas before its first), then what they depend on.
        replicas = [name for name in self.procs if split_replica(name)[1] > 1]
        for name in ("gateway", *sorted(replicas, reverse=True), *SERVICES[::-1], "stripe", "sms", "smtp", "broker"):
            self.stop_process(name)

    # -- demo organization ----------------------------------------------------------------

    def seed_demo_org(self, name: str = "Demo Company") -> dict:
        """Create the demo organization once; later runs reuse it (its key and its owner's dashboard sign-in
        are kept in var/, readable by this user only)."""
        path = self.config.var_dir / "demo.json"
        if path.exists():
            return json.loads(path.read_text())
        secret = self.env().get("DUELY_INTERNAL_SECRET", "embedded-dev-secret-not-for-production")
        response = httpx.post(self.config.url("invoicing") + "/internal/organizations", json={"name": name},
                              headers={INTERNAL_HEADER: secret}, timeout=10)
        response.raise_for_status()
        body = response.json()
        demo = {"organization_id": body["organization"]["id"], "name": name, "api_key": body["api_key"],
                "owner": {"email": body["owner"]["email"], "password": body["owner"]["password"]}}
        path.touch(mode=0o600)  # private before the secrets are in it
        path.write_text(json.dumps(demo, indent=2))
        path.chmod(0o600)
        return demo
