"""The contract every SMS adapter passes (anymail's shared base test cases).

A provider's test module subclasses :class:`ProviderContract` and fills in the
class attributes with answers shaped as the provider documents them; the tests
here then run that adapter against a real loopback HTTP server
(:class:`tests.standin.provider.StandinProvider`) in scripted mode. Class names
of subclasses start with ``Test`` so pytest collects them; this base does not.
"""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal
from typing import Any, ClassVar
from urllib.parse import urlencode

import pytest

from saleor_sms_app.config.model import ProviderConfig
from saleor_sms_app.providers import build_provider, provider_class
from saleor_sms_app.providers.base import CallbackRequest, ProviderContext, SmsProvider
from saleor_sms_app.providers.models import (
    DeliveryStatus,
    FailureReason,
    OutboundSms,
    ProviderConfigError,
    ProviderError,
)
from tests.standin.provider import StandinProvider

CALLBACK_URL = "https://sms.example.com/api/delivery-reports/1/p1/s3cr3t-callback"

#: One canned answer: HTTP status and body (dict/list → JSON, str as is).
Canned = tuple[int, Any]


def form_callback(params: dict[str, str], method: str = "POST") -> CallbackRequest:
    """A form-encoded report as most providers send it: POSTed, or as GET query parameters."""
    if method == "GET":
        return CallbackRequest("GET", CALLBACK_URL + "?" + urlencode(params), {}, b"", {}, params)
    return CallbackRequest("POST", CALLBACK_URL, {}, urlencode(params).encode(), params, {})


def put_form_callback(params: dict[str, str]) -> CallbackRequest:
    """A form-encoded PUT, as MoceanAPI sends its delivery reports (no parsed form)."""
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    return CallbackRequest("PUT", CALLBACK_URL, headers, urlencode(params).encode(), {}, {})


def json_callback(data: object, headers: dict[str, str] | None = None) -> CallbackRequest:
    """A JSON report (Infobip, Plivo's JSON mode, the generic provider), with extra headers."""
    body = json.dumps(data).encode()
    return CallbackRequest(
        "POST", CALLBACK_URL, {"Content-Type": "application/json", **(headers or {})}, body
    )


class ProviderContract:
    provider_type: ClassVar[str]
    options: ClassVar[dict[str, Any]] = {}
    secrets: ClassVar[dict[str, str]]
    sender: ClassVar[str] = "Shop"
    #: The provider's answer to a successful send, and the id we must read from it.
    success: ClassVar[Canned]
    message_id: ClassVar[str]
    #: Answers to refused sends → the normalised reason and whether it is temporary.
    refusals: ClassVar[list[tuple[Canned, FailureReason, bool]]]
    #: Balance answer and the amount/currency we must read, or None if unsupported.
    balance_answer: ClassVar[Canned | None] = None
    balance: ClassVar[tuple[Decimal, str] | None] = None
    #: A delivery report as the provider sends it, and (id, status, opted_out) we expect.
    callback: ClassVar[CallbackRequest]
    callback_events: ClassVar[list[tuple[str, DeliveryStatus, bool]]]
    #: A delivery report saying the recipient opted out, and the status and provider
    #: code we must read from it; None when the provider reports no opt-out code.
    opt_out_report: ClassVar[tuple[CallbackRequest, DeliveryStatus, str] | None] = None
    #: Where the callback URL must appear in the send request ("form", "json", "query").
    callback_in: ClassVar[str] = "form"
    #: A text a customer sent, as the provider forwards it, and the (sender, shop
    #: number, text, provider id) we must read from it; None when the provider
    #: forwards no inbound texts.
    inbound: ClassVar[CallbackRequest | None] = None
    inbound_expected: ClassVar[tuple[str, str, str, str] | None] = None

    # -- hooks ----------------------------------------------------------------

    def sign(self, request: CallbackRequest) -> CallbackRequest:
        """Sign ``request`` the provider's way (only for providers that sign)."""
        return request

    # -- helpers ----------------------------------------------------------------

    def config(self, base_url: str) -> ProviderConfig:
        return ProviderConfig(
            id="p1",
            type=self.provider_type,
            sender=self.sender,
            options={**self.options, "base_url": base_url},
            secrets=dict(self.secrets),
        )

    def adapter(self, api: StandinProvider, context: ProviderContext) -> SmsProvider:
        return build_provider(self.config(api.url), context)

    def sms(self, **changes: Any) -> OutboundSms:
        base = OutboundSms(to="+48500100200", body="Order 42 shipped", reference="1042")
        return replace(base, **changes)

    def refused(self, api: StandinProvider, context: ProviderContext) -> ProviderError:
        with pytest.raises(ProviderError) as info:
            self.adapter(api, context).send(self.sms())
        return info.value

    # -- the contract ------------------------------------------------------------

    def test_registered_with_fields(self) -> None:
        cls = provider_class(self.provider_type)
        assert cls.name == self.provider_type
        names = {f.name for f in cls.fields}
        assert set(self.secrets) <= names
        assert all(f.secret for f in cls.fields if f.name in self.secrets)

    def test_missing_secret_is_a_configuration_error(
        self, standin_provider: StandinProvider, provider_context: ProviderContext
    ) -> None:
        config = self.config(standin_provider.url).model_copy(update={"secrets": {}})
        required = [
            f.name for f in provider_class(self.provider_type).fields if f.secret and f.required
        ]
        if not required:
            pytest.skip("no required secret")
        with pytest.raises(ProviderConfigError) as info:
            build_provider(config, provider_context)
        assert set(required) <= set(info.value.fields)

    def test_success(
        self, standin_provider: StandinProvider, provider_context: ProviderContext
    ) -> None:
        standin_provider.answer(*self.success)
        result = self.adapter(standin_provider, provider_context).send(
            self.sms(status_callback_url=CALLBACK_URL)
        )
        assert result.provider_message_id == self.message_id
        assert result.status.value in ("queued", "sent")
        assert result.raw
        sent = standin_provider.last
        wire = sent.body.decode() + str(sent.query)
        assert "500100200" in wire
        assert "Order 42 shipped" in wire or "Order+42+shipped" in wire
        # The provider is asked to report delivery to our callback URL.
        where = {"form": sent.form, "json": sent.body.decode(), "query": sent.query}
        assert CALLBACK_URL in str(where[self.callback_in])

    def test_no_callback_url_when_not_public(
        self, standin_provider: StandinProvider, provider_context: ProviderContext
    ) -> None:
        standin_provider.answer(*self.success)
        self.adapter(standin_provider, provider_context).send(self.sms())
        assert "delivery-reports" not in standin_provider.last.body.decode()

    def test_each_refusal_is_normalised(
        self, standin_provider: StandinProvider, provider_context: ProviderContext
    ) -> None:
        assert self.refusals, "list the provider's common errors"
        seen = set()
        for canned, reason, temporary in self.refusals:
            standin_provider.answer(*canned)
            error = self.refused(standin_provider, provider_context)
            assert (error.reason, error.temporary) == (reason, temporary), canned
            assert error.provider == self.provider_type
            assert error.raw
            seen.add(reason)
        # The core list: every adapter knows at least these.
        assert {FailureReason.INVALID_NUMBER, FailureReason.AUTHENTICATION} <= seen
        assert FailureReason.INSUFFICIENT_FUNDS in seen or self.provider_type == "generic"

    def test_recipient_errors_do_not_fail_over_but_funds_do(
        self, standin_provider: StandinProvider, provider_context: ProviderContext
    ) -> None:
        for canned, reason, _temporary in self.refusals:
            standin_provider.answer(*canned)
            error = self.refused(standin_provider, provider_context)
            if reason in (FailureReason.INVALID_NUMBER, FailureReason.OPTED_OUT):
                assert not error.should_fail_over, canned
            if reason in (FailureReason.INSUFFICIENT_FUNDS, FailureReason.AUTHENTICATION):
                assert error.should_fail_over, canned

    def test_server_error_is_temporary(
        self, standin_provider: StandinProvider, provider_context: ProviderContext
    ) -> None:
        standin_provider.answer(503, "<html><h1>Service Unavailable</h1></html>", "text/html")
        error = self.refused(standin_provider, provider_context)
        assert error.reason == FailureReason.PROVIDER_UNAVAILABLE
        assert error.temporary and error.should_fail_over

    def test_rate_limit_is_temporary(
        self, standin_provider: StandinProvider, provider_context: ProviderContext
    ) -> None:
        standin_provider.answer(429, "", "text/plain")
        error = self.refused(standin_provider, provider_context)
        assert error.reason == FailureReason.RATE_LIMITED and error.temporary

    def test_timeout(
        self, standin_provider: StandinProvider, provider_context: ProviderContext
    ) -> None:
        """The stand-in took the request and stalled: the provider may have the message,
        so the outcome is unknown, never failed over or retried."""
        standin_provider.mode, standin_provider.slow_seconds = "slow", 1.5
        standin_provider.answer(*self.success)
        error = self.refused(standin_provider, replace(provider_context, timeout=0.5))
        assert error.reason == FailureReason.NO_ANSWER
        assert error.outcome_unknown and not error.temporary and not error.should_fail_over
        assert len(standin_provider.requests) == 1

    def test_connection_refused(
        self, standin_provider: StandinProvider, provider_context: ProviderContext
    ) -> None:
        adapter = build_provider(self.config(standin_provider.down_url), provider_context)
        with pytest.raises(ProviderError) as info:
            adapter.send(self.sms())
        assert info.value.reason == FailureReason.PROVIDER_UNAVAILABLE
        assert info.value.temporary and info.value.should_fail_over

    @pytest.mark.parametrize(
        "answer",
        [
            (200, "<html><body>Welcome to nginx</body></html>", "text/html"),
            (200, "", "text/plain"),
            (200, {"unexpected": True}, "application/json"),
            (200, [1, 2, 3], "application/json"),
        ],
        ids=["html", "empty", "wrong-json", "json-list"],
    )
    def test_malformed_answers(
        self,
        answer: tuple[int, Any, str],
        standin_provider: StandinProvider,
        provider_context: ProviderContext,
    ) -> None:
        standin_provider.answer(*answer)
        error = self.refused(standin_provider, provider_context)
        assert error.reason in (FailureReason.MALFORMED_RESPONSE, FailureReason.OTHER)
        # A 200 we cannot read may have been a sent message: never resend it.
        assert not error.should_fail_over and not error.temporary

    def test_credentials_never_in_raw_or_errors(
        self, standin_provider: StandinProvider, provider_context: ProviderContext
    ) -> None:
        echo = " ".join(self.secrets.values())
        standin_provider.answer(400, {"error": f"bad request {echo}", "message": echo})
        error = self.refused(standin_provider, provider_context)
        for secret in self.secrets.values():
            assert secret not in error.raw
            assert secret not in str(error)
        adapter = build_provider(self.config(standin_provider.down_url), provider_context)
        with pytest.raises(ProviderError) as info:
            adapter.send(self.sms())
        for secret in self.secrets.values():
            assert secret not in str(info.value)

    def test_balance(
        self, standin_provider: StandinProvider, provider_context: ProviderContext
    ) -> None:
        if self.balance_answer is None or self.balance is None:
            pytest.skip("no balance API")
        standin_provider.answer(*self.balance_answer)
        balance = self.adapter(standin_provider, provider_context).balance()
        assert (balance.amount, balance.currency) == self.balance
        standin_provider.answer(200, "<html>login</html>", "text/html")
        with pytest.raises(ProviderError) as info:
            self.adapter(standin_provider, provider_context).balance()
        assert info.value.reason == FailureReason.MALFORMED_RESPONSE

    def test_delivery_report_parsing(
        self, standin_provider: StandinProvider, provider_context: ProviderContext
    ) -> None:
        adapter = self.adapter(standin_provider, provider_context)
        events = adapter.parse_callback(self.sign(self.callback))
        got = [(e.provider_message_id, e.status, e.opted_out) for e in events]
        assert got == self.callback_events

    def test_opt_out_report_feeds_the_suppression_list(
        self, standin_provider: StandinProvider, provider_context: ProviderContext
    ) -> None:
        if self.opt_out_report is None:
            pytest.skip("no opt-out code in delivery reports")
        report, status, code = self.opt_out_report
        events = self.adapter(standin_provider, provider_context).parse_callback(report)
        assert [(e.status, e.opted_out, e.provider_code) for e in events] == [(status, True, code)]

    def test_delivery_report_without_fields_is_empty(
        self, standin_provider: StandinProvider, provider_context: ProviderContext
    ) -> None:
        adapter = self.adapter(standin_provider, provider_context)
        junk = CallbackRequest("POST", CALLBACK_URL, {}, b"hello", {"foo": "bar"}, {})
        assert adapter.parse_callback(junk) == []

    def test_signature_accepted_and_forged_refused(
        self, standin_provider: StandinProvider, provider_context: ProviderContext
    ) -> None:
        adapter = self.adapter(standin_provider, provider_context)
        if not adapter.signs_callbacks:
            assert adapter.verify_callback(self.callback)
            return
        signed = self.sign(self.callback)
        assert adapter.verify_callback(signed)
        assert not adapter.verify_callback(self.callback), "an unsigned report must fail"
        tampered = _tamper(signed)
        assert not adapter.verify_callback(tampered), "a changed report must fail"

    def test_inbound_text_is_normalised(
        self, standin_provider: StandinProvider, provider_context: ProviderContext
    ) -> None:
        adapter = self.adapter(standin_provider, provider_context)
        # A delivery report is never mistaken for a customer's text.
        assert adapter.parse_inbound(self.callback) == []
        if self.inbound is None:
            assert not adapter.receives_inbound
            return
        assert adapter.receives_inbound
        texts = adapter.parse_inbound(self.inbound)
        assert [(t.sender, t.to, t.text, t.provider_message_id) for t in texts] == [
            self.inbound_expected
        ]
        assert texts[0].raw
        if adapter.signs_callbacks:
            assert adapter.verify_callback(self.sign(self.inbound))
            assert not adapter.verify_callback(self.inbound), "an unsigned text must fail"
            assert not adapter.verify_callback(_tamper(self.sign(self.inbound)))


def _tamper(request: CallbackRequest) -> CallbackRequest:
    if request.form:
        form = dict(request.form)
        key = sorted(form)[0]
        form[key] = form[key] + "x"
        return replace(request, form=form)
    if request.query:
        query = dict(request.query)
        key = sorted(k for k in query if k != "sig")[0]
        query[key] = query[key] + "x"
        return replace(request, query=query)
    return replace(request, body=request.body.replace(b"delivered", b"failed"))
