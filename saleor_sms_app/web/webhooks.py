"""``POST /api/webhooks/<event>``: verify, de-duplicate, enqueue, answer.

Order matters and is deliberate: size, tenant and event are checked first
(cheap, no parsing), then the signature over the raw bytes, and only a
verified body is parsed. The request never calls Saleor or a provider; with a
cached tenant it touches neither the database nor anything but two Redis round
trips, so Saleor's delivery stays fast and our worker absorbs the real work.
"""

from __future__ import annotations

import json
import logging

from flask import Blueprint, Response, current_app, jsonify, request
from redis.exceptions import RedisError

from saleor_sms_app.errors import BadRequest, NotFound, PayloadTooLarge, Unauthorized
from saleor_sms_app.events import BY_HEADER
from saleor_sms_app.queueing import enqueue_webhook
from saleor_sms_app.saleor import tenants
from saleor_sms_app.saleor.manifest import WEBHOOK_PATH_PREFIX
from saleor_sms_app.saleor.payloads import parse_payload
from saleor_sms_app.saleor.signatures import verify_webhook
from saleor_sms_app.services import Services

log = logging.getLogger(__name__)

bp = Blueprint("webhooks", __name__)

#: The hot path's answers, encoded once: ``jsonify`` per request cost more than the
#: signature check's parsing around it.
_ACCEPTED = json.dumps({"success": True}).encode()
_DUPLICATE = json.dumps({"success": True, "duplicate": True}).encode()

#: The configuration cache the pipeline keeps per tenant (config/store.py).
CONFIG_CACHE_KEY = "sms:config:{tenant_id}"


@bp.post(WEBHOOK_PATH_PREFIX + "<event_name>")
def receive(event_name: str) -> Response:
    services: Services = current_app.extensions["sms_app"]
    event = BY_HEADER.get(event_name)
    if event is None:
        raise NotFound(f"no webhook for event {event_name!r}")
    length = request.content_length
    if length is not None and length > services.settings.max_webhook_bytes:
        raise PayloadTooLarge("the webhook body is too large")

    api_url = request.headers.get("Saleor-Api-Url", "")
    tenant = tenants.get_tenant(services, api_url) if api_url else None
    if tenant is None:
        raise Unauthorized("this Saleor has not installed the app", code="unknown_tenant")
    header_event = request.headers.get("Saleor-Event", "")
    if header_event.lower() != event.header_value:
        raise BadRequest(
            f"Saleor-Event {header_event!r} does not match this endpoint ({event.header_value})",
            code="event_mismatch",
        )

    body = request.get_data(cache=False)
    if len(body) > services.settings.max_webhook_bytes:
        raise PayloadTooLarge("the webhook body is too large")
    tenant = verify_webhook(services, tenant, request.headers.get("Saleor-Signature"), body)
    payload = parse_payload(event, body)

    if event.name == "APP_DELETED":
        app = payload.get("app")
        if isinstance(app, dict) and app.get("id") not in (None, tenant.app_id):
            # A late delivery for an earlier installation must not remove the current one.
            log.info("tenant %s: APP_DELETED for an earlier app id, ignored", tenant.id)
            return jsonify({"success": True, "ignored": True})
        tenants.uninstall(services, api_url)
        try:
            services.redis.delete(CONFIG_CACHE_KEY.format(tenant_id=tenant.id))
        except RedisError:
            log.warning("tenant %s: could not drop the cached configuration", tenant.id)
        log.info("tenant %s uninstalled (APP_DELETED)", tenant.id)
        return jsonify({"success": True})

    accepted = enqueue_webhook(services, api_url, event.name, body)
    return Response(_ACCEPTED if accepted else _DUPLICATE, mimetype="application/json")
