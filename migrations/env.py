"""Alembic environment: the URL comes from the caller or from DATABASE_URL."""

from __future__ import annotations

from alembic import context

# Every table registers itself on Base.metadata when its module is imported:
# the message log's in models, each capability's in its own package.
from saleor_sms_app import models  # noqa: F401
from saleor_sms_app.anniversaries import tables as daily_send_tables  # noqa: F401
from saleor_sms_app.campaigns import tables as campaign_tables  # noqa: F401
from saleor_sms_app.db import Base, make_engine
from saleor_sms_app.scheduler import tables as scheduler_tables  # noqa: F401
from saleor_sms_app.stock import models as stock_models  # noqa: F401

config = context.config
url = config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url")
if not url:
    from saleor_sms_app.settings import Settings

    url = Settings.from_env().database_url


def run_migrations_offline() -> None:
    context.configure(url=url, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=url.startswith("sqlite"),
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
