"""Operator commands: ``python -m saleor_sms_app.cli migrate | rotate-secrets | sync-webhooks``."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from saleor_sms_app.errors import ConfigurationError
from saleor_sms_app.settings import Settings

if TYPE_CHECKING:
    from saleor_sms_app.services import Services


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="saleor_sms_app.cli")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate", help="bring the database schema up to date")
    sub.add_parser(
        "rotate-secrets",
        help="re-encrypt stored tokens and provider secrets with the first SECRET_KEY",
    )
    sync = sub.add_parser(
        "sync-webhooks",
        help="bring every installed shop's Saleor webhooks in line with this version's manifest",
    )
    sync.add_argument(
        "--dry-run", action="store_true", help="print what would change, change nothing"
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
    if args.command == "sync-webhooks":
        from saleor_sms_app.services import Services

        return _sync_webhooks(Services.build(settings), dry_run=args.dry_run)
    return 1


def _sync_webhooks(services: Services, *, dry_run: bool) -> int:
    """Every installed shop, one after another, in this process (no worker needed)."""
    from saleor_sms_app.errors import SmsAppError
    from saleor_sms_app.saleor.tenants import get_tenant_by_id
    from saleor_sms_app.saleor.webhook_sync import sync_tenant, tenants_to_sync

    failed = 0
    # Every installed shop, whatever it recorded: the operator asked for a check.
    for tenant_id in tenants_to_sync(services, marker=None):
        tenant = get_tenant_by_id(services, tenant_id)
        if tenant is None:
            continue
        try:
            report = sync_tenant(services, tenant, dry_run=dry_run)
        except SmsAppError as exc:
            print(f"{tenant.saleor_api_url}: NOT synced: {exc.message}", file=sys.stderr)
            failed += 1
            continue
        verb = "would" if dry_run else "did"
        steps = [c.describe() for c in report.plan] or ["nothing to change"]
        print(f"{tenant.saleor_api_url}: {verb}: " + "; ".join(steps))
        for change, reason in report.failed:
            print(
                f"{tenant.saleor_api_url}: NOT done: {change.describe()}: {reason}", file=sys.stderr
            )
        failed += bool(report.failed)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
