"""issued invoices keep their parties: invoices.parties_at_approval; logos kept per image, not per URL

Revision ID: 0004_parties_at_approval
Revises: 0002_logos (it rebuilds that table)
Depends on: 0002_settings (the backfill reads the customers' columns it added)
Create Date: 2026-12-02

Written by hand. It follows 0002_logos rather than branching off 0001 like the others: alembic cannot
apply a sibling of 0001 that depends on another sibling (KeyError '0001' while moving the heads), and
this revision needs both before it. Invoices issued before this revision are frozen
as they stand when it runs: their customer and organization name from the current rows, their logo
the image stored for their logo URL now.
"""
import hashlib
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0004_parties_at_approval"
down_revision: Union[str, Sequence[str], None] = "0002_logos"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = "0002_settings"

# The customers' columns at this revision: the frozen record holds them all (as parties_at_approval.py does).
CUSTOMER_TYPES = {
    "id": sa.String, "organization_id": sa.String, "name": sa.String, "email": sa.String, "cc_emails": sa.JSON,
    "version": sa.Integer, "created_at": sa.DateTime(timezone=True), "payment_terms": sa.String,
    "currency": sa.String, "locale": sa.String, "attach_pdf": sa.Boolean, "memo": sa.Text,
    "tax_exempt": sa.Boolean, "tax_id": sa.String, "billing_address": sa.JSON, "billing_contact": sa.JSON,
    "finance_contacts": sa.JSON, "updated_at": sa.DateTime(timezone=True),
}  # typed so that both drivers hand back Python values (SQLite: booleans as 0/1, JSON as text otherwise)

LOGO_COLUMNS = ("organization_id", "url_sha256", "url", "content", "content_type", "sha256", "fetched_at")


def _logos_table(name: str, primary_key: tuple[str, ...]) -> None:
    op.create_table(
        name,
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("url_sha256", sa.String(length=64), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"], name=f"fk_{name}_organization"),
        sa.PrimaryKeyConstraint(*primary_key, name=f"pk_{name}"),
    )


def _rebuild_logos(temporary_name: str, primary_key: tuple[str, ...]) -> None:
    """Changing a primary key the same way on SQLite and Postgres: a new table, the rows, the old one gone.
    Each direction builds under its own name, so constraint names never meet (Postgres keeps them)."""
    _logos_table(temporary_name, primary_key)
    columns = ", ".join(LOGO_COLUMNS)
    op.execute(f"INSERT INTO {temporary_name} ({columns}) SELECT {columns} FROM organization_logos")
    op.drop_table("organization_logos")
    op.rename_table(temporary_name, "organization_logos")


def _freeze_issued_invoices() -> None:
    invoices = sa.table("invoices", sa.column("id", sa.String), sa.column("organization_id", sa.String),
                        sa.column("customer_id", sa.String), sa.column("status", sa.String),
                        sa.column("issuer", sa.JSON), sa.column("parties_at_approval", sa.JSON))
    customers = sa.table("customers", *(sa.column(name, type_) for name, type_ in CUSTOMER_TYPES.items()))
    organizations = sa.table("organizations", sa.column("id", sa.String), sa.column("name", sa.String))
    logos = sa.table("organization_logos", sa.column("organization_id", sa.String),
                     sa.column("url_sha256", sa.String), sa.column("sha256", sa.String),
                     sa.column("fetched_at", sa.DateTime(timezone=True)))
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(invoices.c.id, invoices.c.organization_id, invoices.c.issuer,
                  organizations.c.name.label("organization_name"),
                  *(customers.c[name].label(f"customer_{name}") for name in CUSTOMER_TYPES))
        .select_from(invoices.join(customers, customers.c.id == invoices.c.customer_id)
                     .join(organizations, organizations.c.id == invoices.c.organization_id))
        .where(invoices.c.status != "draft", invoices.c.parties_at_approval.is_(None))).mappings().all()
    for row in rows:
        customer = {name: row[f"customer_{name}"] for name in CUSTOMER_TYPES}
        customer.update({name: customer[name].isoformat() for name in ("created_at", "updated_at")
                         if customer[name] is not None})
        logo_url = (row["issuer"] or {}).get("logo_url")
        logo_sha256 = bind.execute(
            sa.select(logos.c.sha256).where(logos.c.organization_id == row["organization_id"],
                                            logos.c.url_sha256 == hashlib.sha256(logo_url.encode()).hexdigest())
            .order_by(logos.c.fetched_at.desc()).limit(1)).scalar() if logo_url else None
        bind.execute(invoices.update().where(invoices.c.id == row["id"]).values(parties_at_approval={
            "organization_name": row["organization_name"], "customer": customer, "logo_sha256": logo_sha256}))


def upgrade() -> None:
    op.add_column("invoices", sa.Column("parties_at_approval", sa.JSON(), nullable=True))
    # Several images may be stored under one URL: an issued invoice names its own by hash.
    _rebuild_logos("organization_logos_by_image", ("organization_id", "url_sha256", "sha256"))
    _freeze_issued_invoices()


def downgrade() -> None:
    # Back to one image per URL: the newest of each stays.
    op.execute("DELETE FROM organization_logos WHERE EXISTS (SELECT 1 FROM organization_logos newer "
               "WHERE newer.organization_id = organization_logos.organization_id "
               "AND newer.url_sha256 = organization_logos.url_sha256 "
               "AND newer.fetched_at > organization_logos.fetched_at)")
    _rebuild_logos("organization_logos_by_url", ("organization_id", "url_sha256"))
    with op.batch_alter_table("invoices") as batch:
        batch.drop_column("parties_at_approval")
