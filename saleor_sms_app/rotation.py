"""Re-encrypt every stored secret with the newest ``SECRET_KEY``.

Secrets live in two places: Saleor app tokens and callback secrets in our
database, and provider credentials inside each tenant's configuration in Saleor
metadata. Both must be re-encrypted before an old key is dropped, or whatever
still depends on it becomes unreadable. A tenant whose Saleor cannot be reached
is reported, not skipped silently, so the operator keeps the old key until a
later run succeeds.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import select

from saleor_sms_app.config.store import ConfigStore
from saleor_sms_app.db import session_scope
from saleor_sms_app.errors import SmsAppError
from saleor_sms_app.models import Tenant
from saleor_sms_app.saleor.tenants import clear_cache, get_tenant_by_id
from saleor_sms_app.services import Services

log = logging.getLogger(__name__)


@dataclass
class RotationReport:
    tenants: int = 0
    configurations: int = 0
    #: Saleor API URL → why its configuration could not be re-encrypted.
    failed: dict[str, str] = field(default_factory=dict)


def rotate_secrets(services: Services) -> RotationReport:
    report = RotationReport()
    box = services.secret_box
    installed: list[int] = []
    with session_scope(services.sessions) as session:
        for tenant in session.scalars(select(Tenant)):
            if tenant.token_encrypted:
                tenant.token_encrypted = box.rotate(tenant.token_encrypted)
                installed.append(tenant.id)
            if tenant.callback_secret_encrypted:
                tenant.callback_secret_encrypted = box.rotate(tenant.callback_secret_encrypted)
            report.tenants += 1
    clear_cache(services)

    store = ConfigStore(services)
    for tenant_id in installed:
        record = get_tenant_by_id(services, tenant_id)
        if record is None:
            continue
        try:
            config = store.load(record, fresh=True)
            if any(p.secrets for p in config.providers):
                # Saving writes every secret with the first key.
                store.save(record, config, expected_revision=config.revision)
                report.configurations += 1
        except SmsAppError as exc:
            log.warning(
                "could not re-encrypt the configuration of %s: %s", record.saleor_api_url, exc
            )
            report.failed[record.saleor_api_url] = exc.message
    return report
