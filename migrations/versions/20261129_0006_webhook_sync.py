"""tenants.webhooks_synced: which manifest a tenant's Saleor webhooks were last brought in line with

Saleor keeps the webhooks it registered at install; the worker compares them
with the running app's manifest once per tenant and manifest
(:mod:`saleor_sms_app.saleor.webhook_sync`) and records the manifest's marker
here. A nullable column with no default: every existing tenant starts NULL,
"never synced", so the first worker after the upgrade brings each one up to
date; no row is rewritten.

Revision ID: 0005_webhook_sync_marker
Revises: 0004_inbound_direction_links
Create Date: 2026-11-29 19:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_webhook_sync_marker"
down_revision = "0004_inbound_direction_links"
branch_labels = None
depends_on = None


# Plain ALTER TABLE on both databases (SQLite has dropped columns in place since 3.35):
# a batch "move and copy" of ``tenants`` on SQLite, whose foreign keys are on,
# would delete every message of every shop with the old table (ON DELETE CASCADE).


def upgrade() -> None:
    op.add_column("tenants", sa.Column("webhooks_synced", sa.String(length=100), nullable=True))


def downgrade() -> None:
    op.drop_column("tenants", "webhooks_synced")
