"""Wiring of the portal process."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from duely_runtime.service import ServiceRuntime
from duely_portal import api, consumers
from duely_portal.clients import Upstreams
from duely_portal.models import Base
from duely_portal.config import Settings

MIGRATIONS = Path(__file__).parent / "migrations"


def build(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    runtime = ServiceRuntime(settings.service_name, settings, Base.metadata, MIGRATIONS)
    consumers.register(runtime)
    app = runtime.create_app(routers=[api.router(runtime, Upstreams(settings))], title="Duely portal")
    return app


def main() -> None:
    settings = Settings()
    app = build(settings)
    app.state.runtime.serve(app)


if __name__ == "__main__":
    main()
