"""tenants.webhooks_synced: which manifest a tenant's Saleor webhooks were last brought in line with

Saleor keeps the webhooks it registered at install; the worker compares them
with the running app's manifest once per tenant and manifest
(:mod:`saleor_sms_app.saleor.webhook_sync`) and records the manifest's marker
here. A nullable column with no default: every existing tenant starts NULL,
"never synced", so the first worker after the upgrade brings each one up to
date; no row is rewritten.

Revision ID: 0005_webhook_sync_marker
Revises: 0004_reliability_pending_reports
Create Date: 2026-11-29 19:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_webhook_sync_marker"
down_revision = "0004_reliability_pending_reports"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("webhooks_synced", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tenants", schema=None) as batch_op:
        batch_op.drop_column("webhooks_synced")
