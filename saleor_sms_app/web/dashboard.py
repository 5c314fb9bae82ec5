"""The dashboard page (``/app``, the manifest's appUrl) and its JSON API (``/api/dashboard``).

Thin on purpose: every API view authenticates the dashboard token
(:mod:`saleor_sms_app.saleor.dashboard_auth`), checks the one permission it
needs, and hands plain values to framework-free code (``logsearch``, the
configuration store, rendering, providers). Errors are raised as the classes of
:mod:`saleor_sms_app.errors`; ``web/responses.py`` turns them into JSON.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable, Iterator
from dataclasses import asdict
from functools import wraps
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import phonenumbers
from flask import Blueprint, Response, current_app, g, jsonify, request, stream_with_context
from pydantic import ValidationError

from saleor_sms_app import balance, delivery, logsearch, orders, rendering, testmessage
from saleor_sms_app.automations.conditions import failing_rule_condition
from saleor_sms_app.config.model import AppConfig, ProviderConfig, Rule
from saleor_sms_app.config.store import ConfigStore, merge_secrets, redacted
from saleor_sms_app.errors import (
    BadRequest,
    InvalidConfiguration,
    InvalidPhoneNumber,
    NotFound,
    RetryableError,
)
from saleor_sms_app.events import EVENTS, ORDER_STATUSES
from saleor_sms_app.inbound.receiving import inbound_url
from saleor_sms_app.links import PreviewLinks
from saleor_sms_app.models import MessageStatus
from saleor_sms_app.saleor.dashboard_auth import (
    READ_PERMISSION,
    WRITE_PERMISSION,
    DashboardUser,
    bearer_token,
    verify_dashboard_token,
)
from saleor_sms_app.saleor.tenants import TenantRecord, saleor_client
from saleor_sms_app.services import Services

page = Blueprint("dashboard_page", __name__)
api = Blueprint("dashboard_api", __name__, url_prefix="/api/dashboard")

P = ParamSpec("P")
R = TypeVar("R")


def _services() -> Services:
    services: Services = current_app.extensions["sms_app"]
    return services


def current_user() -> DashboardUser:
    user: DashboardUser = g.dashboard_user
    return user


def requires(permission: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Verify the dashboard token and require ``permission`` before the view runs."""

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            user = verify_dashboard_token(
                _services(),
                bearer_token(request.headers),
                request.headers.get("Saleor-Api-Url", "").strip(),
            )
            user.require(permission)
            g.dashboard_user = user
            return view(*args, **kwargs)

        return wrapper

    return decorator


# --- the page -------------------------------------------------------------


def _dist() -> Path:
    return _services().settings.dashboard_dist


@page.get("/app")
@page.get("/app/")
def index() -> Response:
    """The built page; the same document for every deep link inside the app."""
    path = _dist() / "index.html"
    if not path.is_file():
        raise RetryableError(
            "the dashboard page is not built: run `make ui` (or `make run`)",
            code="dashboard_not_built",
        )
    response = Response(path.read_bytes(), mimetype="text/html")
    # The page must load inside the Saleor dashboard's iframe, from any Saleor.
    response.headers["Cache-Control"] = "no-cache"
    return response


@page.get("/app/assets/<path:name>")
def asset(name: str) -> Response:
    root = (_dist() / "assets").resolve()
    path = (root / name).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise NotFound(f"no such file: {name}")
    mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    response = Response(path.read_bytes(), mimetype=mimetype)
    # Vite puts a content hash in every asset name, so they never change.
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


# --- who am I and what can I pick ------------------------------------------


@api.get("/me")
@requires(READ_PERMISSION)
def me() -> Response:
    user = current_user()
    return jsonify(
        {
            "email": user.email,
            "saleor_api_url": user.saleor_api_url,
            "can_configure": WRITE_PERMISSION in user.permissions,
            "expires_at": user.expires_at,
        }
    )


def provider_types() -> list[dict[str, Any]]:
    """Every registered provider with its form fields (labels only, no values)."""
    from saleor_sms_app.providers import PROVIDERS, provider_class

    types = []
    for name in PROVIDERS:
        cls = provider_class(name)
        types.append(
            {
                "type": cls.name,
                "label": cls.label,
                "receives_inbound": cls.receives_inbound,
                "fields": [
                    {
                        "name": f.name,
                        "label": f.label,
                        "secret": f.secret,
                        "required": f.required,
                        "help": f.help,
                        "default": f.default,
                    }
                    for f in cls.fields
                ],
            }
        )
    return types


@api.get("/metadata")
@requires(READ_PERMISSION)
def metadata() -> Response:
    """What the editors offer: events, order statuses, provider types, template tokens."""
    return jsonify(
        {
            "events": [{"name": e.name, "label": e.label} for e in EVENTS if e.for_rules],
            "order_statuses": list(ORDER_STATUSES),
            "message_statuses": [s.value for s in MessageStatus],
            "providers": provider_types(),
            "tokens": template_tokens(),
        }
    )


def template_tokens() -> list[dict[str, Any]]:
    """The token catalogue for the picker, with examples from a sample order."""
    return [
        {"name": t.name, "description": t.description, "example": t.example}
        for t in rendering.TOKENS
    ]


# --- configuration -----------------------------------------------------------


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
            delivery.callback_url(
                _services().settings, tenant.id, tenant.callback_secret, original.id
            )
            if show_url
            else None
        )
        provider["inbound_url"] = (
            inbound_url(_services().settings, tenant.id, tenant.callback_secret, original.id)
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


def _field_messages(exc: ValidationError) -> dict[str, str]:
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
            "Some fields are not valid; fix them and save again.", details=_field_messages(exc)
        ) from None
    found = _country_problems(config)
    if found:
        raise InvalidConfiguration("Some countries are not valid.", details=found)
    return config


@api.get("/config")
@requires(READ_PERMISSION)
def read_config() -> Response:
    config = ConfigStore(_services()).load(current_user().tenant, fresh=True)
    return jsonify({"config": config_for_browser(config, current_user().tenant)})


@api.put("/config")
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
    saved = ConfigStore(_services()).save(current_user().tenant, config, expected_revision=revision)
    return jsonify({"config": config_for_browser(saved, current_user().tenant)})


# --- live preview ------------------------------------------------------------


@api.get("/orders/recent")
@requires(READ_PERMISSION)
def recent_orders() -> Response:
    """The merchant's latest orders, to pick one for the preview."""
    client = saleor_client(_services(), current_user().tenant)
    return jsonify({"orders": [asdict(o) for o in orders.recent_orders(client)]})


@api.post("/preview")
@requires(READ_PERMISSION)
def preview() -> Response:
    """Render a template against a chosen real order (or the sample one); never a 500."""
    body = json_body()
    template = body.get("template")
    if not isinstance(template, str):
        raise BadRequest("template must be text", details={"template": "must be text"})
    rule = _preview_rule(body.get("rule"))
    order_id = body.get("order_id")
    context = None
    failing = None
    if isinstance(order_id, str) and order_id:
        client = saleor_client(_services(), current_user().tenant)
        snapshot = orders.fetch_order(client, order_id)
        context = rendering.order_context(
            snapshot.order, shop_name=snapshot.shop_name or current_user().tenant.saleor_domain
        )
        failing = failing_rule_condition(rule, snapshot.order) if rule else None
    opt_out = body.get("opt_out_line") if body.get("marketing") is True else ""
    result = rendering.preview(
        template,
        context,
        links=PreviewLinks(_services().settings.short_link_base),
        opt_out_line=opt_out if isinstance(opt_out, str) else "",
    )
    info = result.segments
    return jsonify(
        {
            "text": result.text,
            "problems": result.problems,
            "encoding": info.encoding,
            "segments": info.segments,
            "units": info.units,
            "remaining": info.remaining,
            "unicode_characters": list(info.unicode_characters),
            "sample": context is None,
            # Whether the picked order meets the rule's conditions, and if not, which fails.
            "matches": None if rule is None or context is None else failing is None,
            "failing": failing,
        }
    )


def _preview_rule(document: Any) -> Rule | None:
    """The rule being edited, sent with the preview to check its conditions; 422 per field."""
    if document is None:
        return None
    try:
        return Rule.model_validate(document)
    except ValidationError as exc:
        details = {f"rule.{k}": v for k, v in _field_messages(exc).items()}
        raise InvalidConfiguration(
            "The rule has fields that are not valid.", details=details
        ) from None


# --- provider actions ------------------------------------------------------------


@api.post("/providers/<provider_id>/test")
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
            _services(), current_user().tenant_id, provider_id, raw_phone, text
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


@api.get("/providers/<provider_id>/balance")
@requires(READ_PERMISSION)
def provider_balance(provider_id: str) -> Response:
    """The provider's balance now (checking also records it for low-balance alerts)."""
    check = balance.check_provider_balance(_services(), current_user().tenant_id, provider_id)
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


@api.post("/providers/check")
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
            "The provider form is not valid.", details=_field_messages(exc)
        ) from None
    services = _services()
    stored = ConfigStore(services).load(current_user().tenant)
    merged = merge_secrets(stored.model_copy(update={"providers": [incoming]}), stored)
    context = services.provider_context()
    return jsonify(
        testmessage.check_provider(merged.providers[0], context, services.settings.provider_egress)
    )


@api.get("/providers/warnings")
@requires(READ_PERMISSION)
def low_balance() -> Response:
    """Providers whose last balance was below the merchant's threshold (a banner)."""
    warnings = balance.low_balance_warnings(_services(), current_user().tenant_id)
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


# --- the message log -------------------------------------------------------


@api.get("/messages")
@requires(READ_PERMISSION)
def messages() -> Response:
    query = logsearch.LogQuery.from_args(request.args)
    with _services().sessions() as session:
        result = logsearch.search_messages(session, current_user().tenant_id, query)
    return jsonify(result.to_json())


@api.get("/messages/export.csv")
@requires(READ_PERMISSION)
def export_messages() -> Response:
    query = logsearch.LogQuery.from_args(request.args)
    tenant_id = current_user().tenant_id
    services = _services()

    def generate() -> Iterator[str]:
        with services.sessions() as session:
            yield from logsearch.export_csv(session, tenant_id, query)

    response = Response(stream_with_context(generate()), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="sms-messages.csv"'
    return response


@api.get("/messages/stats")
@requires(READ_PERMISSION)
def message_stats() -> Response:
    query = logsearch.LogQuery.from_args(request.args)
    with _services().sessions() as session:
        days = logsearch.daily_counts(session, current_user().tenant_id, query)
    return jsonify({"days": days})


@api.get("/rules/last-sent")
@requires(READ_PERMISSION)
def rules_last_sent() -> Response:
    with _services().sessions() as session:
        last = logsearch.last_sent_by_rule(session, current_user().tenant_id)
    return jsonify({"last_sent": last})


def json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    return body
