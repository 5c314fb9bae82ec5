"""Inbound texts over real HTTP: authenticated like delivery reports, logged once,
STOP/START on the do-not-text list, HELP answered through the worker."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from saleor_sms_app.message_log import queries
from saleor_sms_app.models import Message, Suppression
from saleor_sms_app.providers.twilio import twilio_signature
from saleor_sms_app.saleor.tenants import TenantRecord
from saleor_sms_app.services import Services
from tests.conftest import drain_queue
from tests.inbound.conftest import HELP_TEXT, TWILIO_TOKEN, inbound_path
from tests.pipeline.support import outbox
from tests.standin.fixtures import LiveApp
from tests.standin.provider import StandinProvider

CUSTOMER = "+48601234567"


def _twilio_text(body: str, sid: str, **extra: str) -> dict[str, str]:
    return {
        "MessageSid": sid,
        "SmsSid": sid,
        "AccountSid": "AC0123456789abcdef0123456789abcdef",
        "From": CUSTOMER,
        "To": "+15005550006",
        "Body": body,
        "NumMedia": "0",
        "ApiVersion": "2010-04-01",
        **extra,
    }


def _post_twilio(app: LiveApp, path: str, form: dict[str, str], *, sign: bool = True) -> Any:
    headers = {}
    if sign:
        headers["X-Twilio-Signature"] = twilio_signature(TWILIO_TOKEN, app.url + path, form)
    return StandinProvider.post_inbound(app.url + path, form=form, headers=headers)


def _inbound(services: Services) -> list[Message]:
    with services.sessions() as session:
        return list(
            session.scalars(
                select(Message).where(Message.direction == "inbound").order_by(Message.id)
            )
        )


def _suppressed(services: Services) -> list[tuple[str, str, str]]:
    with services.sessions() as session:
        return [(s.phone, s.reason, s.source) for s in session.scalars(select(Suppression))]


def test_a_nul_character_in_a_text_is_dropped_and_the_stop_honoured(
    live_app: LiveApp, shop: TenantRecord
) -> None:
    """PostgreSQL refuses NUL characters (the fuzzing found a 500 there, and a STOP
    lost with it): a text is stored without them, so "STOP\x00" is a STOP."""
    services = live_app.services
    form = _twilio_text("STOP\x00", "SM\x00101", To="+1500\x005550006")
    answer = _post_twilio(live_app, inbound_path(shop, "tw"), form)
    assert answer.status_code == 200, answer.text
    assert _suppressed(services) == [(CUSTOMER, "replied STOP", "twilio")]
    [row] = _inbound(services)
    assert (row.body, row.provider_message_id, row.sender) == ("STOP", "SM101", "+15005550006")


def test_stop_puts_the_number_on_the_list_once(live_app: LiveApp, shop: TenantRecord) -> None:
    services = live_app.services
    form = _twilio_text("Stop", "SM100")
    answer = _post_twilio(live_app, inbound_path(shop, "tw"), form)
    assert answer.status_code == 200, answer.text
    # Twilio reads TwiML; an empty <Response/> makes it send nothing itself.
    assert answer.headers["Content-Type"].startswith("text/xml")
    assert "<Response></Response>" in answer.text
    assert _suppressed(services) == [(CUSTOMER, "replied STOP", "twilio")]
    [row] = _inbound(services)
    assert (row.status, row.phone, row.body, row.event) == ("received", CUSTOMER, "Stop", "INBOUND")
    assert (row.provider, row.provider_message_id, row.sender) == (
        "twilio",
        "SM100",
        "+15005550006",
    )
    assert row.error_hint and "do-not-text list" in row.error_hint
    # The dashboard's log shows it as a text from the customer.
    with services.sessions() as session:
        [shown] = queries.search_messages(session, shop.id, queries.LogQuery()).rows
        assert (shown["direction"], shown["event"], shown["status"]) == (
            "inbound",
            "INBOUND",
            "received",
        )
    with services.sessions() as session:
        stored = session.scalars(select(Suppression)).one()
        assert stored.created_at is not None

    # Twilio retries a webhook it thinks failed: the same message id changes nothing.
    again = _post_twilio(live_app, inbound_path(shop, "tw"), form)
    assert again.status_code == 200
    assert len(_inbound(services)) == 1
    assert len(_suppressed(services)) == 1


def test_start_takes_the_number_off(live_app: LiveApp, shop: TenantRecord) -> None:
    services = live_app.services
    path = inbound_path(shop, "tw")
    assert _post_twilio(live_app, path, _twilio_text("STOP", "SM1")).status_code == 200
    assert _suppressed(services)
    assert _post_twilio(live_app, path, _twilio_text(" start ", "SM2")).status_code == 200
    assert _suppressed(services) == []
    assert [m.body for m in _inbound(services)] == ["STOP", " start "]


def test_help_is_answered_with_the_merchants_text(live_app: LiveApp, shop: TenantRecord) -> None:
    services = live_app.services
    answer = _post_twilio(live_app, inbound_path(shop, "tw"), _twilio_text("help", "SM7"))
    assert answer.status_code == 200
    drain_queue(services)
    assert [(sms["to"], sms["body"]) for sms in outbox(services)] == [(CUSTOMER, HELP_TEXT)]
    with services.sessions() as session:
        reply = session.scalars(select(Message).where(Message.event == "HELP_REPLY")).one()
        assert (reply.direction, reply.status, reply.phone) == ("outbound", "sent", CUSTOMER)
    # A redelivered HELP is not answered twice.
    _post_twilio(live_app, inbound_path(shop, "tw"), _twilio_text("help", "SM7"))
    drain_queue(services)
    assert len(outbox(services)) == 1


def test_a_plain_reply_is_logged_and_changes_nothing(live_app: LiveApp, shop: TenantRecord) -> None:
    services = live_app.services
    text = "Can I stop by the shop tomorrow?"
    assert (
        _post_twilio(live_app, inbound_path(shop, "tw"), _twilio_text(text, "SM9")).status_code
        == 200
    )
    [row] = _inbound(services)
    assert row.body == text and row.error_hint is None
    assert _suppressed(services) == []


def test_refusals_change_nothing(live_app: LiveApp, shop: TenantRecord) -> None:
    services = live_app.services
    form = _twilio_text("STOP", "SM5")
    unsigned = _post_twilio(live_app, inbound_path(shop, "tw"), form, sign=False)
    assert unsigned.status_code == 401
    forged = dict(form, From="+48600000000")
    signature = twilio_signature(TWILIO_TOKEN, live_app.url + inbound_path(shop, "tw"), form)
    changed = StandinProvider.post_inbound(
        live_app.url + inbound_path(shop, "tw"),
        form=forged,
        headers={"X-Twilio-Signature": signature},
    )
    assert changed.status_code == 401
    wrong_secret = _post_twilio(live_app, inbound_path(shop, "tw", "not-the-secret"), form)
    assert wrong_secret.status_code == 401
    assert wrong_secret.json()["error"]["code"]
    no_such_provider = _post_twilio(live_app, inbound_path(shop, "nope"), form)
    assert no_such_provider.status_code == 404
    # The sandbox forwards no texts.
    sandbox = StandinProvider.post_inbound(live_app.url + inbound_path(shop, "sb"), form=form)
    assert sandbox.status_code == 404
    # A delivery report sent to the inbound URL by mistake is no text.
    report = {"MessageSid": "SM5", "MessageStatus": "delivered", "To": CUSTOMER}
    misdirected = _post_twilio(live_app, inbound_path(shop, "tw"), report)
    assert misdirected.status_code == 400
    assert "no inbound message" in misdirected.json()["error"]["message"]
    assert _inbound(services) == [] and _suppressed(services) == []


def test_vonage_get_with_digits_only_number(live_app: LiveApp, shop: TenantRecord) -> None:
    """Vonage writes numbers without "+" and may forward with GET; no signature
    secret is set, so the secret URL alone authenticates."""
    services = live_app.services
    answer = StandinProvider.post_inbound(
        live_app.url + inbound_path(shop, "vo"),
        query={
            "msisdn": "48601234567",
            "to": "447700900000",
            "messageId": "0B000001",
            "text": "UNSUBSCRIBE",
            "type": "text",
            "keyword": "UNSUBSCRIBE",
            "message-timestamp": "2026-11-29 10:13:54",
        },
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["opted_out"] == 1
    assert _suppressed(services) == [(CUSTOMER, "replied UNSUBSCRIBE", "vonage")]


def test_smsapi_polish_nie_answers_ok(live_app: LiveApp, shop: TenantRecord) -> None:
    services = live_app.services
    answer = StandinProvider.post_inbound(
        live_app.url + inbound_path(shop, "sa"),
        form={
            "sms_to": "48799000111",
            "sms_from": "48601234567",
            "sms_text": "Nie",
            "sms_date": "1795000000",
            "username": "shop",
            "MsgId": "6A7B8C9D0E1F2A3B4C5D6E7F",
        },
    )
    assert (answer.status_code, answer.text) == (200, "OK")
    assert _suppressed(services) == [(CUSTOMER, "replied NIE", "smsapi")]
