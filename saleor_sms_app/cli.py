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
        "rotate-secrets",
        help="re-encrypt stored tokens and provider secrets with the first SECRET_KEY",
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
        from saleor_sms_app.rotation import rotate_secrets
        from saleor_sms_app.services import Services

        services = Services.build(settings)
        report = rotate_secrets(services)
        print(
            f"re-encrypted the secrets of {report.tenants} tenant(s) and "
            f"{report.configurations} configuration(s) in Saleor"
        )
        for url, reason in report.failed.items():
            print(f"NOT re-encrypted, keep the old key for now: {url}: {reason}", file=sys.stderr)
        return 1 if report.failed else 0
    return 1


if __name__ == "__main__":
    sys.exit(main())
