"""Operator commands: ``python -m saleor_sms_app.cli migrate | rotate-secrets``."""

from __future__ import annotations

import argparse
import sys

from saleor_sms_app.errors import ConfigurationError
from saleor_sms_app.settings import Settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="saleor_sms_app.cli")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="bring the database schema up to date")
    sub.add_parser(
        "rotate-secrets", help="re-encrypt stored Saleor tokens with the first SECRET_KEY"
    )
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except ConfigurationError as exc:
        print(exc, file=sys.stderr)
        return 2
    if args.command == "migrate":
        from saleor_sms_app.migrate import upgrade

        upgrade(settings.database_url)
        print("database is up to date")
        return 0
    if args.command == "rotate-secrets":
        from saleor_sms_app.crypto import SecretBox
        from saleor_sms_app.db import make_engine, make_session_factory, session_scope
        from saleor_sms_app.models import Tenant

        box = SecretBox(settings.secret_keys)
        engine = make_engine(settings.database_url)
        count = 0
        with session_scope(make_session_factory(engine)) as session:
            for tenant in session.query(Tenant).all():
                if tenant.token_encrypted:
                    tenant.token_encrypted = box.rotate(tenant.token_encrypted)
                    count += 1
                if tenant.callback_secret_encrypted:
                    tenant.callback_secret_encrypted = box.rotate(tenant.callback_secret_encrypted)
        print(f"re-encrypted the secrets of {count} tenant(s)")
        return 0
    return 1


if __name__ == "__main__":
    sys.exit(main())
