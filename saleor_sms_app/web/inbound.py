"""``/api/inbound/<tenant_id>/<provider_id>/<secret>``: texts customers send the shop.

Authenticated like delivery reports (:mod:`.callbacks`); the adapter parses its
provider's inbound shape, :mod:`saleor_sms_app.inbound.receiving` logs and acts,
and HELP answers are queued after the commit. A provider without inbound
messages is 404; a request holding no inbound text is 400 and changes nothing.
The answer is what the provider wants (TwiML for Twilio, ``OK`` for SMSAPI),
else JSON.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, jsonify, request

from saleor_sms_app.db import session_scope
from saleor_sms_app.errors import BadRequest, NotFound
from saleor_sms_app.inbound.receiving import receive
from saleor_sms_app.messages.send_jobs import enqueue_sends
from saleor_sms_app.web.callbacks import authenticated_tenant, provider_call

log = logging.getLogger(__name__)

bp = Blueprint("inbound", __name__)

ROUTE = "/api/inbound/<id:tenant_id>/<provider_id>/<secret>"


@bp.route(ROUTE, methods=["GET", "POST", "HEAD"])
def inbound_message(tenant_id: int, provider_id: str, secret: str) -> Response:
    services, tenant = authenticated_tenant(tenant_id, secret)
    if request.method == "HEAD":
        return Response(status=200)
    call = provider_call(services, tenant, provider_id, "inbound message")
    if not call.adapter.receives_inbound:
        raise NotFound(f"{call.adapter.label} does not forward inbound messages")
    texts = call.adapter.parse_inbound(call.request)
    if not texts:
        raise BadRequest("no inbound message found in this request")
    with session_scope(services.sessions) as session:
        done = receive(session, tenant_id, call.provider, call.config.settings, texts)
    if done.suppressed or done.restored:
        log.info(
            "tenant %s: %d number(s) opted out, %d opted back in by text",
            tenant_id,
            len(done.suppressed),
            len(done.restored),
        )
    enqueue_sends(services, done.replies)
    if call.adapter.inbound_ok is not None:
        body, content_type = call.adapter.inbound_ok
        return Response(body, status=200, content_type=content_type)
    return jsonify(
        {
            "success": True,
            "logged": len(done.logged),
            "repeated": done.repeated,
            "opted_out": len(done.suppressed),
            "opted_in": len(done.restored),
        }
    )
