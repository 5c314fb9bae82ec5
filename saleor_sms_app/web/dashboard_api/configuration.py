"""The Settings screen's API: read and save the whole configuration (secrets never sent out).

Every screen edits its part of the one configuration document and saves it
through ``PUT /config``; the provider form's check reuses :func:`field_messages`
and :data:`BROWSER_ONLY_FIELDS`. After a save the daily sends' booked runs are
re-booked at their hour in the saved shop time zone (a no-op when it did not change).
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
from flask import Blueprint, Response, jsonify
from pydantic import ValidationError

from saleor_sms_app.anniversaries import store as daily_sends
from saleor_sms_app.checkouts.texts import template_problems
from saleor_sms_app.config.model import AppConfig
from saleor_sms_app.config.store import ConfigStore, redacted
from saleor_sms_app.db import session_scope
from saleor_sms_app.delivery_reports import receiving
from saleor_sms_app.errors import BadRequest, InvalidConfiguration
from saleor_sms_app.inbound.receiving import inbound_url
from saleor_sms_app.saleor.dashboard_auth import READ_PERMISSION, WRITE_PERMISSION
from saleor_sms_app.saleor.tenants import TenantRecord
from saleor_sms_app.scheduler.clock import SYSTEM_CLOCK
from saleor_sms_app.web.dashboard_api.access import current_user, json_body, requires, services

bp = Blueprint("configuration", __name__)


def config_for_browser(config: AppConfig, tenant: TenantRecord) -> dict[str, Any]:
    """The configuration with every secret value removed; only whether each is set.

    The delivery-report URL carries the tenant's callback secret: the merchant
    has to paste it into the provider's panel, so it is shown, but only to a
    user who may change the configuration.
    """
    doc = redacted(config).model_dump(mode="json")
    show_url = WRITE_PERMISSION in current_user().permissions
    for provider, original in zip(doc["providers"], config.providers, strict=True):
        provider["secrets"] = {}
        provider["secrets_set"] = {name: bool(value) for name, value in original.secrets.items()}
        provider["delivery_report_url"] = (
            receiving.callback_url(
                services().settings, tenant.id, tenant.callback_secret, original.id
            )
            if show_url
            else None
        )
        provider["inbound_url"] = (
            inbound_url(services().settings, tenant.id, tenant.callback_secret, original.id)
            if show_url
            else None
        )
    return doc


def _country_problems(config: AppConfig) -> dict[str, str]:
    """Two letters are not enough: the country must have a phone numbering plan.

    Phone numbers themselves are checked by the configuration store on save.
    """
    found: dict[str, str] = {}
    for name in ("default_country", "staff_country"):
        code = getattr(config.settings, name)
        if not phonenumbers.country_code_for_region(code):
            found[f"settings.{name}"] = f"{code} is not a country with phone numbers"
    return found


def field_messages(exc: ValidationError) -> dict[str, str]:
    """pydantic's errors as field path → message, the shape the page maps to inputs."""
    return {
        ".".join(str(part) for part in error["loc"]): error["msg"].removeprefix("Value error, ")
        for error in exc.errors()
    }


#: What :func:`config_for_browser` adds to a provider; dropped again on save.
BROWSER_ONLY_FIELDS = frozenset({"secrets_set", "delivery_report_url", "inbound_url"})


def parse_config(document: Any) -> AppConfig:
    """A configuration from the browser; 422 with a message per field when it does not fit."""
    if not isinstance(document, dict):
        raise BadRequest("config must be a JSON object", details={"config": "must be an object"})
    document = dict(document)
    providers = document.get("providers")
    if isinstance(providers, list):
        document["providers"] = [
            {k: v for k, v in p.items() if k not in BROWSER_ONLY_FIELDS}
            if isinstance(p, dict)
            else p
            for p in providers
        ]
    try:
        config = AppConfig.model_validate(document)
    except ValidationError as exc:
        raise InvalidConfiguration(
            "Some fields are not valid; fix them and save again.", details=field_messages(exc)
        ) from None
    found = _country_problems(config)
    if found:
        raise InvalidConfiguration("Some countries are not valid.", details=found)
    found = template_problems(config)
    if found:
        raise InvalidConfiguration("Some reminder texts are not valid.", details=found)
    return config


@bp.get("/config")
@requires(READ_PERMISSION)
def read_config() -> Response:
    config = ConfigStore(services()).load(current_user().tenant, fresh=True)
    return jsonify({"config": config_for_browser(config, current_user().tenant)})


@bp.put("/config")
@requires(WRITE_PERMISSION)
def write_config() -> Response:
    """Save if nobody saved since ``revision``; 409 naming the conflict, 422 per field."""
    body = json_body()
    revision = body.get("revision")
    if not isinstance(revision, int) or isinstance(revision, bool):
        raise BadRequest(
            "revision must be the number the page loaded", details={"revision": "required"}
        )
    config = parse_config(body.get("config"))
    saved = ConfigStore(services()).save(current_user().tenant, config, expected_revision=revision)
    with session_scope(services().sessions) as session:
        zone = ZoneInfo(saved.settings.shop_time_zone)
        daily_sends.replan_shop(session, current_user().tenant_id, zone, SYSTEM_CLOCK.now())
    return jsonify({"config": config_for_browser(saved, current_user().tenant)})
