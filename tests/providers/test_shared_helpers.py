"""The pieces every adapter shares: reading flat delivery reports, the first entry
of an answer, the refusal hook of a JSON call and the report-code tables."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from saleor_sms_app.config.model import ProviderConfig
from saleor_sms_app.providers.base import CallbackRequest, ProviderContext
from saleor_sms_app.providers.callbacks import InboundFields, ReportFields, report_from
from saleor_sms_app.providers.http import OPTED_OUT, Answer, ErrorRule, HttpProvider
from saleor_sms_app.providers.models import (
    DeliveryStatus,
    FailureReason,
    OutboundSms,
    ProviderError,
    SendResult,
    SendStatus,
)
from saleor_sms_app.providers.values import first_entry
from tests.standin.provider import StandinProvider

FIELDS = ReportFields(
    message_id=("id", "old_id"),
    status=("state",),
    code=("err",),
    to=("msisdn", "to"),
    reference=("ref",),
    no_error=frozenset({"0"}),
)
STATUSES = {"delivered": DeliveryStatus.DELIVERED}


def test_a_flat_report_is_read_through_its_field_names() -> None:
    params = {"old_id": "m1", "state": "DELIVERED", "err": "7", "to": "48500", "ref": "42"}
    event = report_from(params, FIELDS, STATUSES)
    assert event is not None
    assert (event.provider_message_id, event.status, event.description) == (
        "m1",
        DeliveryStatus.DELIVERED,
        "delivered",
    )
    assert (event.provider_code, event.to, event.reference) == ("7", "48500", "42")
    assert event.raw == params and not event.opted_out


@pytest.mark.parametrize(
    ("params", "code", "to", "reference"),
    [
        # "no error" codes and empty values are no code; an empty ref no reference.
        ({"id": "m", "state": "x", "err": "0", "ref": ""}, None, None, None),
        ({"id": "m", "state": "x", "err": ""}, None, None, None),
        # An empty first name falls through to the next; the last one is kept as sent.
        ({"id": "m", "state": "x", "msisdn": "", "to": "48"}, None, "48", None),
        ({"id": "m", "state": "x", "msisdn": "", "to": ""}, None, "", None),
    ],
)
def test_empty_and_no_error_values(
    params: dict[str, str], code: str | None, to: str | None, reference: str | None
) -> None:
    event = report_from(params, FIELDS, STATUSES)
    assert event is not None
    assert event.status == DeliveryStatus.UNKNOWN
    assert (event.provider_code, event.to, event.reference) == (code, to, reference)


@pytest.mark.parametrize(
    "params", [{}, {"id": "m1"}, {"state": "delivered"}, {"id": "", "state": "delivered"}]
)
def test_no_report_without_an_id_and_a_status(params: dict[str, str]) -> None:
    assert report_from(params, FIELDS, STATUSES) is None


def test_first_entry() -> None:
    assert first_entry({"list": [{"id": 1}, {"id": 2}]}, "list") == {"id": 1}
    bodies: list[Any] = [{"list": []}, {"list": ["x"]}, {"list": {"id": 1}}, [{"id": 1}], None]
    for body in bodies:
        assert first_entry(body, "list") is None


class _Echo(HttpProvider):
    """A minimal adapter on the stand-in: codes in ``report_errors`` differ from send codes."""

    name: ClassVar[str] = "echo"
    label: ClassVar[str] = "Echo"
    errors = {"9": ErrorRule(FailureReason.INSUFFICIENT_FUNDS, hint="top up")}
    report_errors = {"9": OPTED_OUT}
    report_fields = FIELDS
    delivery = STATUSES
    inbound_fields = (
        InboundFields(sender="msisdn", to="to", text="text", message_id="id"),
        InboundFields(sender="from", to="to", text="body", message_id="uuid"),
    )

    def send(self, sms: OutboundSms) -> SendResult:
        answer, body = self.request_json("POST", "/send", json={"to": sms.to})
        return SendResult(SendStatus.QUEUED, str(body.get("id")), raw=answer.text)

    def refusal(self, answer: Answer, body: Any, path: str) -> ProviderError | None:
        if isinstance(body, dict) and body.get("error"):
            return self.fail(answer, body["error"], f"refused at {path}")
        return super().refusal(answer, body, path)


def _echo(standin_provider: StandinProvider, context: ProviderContext) -> _Echo:
    return _Echo(ProviderConfig(type="echo", options={"base_url": standin_provider.url}), context)


def test_request_json_raises_the_refusal_the_answer_holds(
    standin_provider: StandinProvider, provider_context: ProviderContext
) -> None:
    adapter = _echo(standin_provider, provider_context)
    standin_provider.answer(200, {"id": "e-1"})
    assert adapter.send(OutboundSms(to="+48500100200", body="x")).provider_message_id == "e-1"
    # An error inside an HTTP 200 is the adapter's refusal, through the send table.
    standin_provider.answer(200, {"error": "9"})
    with pytest.raises(ProviderError) as info:
        adapter.send(OutboundSms(to="+48500100200", body="x"))
    assert (info.value.reason, info.value.provider_code) == (FailureReason.INSUFFICIENT_FUNDS, "9")
    assert info.value.message == "refused at /send"
    # Without one, a non-2xx status is classified by the status alone.
    standin_provider.answer(503, {"detail": "down"})
    with pytest.raises(ProviderError) as info:
        adapter.send(OutboundSms(to="+48500100200", body="x"))
    assert info.value.reason == FailureReason.PROVIDER_UNAVAILABLE and info.value.temporary


def test_report_codes_read_their_own_table(
    standin_provider: StandinProvider, provider_context: ProviderContext
) -> None:
    adapter = _echo(standin_provider, provider_context)
    assert adapter.report_rule("9") == OPTED_OUT and adapter.reports_opt_out("9")
    assert adapter.hint_for("9") == OPTED_OUT.hint
    assert adapter.report_rule(None) is None and not adapter.reports_opt_out("1")


def _form(params: dict[str, str]) -> CallbackRequest:
    return CallbackRequest("POST", "https://sms.example/cb", {}, b"", params, {})


def test_a_flat_adapter_declares_its_reports_and_inbound_texts(
    standin_provider: StandinProvider, provider_context: ProviderContext
) -> None:
    adapter = _echo(standin_provider, provider_context)
    events = adapter.parse_callback(_form({"id": "m1", "state": "delivered", "err": "9"}))
    # The report table (not the send table) says 9 is an opt-out.
    assert [(e.provider_message_id, e.status, e.opted_out) for e in events] == [
        ("m1", DeliveryStatus.DELIVERED, True)
    ]
    events = adapter.parse_callback(_form({"id": "m1", "state": "failed", "err": "7"}))
    assert [(e.status, e.opted_out) for e in events] == [(DeliveryStatus.UNKNOWN, False)]
    assert adapter.parse_callback(_form({"foo": "bar"})) == []
    # The second set of inbound names is tried when the first finds no text.
    texts = adapter.parse_inbound(
        _form({"from": "48500", "to": "Shop", "body": "STOP", "uuid": "u"})
    )
    assert [(t.sender, t.text, t.provider_message_id) for t in texts] == [("48500", "STOP", "u")]
    assert adapter.parse_inbound(_form({"id": "m1", "state": "delivered"})) == []
