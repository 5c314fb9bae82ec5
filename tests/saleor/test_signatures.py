"""Signature checks against the three real webhooks captured from Saleor 3.23.28."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
import requests
from redis import Redis

from saleor_sms_app.queueing import dedupe_key
from saleor_sms_app.saleor.jwks import public_keys
from saleor_sms_app.saleor.signatures import signature_matches
from saleor_sms_app.saleor.tenants import save_tenant
from saleor_sms_app.services import Services
from tests.conftest import capture_path

CAPTURES = ["order_created", "order_updated", "order_fully_paid"]


def capture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(capture_path(f"webhook-{name}.json").read_text())
    return data


def captured_jwks() -> dict[str, Any]:
    jwks: dict[str, Any] = json.loads(capture_path("jwks.json").read_text())
    return jwks


def header(data: dict[str, Any], name: str) -> str:
    value: str = next(v for k, v in data["headers"] if k == name)
    return value


@pytest.mark.parametrize("name", CAPTURES)
def test_captured_webhook_verifies_and_a_changed_byte_does_not(name: str) -> None:
    data = capture(name)
    keys = public_keys(captured_jwks())
    assert len(keys) == 1
    body = data["body_raw"].encode()
    signature = header(data, "Saleor-Signature")
    assert signature_matches(keys, signature, body)
    for index in (0, len(body) // 2, len(body) - 1):
        changed = bytearray(body)
        changed[index] ^= 0x01
        assert not signature_matches(keys, signature, bytes(changed))
    assert not signature_matches(keys, signature, body + b" ")
    assert not signature_matches(keys, signature.replace("..", ".e30.", 1), body)


def test_a_key_that_is_not_rs256_or_not_for_signing_is_ignored() -> None:
    key = captured_jwks()["keys"][0]
    assert public_keys({"keys": [{**key, "use": "enc"}]}) == {}
    assert public_keys({"keys": [{**key, "alg": "RS512"}]}) == {}
    assert public_keys({"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}) == {}
    assert public_keys({"nokeys": True}) == {}


def test_signature_with_alg_none_or_hs256_is_refused() -> None:
    data = capture("order_created")
    keys = public_keys(captured_jwks())
    body = data["body_raw"].encode()
    for alg in ("none", "HS256"):
        forged_header = json.dumps({"alg": alg, "b64": False, "crit": ["b64"]}).encode()
        encoded = base64.urlsafe_b64encode(forged_header).rstrip(b"=").decode()
        assert not signature_matches(keys, encoded + "..", body)
        assert not signature_matches(keys, encoded + "..c2ln", body)


@pytest.mark.parametrize("name", CAPTURES)
def test_captured_delivery_is_accepted_by_the_webhook_endpoint(
    live_app: Any, services: Services, redis_url: str, name: str
) -> None:
    """The real bytes and headers Saleor sent, replayed against the real endpoint."""
    data = capture(name)
    api_url = header(data, "Saleor-Api-Url")
    tenant = save_tenant(
        services,
        saleor_api_url=api_url,
        saleor_domain=header(data, "Saleor-Domain"),
        app_id="QXBwOjE=",
        token="captured-token",
        jwks=captured_jwks(),
    )
    # No JWKS re-fetch from the captured Saleor's address (nothing of ours runs there).
    services.redis.set(f"sms:jwks-refetch:{tenant.id}", "1")
    headers = {k: v for k, v in data["headers"] if k not in {"Content-Length", "Host"}}
    body = data["body_raw"].encode()
    # The capture was made with one route for every event; ours has one per event.
    url = f"{live_app.url}/api/webhooks/{header(data, 'Saleor-Event')}"
    response = requests.post(url, data=body, headers=headers, timeout=10)
    assert response.status_code == 200, response.text
    assert response.json() == {"success": True}
    event = header(data, "Saleor-Event").upper()
    key = dedupe_key(api_url, event, body)
    assert services.queue.job_ids == [f"webhook-{key}"]
    assert Redis.from_url(redis_url).exists(f"sms:webhook:{key}") == 1

    changed = body.replace(b'"number": "', b'"number": "9', 1)
    assert changed != body
    refused = requests.post(url, data=changed, headers=headers, timeout=10)
    assert refused.status_code == 401
    assert services.queue.count == 1
