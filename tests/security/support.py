"""Shared by the security and fuzz tests.

* :func:`state`: what "nothing changed" means: every column of every row of
  every table, the stored metadata in the Saleor stand-ins, the sandbox outbox.
* :func:`every_provider`: one configured provider of every registered type,
  each with its own secrets, speaking to a loopback stand-in.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from saleor_sms_app.config.model import ProviderConfig
from saleor_sms_app.db import Base
from saleor_sms_app.providers import PROVIDERS, provider_class
from saleor_sms_app.services import Services
from tests.standin.provider import standin_spec
from tests.standin.saleor import SaleorStandin


def database_rows(services: Services) -> dict[str, list[tuple[Any, ...]]]:
    """Every column of every row of every table, in a stable order."""
    rows = {}
    with services.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            found = conn.execute(select(table)).all()
            rows[table.name] = sorted((tuple(r) for r in found), key=repr)
    return rows


def state(services: Services, *saleors: SaleorStandin) -> dict[str, Any]:
    return {
        "database": database_rows(services),
        "metadata": [dict(s.app_private_metadata) for s in saleors],
        "outbox": (
            services.settings.sandbox_outbox.read_text()
            if services.settings.sandbox_outbox.exists()
            else ""
        ),
    }


def every_provider(base_url: str, tag: str = "") -> list[ProviderConfig]:
    """A provider of every type, ids = type names; each secret is distinct and
    recognisable (``<tag>secret-<type>-<field>-...``) so tests can grep for it."""
    configs = []
    for name in PROVIDERS:
        cls = provider_class(name)
        options: dict[str, str | int | float | bool | None] = {}
        secrets: dict[str, str] = {}
        for field in cls.fields:
            if field.secret:
                secrets[field.name] = f"{tag}secret-{name}-{field.name}-9f3Kq7Zx"
            elif field.name == "base_url":
                options["base_url"] = base_url
            elif field.name == "spec":
                spec = json.loads(standin_spec(base_url))
                spec["delivery"] = {"id_path": "id", "status_path": "status"}
                spec["headers"] = {"Authorization": "Bearer {secret}"}
                options["spec"] = json.dumps(spec)
            elif field.name == "account_sid":
                options[field.name] = "AC0123456789abcdef0123456789abcdef"
            elif field.default is None:
                options[field.name] = f"{name}-{field.name}"
        configs.append(
            ProviderConfig(
                id=name,
                type=name,
                name=name,
                sender="+15005550006",
                options=options,
                secrets=secrets,
            )
        )
    return configs
