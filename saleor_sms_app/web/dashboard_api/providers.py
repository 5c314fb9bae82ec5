"""The Providers screen's API: test message, balance, check a form, low-balance warnings."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify
from pydantic import ValidationError

from saleor_sms_app.config.model import ProviderConfig
from saleor_sms_app.config.store import ConfigStore, merge_secrets
from saleor_sms_app.errors import BadRequest, InvalidConfiguration, InvalidPhoneNumber
from saleor_sms_app.provider_checks import balance, testmessage
from saleor_sms_app.saleor.dashboard_auth import READ_PERMISSION, WRITE_PERMISSION
from saleor_sms_app.web.dashboard_api.access import current_user, json_body, requires, services
from saleor_sms_app.web.dashboard_api.configuration import BROWSER_ONLY_FIELDS, field_messages

bp = Blueprint("providers", __name__)


@bp.post("/providers/<provider_id>/test")
@requires(WRITE_PERMISSION)
def send_test_message(provider_id: str) -> Response:
    """Send one text through one provider and show the provider's own answer."""
    body = json_body()
    raw_phone = body.get("phone")
    if not isinstance(raw_phone, str):
        raise BadRequest("phone must be text", details={"phone": "required"})
    text = str(body.get("text") or "Test message from your Saleor shop's SMS app.")
    try:
        result = testmessage.send_test_message(
            services(), current_user().tenant_id, provider_id, raw_phone, text
        )
    except InvalidPhoneNumber as exc:
        raise InvalidConfiguration(exc.message, details={"phone": exc.message}) from None
    error = result.error or {}
    return jsonify(
        {
            "ok": result.ok,
            "status": result.status,
            "provider_message_id": result.provider_message_id,
            "message_id": result.message_id,
            "answer": result.raw,
            "message": error.get("message"),
            "hint": error.get("hint"),
            "provider_code": error.get("code"),
        }
    )


@bp.get("/providers/<provider_id>/balance")
@requires(READ_PERMISSION)
def provider_balance(provider_id: str) -> Response:
    """The provider's balance now (checking also records it for low-balance alerts)."""
    check = balance.check_provider_balance(services(), current_user().tenant_id, provider_id)
    if not check.supported:
        return jsonify({"supported": False, "message": check.error})
    if check.balance is None:
        return jsonify({"supported": True, "ok": False, "message": check.error})
    return jsonify(
        {
            "supported": True,
            "ok": True,
            "amount": str(check.balance.amount),
            "currency": check.balance.currency,
            "below_threshold": check.below_threshold,
        }
    )


@bp.post("/providers/check")
@requires(WRITE_PERMISSION)
def check_provider_settings() -> Response:
    """Check a provider form before saving: field problems, or does the provider accept it.

    Secrets left blank in the form are taken from the stored provider of the
    same id and type, exactly as saving would, so a merchant can re-check a
    provider without typing its API key again.
    """
    document = json_body().get("provider")
    if not isinstance(document, dict):
        raise BadRequest("provider must be an object", details={"provider": "required"})
    try:
        incoming = ProviderConfig.model_validate(
            {k: v for k, v in document.items() if k not in BROWSER_ONLY_FIELDS}
        )
    except ValidationError as exc:
        raise InvalidConfiguration(
            "The provider form is not valid.", details=field_messages(exc)
        ) from None
    found = services()
    stored = ConfigStore(found).load(current_user().tenant)
    merged = merge_secrets(stored.model_copy(update={"providers": [incoming]}), stored)
    context = found.provider_context()
    return jsonify(
        testmessage.check_provider(merged.providers[0], context, found.settings.provider_egress)
    )


@bp.get("/providers/warnings")
@requires(READ_PERMISSION)
def low_balance() -> Response:
    """Providers whose last balance was below the merchant's threshold (a banner)."""
    warnings = balance.low_balance_warnings(services(), current_user().tenant_id)
    return jsonify(
        {
            "warnings": [
                {
                    "provider_id": w.provider_id,
                    "balance": None if w.balance is None else str(w.balance),
                    "currency": w.currency,
                    "since": w.since,
                }
                for w in warnings
            ]
        }
    )
