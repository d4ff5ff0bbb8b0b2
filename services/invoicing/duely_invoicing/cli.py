"""`duely`: operator commands against invoicing's database (Settings from the environment).

    duely org create --name "Acme" [--live] [--owner-email E]
        → {"organization_id", "name", "api_key", "owner": {"email", "password", "dashboard_url"}}
    duely org list
    duely key create --org org_...   → {"organization_id", "api_key_id", "api_key"}

Commands use the same use cases as the API; the events they emit wait in the
outbox until the running service's relay publishes them.
"""

from __future__ import annotations

import asyncio
import json
import re

import typer

from duely_contracts.timestamps import iso_utc
from duely_invoicing.config import Settings
from duely_invoicing.main import MIGRATIONS_DIR
from duely_invoicing.models import RUNTIME_TABLES
from duely_invoicing.organizations import service as organizations_service
from duely_invoicing.users import router as users_router
from duely_runtime.db import Database
from duely_runtime.errors import ApiError
from duely_runtime.migrations import upgrade_to_head
from duely_runtime.outbox import Outbox

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

app = typer.Typer(help="Duely operator commands.", no_args_is_help=True)
org_app = typer.Typer(help="Organizations.", no_args_is_help=True)
key_app = typer.Typer(help="API keys.", no_args_is_help=True)
app.add_typer(org_app, name="org")
app.add_typer(key_app, name="key")


def _run(work) -> dict | list:
    """Migrate (blocking: alembic runs its own event loop), then run `work(session)` in one transaction."""
    settings = Settings()
    url = settings.resolved_database_url()
    upgrade_to_head(MIGRATIONS_DIR, url)

    async def main():
        db = Database(url)
        try:
            async with db.transaction() as session:
                return await work(session)
        finally:
            await db.dispose()
    try:
        return asyncio.run(main())
    except ApiError as exc:
        typer.echo(json.dumps(exc.body()), err=True)
        raise typer.Exit(1)


@org_app.command("create")
def org_create(name: str = typer.Option(..., "--name", help="The organization's name."),
               live: bool = typer.Option(False, "--live", help="A live organization (sk_live_ keys, no test "
                                                                "clock); the default is test mode (sk_test_)."),
               owner_email: str = typer.Option(None, "--owner-email", help="The owner user's email (default "
                                                                           "owner@<slug>.example).")) -> None:
    """Create an organization, its first API key and its owner user (key and password shown once)."""
    if not name.strip():
        raise typer.BadParameter("must not be empty", param_hint="--name")
    if owner_email is not None and not EMAIL.match(owner_email.strip()):
        raise typer.BadParameter("must be an email address", param_hint="--owner-email")
    settings = Settings()

    async def work(session):
        organization, api_key = await organizations_service.create_organization(session, Outbox(RUNTIME_TABLES), name.strip(),
                                                                  test_mode=not live)
        owner = await organizations_service.create_owner(session, organization,
                                                         owner_email.strip() if owner_email else None)
        return {"organization_id": organization.id, "name": organization.name, "api_key": api_key,
                "owner": {"email": owner.email, "password": owner.password,
                          "dashboard_url": users_router.dashboard_url(settings)}}
    typer.echo(json.dumps(_run(work)))


@org_app.command("list")
def org_list() -> None:
    """List organizations (never their keys)."""
    async def work(session):
        organizations = await organizations_service.list_organizations(session)
        return [{"organization_id": o.id, "name": o.name, "test_mode": o.test_mode,
                 "created_at": iso_utc(o.created_at)} for o in organizations]
    typer.echo(json.dumps(_run(work)))


@key_app.command("create")
def key_create(org: str = typer.Option(..., "--org", help="Organization id (org_...).")) -> None:
    """Create another API key for an organization (shown once)."""
    async def work(session):
        key, api_key = await organizations_service.create_api_key(session, org)
        return {"organization_id": key.organization_id, "api_key_id": key.id, "api_key": api_key}
    typer.echo(json.dumps(_run(work)))
