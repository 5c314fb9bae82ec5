"""``POST /api/webhooks/<event>``: signed deliveries from the loopback Saleor over real HTTP."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from rq import Queue
from sqlalchemy import select

from saleor_sms_app.models import Tenant
from saleor_sms_app.queueing import WEBHOOK_RETRY_INTERVALS, dedupe_key
from saleor_sms_app.saleor.tenants import get_tenant
from saleor_sms_app.services import QUEUE_NAME, Services
from tests.conftest import free_port
from tests.standin.saleor import SaleorStandin, fulfillment
from tests.standin.saleor.checkouts import make_checkout
from tests.standin.saleor.stock import make_variant, warehouse


def _order_created(saleor: SaleorStandin) -> bytes:
    return saleor.event_payload("ORDER_CREATED", {"order": saleor.make_order()})


def test_signed_order_created_enqueues_one_job(installed: Any) -> None:
    saleor, app = installed.saleor, installed.app
    services: Services = app.services
    body = _order_created(saleor)
    response = saleor.send_webhook(app.url, "ORDER_CREATED", body=body)
    assert response.status_code == 200, response.text
    assert response.json() == {"success": True}

    key = dedupe_key(saleor.api_url, "ORDER_CREATED", body)
    assert services.queue.job_ids == [f"webhook-{key}"]
    job = services.queue.fetch_job(f"webhook-{key}")
    assert job is not None
    assert job.func_name == "saleor_sms_app.jobs.handle_webhook"
    assert job.args == (saleor.api_url, "ORDER_CREATED", body.decode(), key)
    assert job.retries_left == 5 and job.retry_intervals == WEBHOOK_RETRY_INTERVALS
    ttl = services.redis.ttl(f"sms:webhook:{key}")
    assert 7 * 24 * 3600 - 60 < ttl <= 7 * 24 * 3600


def test_redelivery_is_answered_but_enqueued_once(installed: Any) -> None:
    saleor, app = installed.saleor, installed.app
    body = _order_created(saleor)
    first = saleor.send_webhook(app.url, "ORDER_CREATED", body=body)
    again = saleor.send_webhook(app.url, "ORDER_CREATED", body=body)
    assert first.json() == {"success": True}
    assert again.status_code == 200 and again.json() == {"success": True, "duplicate": True}
    assert app.services.queue.count == 1
    # A different event for the same order is a different delivery.
    other = saleor.send_webhook(app.url, "ORDER_CREATED", body=_order_created(saleor))
    assert other.json() == {"success": True} and app.services.queue.count == 2


def test_every_subscribed_order_event_is_accepted(installed: Any) -> None:
    saleor, app = installed.saleor, installed.app
    order = saleor.make_order(tracking_numbers=["TRACK-1"])
    for webhook in saleor.manifest["webhooks"]:
        event = webhook["asyncEvents"][0]
        if event == "APP_DELETED":
            continue
        fields: dict[str, Any] = {"order": order}
        if event in ("FULFILLMENT_CREATED", "FULFILLMENT_APPROVED"):
            fields |= {
                "fulfillment": fulfillment(tracking_number="TRACK-1"),
                "notifyCustomer": True,
            }
        if event.startswith("CHECKOUT_"):
            fields = {"checkout": make_checkout()}
        if event.startswith("PRODUCT_VARIANT_"):
            fields = {"productVariant": make_variant(), "warehouse": warehouse()}
        response = saleor.send_webhook(app.url, event, fields)
        assert response.status_code == 200, (event, response.text)
    assert app.services.queue.count == len(saleor.manifest["webhooks"]) - 1


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({"Saleor-Signature": None}, "signature_missing"),
        ({"Saleor-Signature": "garbage"}, "signature_invalid"),
    ],
)
def test_missing_or_malformed_signature_is_401(
    installed: Any, headers: dict[str, Any], code: str
) -> None:
    saleor, app = installed.saleor, installed.app
    response = saleor.send_webhook(
        app.url, "ORDER_CREATED", body=_order_created(saleor), headers=headers
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == code
    assert app.services.queue.count == 0


def test_forged_signature_is_401_and_refetches_the_jwks_at_most_once(installed: Any) -> None:
    saleor, app = installed.saleor, installed.app
    forger = SaleorStandin()  # another key, never started
    fetches = saleor.count("/.well-known/jwks.json")
    for _ in range(3):
        body = _order_created(saleor)
        response = saleor.send_webhook(
            app.url, "ORDER_CREATED", body=body, headers={"Saleor-Signature": forger.sign(body)}
        )
        assert response.status_code == 401
    assert saleor.count("/.well-known/jwks.json") == fetches + 1
    assert app.services.queue.count == 0


def test_body_changed_after_signing_is_401(installed: Any) -> None:
    saleor, app = installed.saleor, installed.app
    body = _order_created(saleor)
    signature = saleor.sign(body)
    tampered = body.replace(b'"UNFULFILLED"', b'"FULFILLED"')
    assert tampered != body
    response = saleor.send_webhook(
        app.url, "ORDER_CREATED", body=tampered, headers={"Saleor-Signature": signature}
    )
    assert response.status_code == 401


def test_key_rotation_refetches_once_then_refuses(installed: Any) -> None:
    saleor, app = installed.saleor, installed.app
    services: Services = app.services
    saleor.rotate_key()
    fetches = saleor.count("/.well-known/jwks.json")
    response = saleor.send_webhook(app.url, "ORDER_CREATED", body=_order_created(saleor))
    assert response.status_code == 200, response.text
    assert saleor.count("/.well-known/jwks.json") == fetches + 1
    with services.sessions() as session:
        stored = json.loads(session.scalars(select(Tenant)).one().jwks)
    assert stored == saleor.jwks()
    # The new key is used from the cache: no more fetches.
    assert (
        saleor.send_webhook(app.url, "ORDER_CREATED", body=_order_created(saleor)).status_code
        == 200
    )
    assert saleor.count("/.well-known/jwks.json") == fetches + 1

    # A second rotation within the minute: no second fetch, the delivery is refused.
    saleor.rotate_key()
    response = saleor.send_webhook(app.url, "ORDER_CREATED", body=_order_created(saleor))
    assert response.status_code == 401
    assert saleor.count("/.well-known/jwks.json") == fetches + 1
    # Once the minute is over (its key expires) the next failure fetches again.
    services.redis.delete(f"sms:jwks-refetch:{installed.tenant.id}")
    response = saleor.send_webhook(app.url, "ORDER_CREATED", body=_order_created(saleor))
    assert response.status_code == 200
    assert saleor.count("/.well-known/jwks.json") == fetches + 2


def test_unknown_tenant_is_401(installed: Any) -> None:
    saleor, app = installed.saleor, installed.app
    response = saleor.send_webhook(
        app.url,
        "ORDER_CREATED",
        body=_order_created(saleor),
        headers={"Saleor-Api-Url": "http://127.0.0.1:1/graphql/"},
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unknown_tenant"
    missing = saleor.send_webhook(
        app.url, "ORDER_CREATED", body=_order_created(saleor), headers={"Saleor-Api-Url": None}
    )
    assert missing.status_code == 401


def test_event_header_must_match_the_route(installed: Any) -> None:
    saleor, app = installed.saleor, installed.app
    response = saleor.send_webhook(
        app.url,
        "ORDER_CREATED",
        body=_order_created(saleor),
        headers={"Saleor-Event": "order_updated"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "event_mismatch"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{not json", "invalid_json"),
        (b"[]", "unexpected_payload"),
        (b'{"__typename": "OrderUpdated", "order": {"id": "T3JkZXI6MQ=="}}', "unexpected_payload"),
        (b'{"__typename": "OrderCreated", "order": {"id": 17}}', "unexpected_payload"),
        (b'{"__typename": "OrderCreated", "order": null}', "unexpected_payload"),
        (
            b'{"__typename": "OrderCreated", "order": {"id": "x", "number": 5}}',
            "unexpected_payload",
        ),
    ],
)
def test_signed_but_malformed_body_is_400(installed: Any, body: bytes, code: str) -> None:
    saleor, app = installed.saleor, installed.app
    response = saleor.send_webhook(app.url, "ORDER_CREATED", body=body)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    assert app.services.queue.count == 0


def test_oversized_body_is_413(installed: Any) -> None:
    saleor, app = installed.saleor, installed.app
    limit = app.services.settings.max_webhook_bytes
    body = b'{"__typename": "OrderCreated", "pad": "' + b"x" * limit + b'"}'
    response = saleor.send_webhook(app.url, "ORDER_CREATED", body=body)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_unknown_event_route_is_404(installed: Any) -> None:
    app = installed.app
    response = requests.post(app.url + "/api/webhooks/page_created", data=b"{}", timeout=5)
    assert response.status_code == 404
    assert response.json()["success"] is False


def test_redis_down_is_503_and_the_retry_is_not_a_duplicate(installed: Any, redis_url: str) -> None:
    saleor, app = installed.saleor, installed.app
    services: Services = app.services
    real_redis, real_queue = services.redis, services.queue
    dead = Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", socket_connect_timeout=0.5)
    services.redis, services.queue = dead, Queue(QUEUE_NAME, connection=dead)
    body = _order_created(saleor)
    try:
        response = saleor.send_webhook(app.url, "ORDER_CREATED", body=body)
    finally:
        services.redis, services.queue = real_redis, real_queue
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "queue_unavailable"
    retried = saleor.send_webhook(app.url, "ORDER_CREATED", body=body)
    assert retried.json() == {"success": True}
    assert services.queue.count == 1


def test_a_failed_enqueue_leaves_no_dedupe_key(
    installed: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    saleor, app = installed.saleor, installed.app
    services: Services = app.services

    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RedisConnectionError("connection reset")

    body = _order_created(saleor)
    monkeypatch.setattr(services.redis, "evalsha", broken)
    response = saleor.send_webhook(app.url, "ORDER_CREATED", body=body)
    assert response.status_code == 503
    key = dedupe_key(saleor.api_url, "ORDER_CREATED", body)
    assert services.redis.exists(f"sms:webhook:{key}") == 0
    monkeypatch.undo()
    assert saleor.send_webhook(app.url, "ORDER_CREATED", body=body).json() == {"success": True}
    assert services.queue.job_ids == [f"webhook-{key}"]


def test_app_deleted_uninstalls_and_enqueues_nothing(installed: Any) -> None:
    saleor, app, tenant = installed.saleor, installed.app, installed.tenant
    services: Services = app.services
    services.redis.set(f"sms:config:{tenant.id}", "cached configuration")
    response = saleor.uninstall(app.url)
    assert response is not None and response.status_code == 200, response.text
    assert services.queue.count == 0
    assert services.redis.exists(f"sms:config:{tenant.id}") == 0
    assert get_tenant(services, saleor.api_url) is None
    with services.sessions() as session:
        row = session.scalars(select(Tenant)).one()  # the row (and its log) stays
        assert row.token_encrypted is None and row.callback_secret_encrypted is None
        assert row.uninstalled_at is not None
    # Saleor no longer knows the app; a late delivery is refused.
    late = saleor.send_webhook(app.url, "ORDER_CREATED", body=_order_created(saleor))
    assert late.status_code == 401


def test_app_deleted_for_an_earlier_installation_is_ignored(installed: Any) -> None:
    saleor, app = installed.saleor, installed.app
    old_app = saleor.app_object() | {"id": "QXBwOjk5"}
    response = saleor.send_webhook(app.url, "APP_DELETED", {"app": old_app})
    assert response.status_code == 200
    assert response.json().get("ignored") is True
    assert get_tenant(app.services, saleor.api_url) is not None


def test_fulfillment_created_with_a_malformed_fulfillment_is_400(installed: Any) -> None:
    saleor, app = installed.saleor, installed.app
    order = saleor.make_order()
    body = json.dumps(
        {
            "__typename": "FulfillmentCreated",
            "order": {"id": order["id"], "number": order["number"]},
            "fulfillment": {"id": 3, "trackingNumber": "T"},
            "notifyCustomer": True,
        }
    ).encode()
    response = saleor.send_webhook(app.url, "FULFILLMENT_CREATED", body=body)
    assert response.status_code == 400
    assert "fulfillment.id" in response.json()["error"]["message"]
    assert app.services.queue.count == 0


def test_other_methods_and_nested_paths_get_json_errors(installed: Any) -> None:
    app = installed.app
    got = requests.get(app.url + "/api/webhooks/order_created", timeout=5)
    assert got.status_code == 405
    assert got.json()["error"]["code"] == "method_not_allowed"
    assert got.headers["Allow"] == "POST"
    nested = requests.post(app.url + "/api/webhooks/order_created/x", data=b"{}", timeout=5)
    assert nested.status_code == 404 and nested.json()["success"] is False
    assert app.services.queue.count == 0


def _chunked(raw: bytes) -> Any:
    """A body without Content-Length (requests sends a generator chunked)."""
    return (raw[i : i + 1000] for i in range(0, len(raw), 1000))


def test_a_chunked_delivery_is_read_within_the_limit(installed: Any) -> None:
    saleor, app = installed.saleor, installed.app
    body = _order_created(saleor)
    url = app.url + "/api/webhooks/order_created"
    headers = saleor.webhook_headers("ORDER_CREATED", body)
    accepted = requests.post(url, data=_chunked(body), headers=headers, timeout=5)
    assert accepted.status_code == 200 and accepted.json() == {"success": True}
    assert app.services.queue.job_ids == [
        f"webhook-{dedupe_key(saleor.api_url, 'ORDER_CREATED', body)}"
    ]
    limit = app.services.settings.max_webhook_bytes
    big = b'{"__typename": "OrderCreated", "pad": "' + b"x" * limit + b'"}'
    headers = saleor.webhook_headers("ORDER_CREATED", big)
    refused = requests.post(url, data=_chunked(big), headers=headers, timeout=5)
    assert refused.status_code == 413
    assert refused.json()["error"]["code"] == "payload_too_large"
    assert app.services.queue.count == 1


def test_a_bug_is_a_generic_500_and_logged(
    installed: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from saleor_sms_app.web import webhooks

    saleor, app = installed.saleor, installed.app

    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise KeyError("internal detail")

    monkeypatch.setattr(webhooks, "parse_payload", broken)
    response = saleor.send_webhook(app.url, "ORDER_CREATED", body=_order_created(saleor))
    assert response.status_code == 500
    assert response.json() == {
        "success": False,
        "error": {"code": "internal_error", "message": "internal error"},
    }
    assert "internal detail" not in response.text
    assert any("internal detail" in (r.exc_text or "") for r in caplog.records)
    assert app.services.queue.count == 0
