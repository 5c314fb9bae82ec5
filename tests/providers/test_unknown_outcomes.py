"""A send that reached the provider but got no answer is ``unknown``: never failed
over, never retried blindly; settled later where the provider can tell."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import requests

from saleor_sms_app.config.model import AppConfig, ProviderConfig
from saleor_sms_app.delivery_reports import settling
from saleor_sms_app.messages import dispatching
from saleor_sms_app.models import utcnow
from saleor_sms_app.providers import build_provider
from saleor_sms_app.providers.base import ProviderContext
from saleor_sms_app.providers.models import FailureReason, OutboundSms, ProviderError
from saleor_sms_app.saleor.tenants import TenantRecord
from saleor_sms_app.services import Services
from tests.providers.conftest import (
    attempts_of,
    generic_config,
    log_message,
    message_row,
    use_config,
    use_two_providers,
)
from tests.standin.provider import StandinProvider

#: The read timeout the tests give providers; the stand-in stalls longer.
TIMEOUT = 0.3


@pytest.fixture
def short_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    original = ProviderContext.__init__

    def init(self: ProviderContext, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **{**kwargs, "timeout": TIMEOUT})

    monkeypatch.setattr(ProviderContext, "__init__", init)


def test_read_timeout_after_the_request_left_is_unknown_and_not_failed_over(
    services: Services,
    tenant: TenantRecord,
    standin_provider: StandinProvider,
    standin_provider_b: StandinProvider,
    short_timeout: None,
) -> None:
    standin_provider.mode, standin_provider.slow_seconds = "slow", TIMEOUT + 0.7
    use_two_providers(services, tenant, standin_provider.url, standin_provider_b.url)
    message_id = log_message(services, tenant.id)
    # Final: no RQ retry either (retries_left would otherwise re-send it).
    assert dispatching.send_message(services, message_id, retries_left=3) == "unknown"
    assert len(standin_provider.requests) == 1
    assert standin_provider_b.requests == []
    assert attempts_of(services, message_id) == [("a", "unknown", "no_answer")]
    message = message_row(services, message_id)
    assert (message.status, message.error_code, message.provider_id) == (
        "unknown",
        "no_answer",
        "a",
    )
    assert message.error_text and "may or may not have taken it" in message.error_text
    assert message.error_hint and "not sent through another provider" in message.error_hint


@pytest.fixture
def dropping_server() -> Iterator[str]:
    """Reads a whole request, then closes the connection without answering."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(2)
                data = b""
                while b"\r\n\r\n" not in data:
                    data += conn.recv(65536)
                head, _, body = data.partition(b"\r\n\r\n")
                length = next(
                    (
                        int(line.split(b":")[1])
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length")
                    ),
                    0,
                )
                while len(body) < length:
                    body += conn.recv(65536)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    server.close()


def _adapter(base_url: str, timeout: float = 2.0) -> Any:
    config = generic_config("a", base_url)
    return build_provider(config, ProviderContext(session=requests.Session(), timeout=timeout))


def test_connection_dropped_after_the_request_is_no_answer(dropping_server: str) -> None:
    with pytest.raises(ProviderError) as info:
        _adapter(dropping_server).send(OutboundSms(to="+48500100200", body="hi", reference="1"))
    assert info.value.reason == FailureReason.NO_ANSWER
    assert info.value.outcome_unknown and not info.value.should_fail_over


def test_connect_failures_never_reached_the_provider(standin_provider: StandinProvider) -> None:
    """Refused connection and DNS failure: provably not sent, so failing over is safe."""
    for url in (standin_provider.down_url, "http://no-such-host.invalid"):
        with pytest.raises(ProviderError) as info:
            _adapter(url).send(OutboundSms(to="+48500100200", body="hi", reference="1"))
        assert info.value.reason == FailureReason.PROVIDER_UNAVAILABLE, url
        assert info.value.should_fail_over and not info.value.outcome_unknown


# ------------------------------------------------------------------ settling


def _smsapi(url: str) -> ProviderConfig:
    return ProviderConfig(
        id="s",
        type="smsapi",
        name="SMSAPI",
        options={"base_url": url},
        secrets={"token": "t0k3n-s"},
    )


def _infobip(url: str) -> ProviderConfig:
    return ProviderConfig(
        id="i",
        type="infobip",
        name="Infobip",
        options={"base_url": url},
        secrets={"api_key": "k3y-i"},
    )


def _unknown_through(
    services: Services,
    tenant: TenantRecord,
    provider: StandinProvider,
    config: ProviderConfig,
    ok: Any,
) -> int:
    """A message whose first send got no answer (the stand-in took it, then stalled)."""
    use_config(services, tenant, AppConfig(providers=[config]))
    provider.mode, provider.slow_seconds = "slow", TIMEOUT + 0.7
    provider.answer(200, ok)
    message_id = log_message(services, tenant.id)
    assert dispatching.send_message(services, message_id, retries_left=0) == "unknown"
    provider.mode = "accept"
    return message_id


def _settle(services: Services, minutes: float = 2) -> settling.Settled:
    return settling.settle_unknown_sends(services, now=utcnow() + timedelta(minutes=minutes))


SMSAPI_OK = {"count": 1, "list": [{"id": "SMSAPI-1", "points": 0.16}]}


def test_smsapi_repeat_refused_as_duplicate_settles_as_sent(
    services: Services, tenant: TenantRecord, standin_provider: StandinProvider, short_timeout: None
) -> None:
    message_id = _unknown_through(
        services, tenant, standin_provider, _smsapi(standin_provider.url), SMSAPI_OK
    )
    assert _settle(services, minutes=0.5) == settling.Settled()  # too soon: reports may settle it
    assert len(standin_provider.requests) == 1
    standin_provider.answer(200, {"error": 53, "message": "Not unique idx"})
    assert _settle(services).sent_before == (message_id,)
    repeat = standin_provider.requests[-1].form
    assert (repeat["idx"], repeat["check_idx"]) == (str(message_id), "1")
    message = message_row(services, message_id)
    assert (message.status, message.provider_message_id, message.error_code) == ("sent", None, None)
    assert attempts_of(services, message_id) == [
        ("s", "unknown", "no_answer"),
        ("s", "duplicate", "53"),
    ]
    assert _settle(services, minutes=3) == settling.Settled()  # settled once
    assert len(standin_provider.requests) == 2


def test_smsapi_repeat_accepted_means_the_first_never_arrived(
    services: Services, tenant: TenantRecord, standin_provider: StandinProvider, short_timeout: None
) -> None:
    message_id = _unknown_through(
        services, tenant, standin_provider, _smsapi(standin_provider.url), SMSAPI_OK
    )
    standin_provider.answer(200, {"count": 1, "list": [{"id": "SMSAPI-2", "points": 0.16}]})
    assert _settle(services).sent_now == (message_id,)
    message = message_row(services, message_id)
    assert (message.status, message.provider_message_id) == ("sent", "SMSAPI-2")


def test_infobip_duplicate_message_id_settles_with_our_id(
    services: Services, tenant: TenantRecord, standin_provider: StandinProvider, short_timeout: None
) -> None:
    message_id = _unknown_through(
        services,
        tenant,
        standin_provider,
        _infobip(standin_provider.url),
        {"messages": [{"messageId": "x", "status": {"groupName": "PENDING"}}]},
    )
    duplicate = {"groupName": "REJECTED", "name": "REJECTED_DUPLICATE_MESSAGE_ID"}
    standin_provider.answer(
        200, {"messages": [{"messageId": str(message_id), "status": duplicate}]}
    )
    assert _settle(services).sent_before == (message_id,)
    assert standin_provider.requests[-1].json["messages"][0]["destinations"][0]["messageId"] == str(
        message_id
    )
    message = message_row(services, message_id)
    assert (message.status, message.provider_message_id) == ("sent", str(message_id))


def test_no_answer_again_stays_unknown_and_is_asked_next_round(
    services: Services, tenant: TenantRecord, standin_provider: StandinProvider, short_timeout: None
) -> None:
    message_id = _unknown_through(
        services, tenant, standin_provider, _smsapi(standin_provider.url), SMSAPI_OK
    )
    standin_provider.mode = "slow"
    standin_provider.answer(200, SMSAPI_OK)
    assert _settle(services).still_unknown == (message_id,)
    assert message_row(services, message_id).status == "unknown"
    standin_provider.mode = "accept"
    standin_provider.answer(200, {"error": 53, "message": "Not unique idx"})
    assert _settle(services, minutes=5).sent_before == (message_id,)


def test_providers_that_cannot_tell_and_old_messages_are_left_unknown(
    services: Services, tenant: TenantRecord, standin_provider: StandinProvider, short_timeout: None
) -> None:
    generic = _unknown_through(
        services, tenant, standin_provider, generic_config("g", standin_provider.url), {"id": "g-1"}
    )
    assert _settle(services) == settling.Settled()
    smsapi = _unknown_through(
        services, tenant, standin_provider, _smsapi(standin_provider.url), SMSAPI_OK
    )
    assert _settle(services, minutes=61) == settling.Settled()  # over an hour old: left alone
    assert (
        message_row(services, generic).status == message_row(services, smsapi).status == "unknown"
    )
    assert len(standin_provider.requests) == 2  # the two first sends, nothing more


def test_the_workers_maintenance_settles_and_discards_under_one_lock(
    services: Services,
    tenant: TenantRecord,
    standin_provider: StandinProvider,
    short_timeout: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from saleor_sms_app import worker

    message_id = _unknown_through(
        services, tenant, standin_provider, _smsapi(standin_provider.url), SMSAPI_OK
    )
    later = utcnow() + timedelta(minutes=2)
    monkeypatch.setattr(settling, "utcnow", lambda: later)
    services.redis.set("sms:settle-lock", "1")  # another worker is settling
    worker.run_sending_maintenance(services)
    assert message_row(services, message_id).status == "unknown"
    services.redis.delete("sms:settle-lock")
    standin_provider.answer(200, {"error": 53, "message": "Not unique idx"})
    worker.run_sending_maintenance(services)
    assert message_row(services, message_id).status == "sent"
    assert services.redis.get("sms:settle-lock") is None


def test_a_gateway_timeout_is_unknown_but_other_5xx_fail_over(
    services: Services,
    tenant: TenantRecord,
    standin_provider: StandinProvider,
    standin_provider_b: StandinProvider,
) -> None:
    """504: the provider's own gateway gave up on its backend, which may have the
    message. 500, 502 and 503 are the provider refusing: the next provider sends."""
    use_two_providers(services, tenant, standin_provider.url, standin_provider_b.url)
    gateway = "<html><body>504 Gateway Time-out</body></html>"
    standin_provider.answer(504, gateway, "text/html")
    unknown = log_message(services, tenant.id)
    assert dispatching.send_message(services, unknown, retries_left=3) == "unknown"
    assert standin_provider_b.requests == []
    for status in (500, 502, 503):
        standin_provider.answer(status, "<html>down</html>", "text/html")
        message_id = log_message(services, tenant.id)
        assert dispatching.send_message(services, message_id) == "sent", status
    assert len(standin_provider_b.requests) == 3
