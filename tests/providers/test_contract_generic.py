"""The generic provider, configured for the stand-in's own API, against the shared contract."""

from __future__ import annotations

import json

from saleor_sms_app.config.model import ProviderConfig
from saleor_sms_app.providers.models import DeliveryStatus, FailureReason
from tests.providers.contract import ProviderContract, json_callback
from tests.standin.provider import standin_spec

R = FailureReason
D = DeliveryStatus


class TestGeneric(ProviderContract):
    """The generic provider configured for the stand-in's own API."""

    provider_type = "generic"
    secrets = {"secret": "generic-token-4242"}
    callback_in = "json"
    success = (200, {"id": "g-1", "status": "queued"})
    message_id = "g-1"
    refusals = [
        (
            (400, {"error": {"code": "BAD_NUMBER", "message": "Invalid number"}}),
            R.INVALID_NUMBER,
            False,
        ),
        (
            (402, {"error": {"code": "NO_FUNDS", "message": "Balance too low"}}),
            R.INSUFFICIENT_FUNDS,
            False,
        ),
        ((401, {"error": {"code": "DENIED", "message": "Bad token"}}), R.AUTHENTICATION, False),
        ((200, {"error": {"code": "WHATEVER", "message": "Something"}}), R.OTHER, False),
    ]
    callback = json_callback({"id": "g-1", "status": "delivered"})
    callback_events = [("g-1", D.DELIVERED, False)]

    def config(self, base_url: str) -> ProviderConfig:
        spec = json.loads(standin_spec(base_url))
        spec["body"]["callback"] = "{callback_url}"
        config = super().config(base_url)
        config.options["spec"] = json.dumps(spec)
        return config
