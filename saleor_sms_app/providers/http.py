"""The HTTP plumbing every real adapter shares (anymail's ``base_requests.py``).

An adapter built on :class:`HttpProvider` only maps fields: this module owns
the shared session and timeout, the configurable API base URL, turning
transport failures into :class:`ProviderError` the same way for everyone, JSON
parsing with a clear MALFORMED_RESPONSE when a provider answers HTML or
nothing, and the per-provider error **lookup tables** (provider code →
normalised reason, temporary or not, a hint for the merchant). What providers
send *us* is read by :mod:`.callbacks`, single values of answers by :mod:`.values`.

Credentials never leave here in ``raw``, in an error message or in a log line:
every text taken from a response or an exception goes through :meth:`redact`,
which blanks out each configured secret (some providers echo a key back, and
requests puts the URL, query included, in its exception texts).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any, ClassVar

import requests
from urllib3.exceptions import MaxRetryError

from saleor_sms_app.config.model import ProviderConfig
from saleor_sms_app.egress import EgressRefused
from saleor_sms_app.providers.base import CallbackRequest, OptionField, SmsProvider
from saleor_sms_app.providers.callbacks import (
    InboundFields,
    ReportFields,
    callback_params,
    inbound_from,
    report_from,
)
from saleor_sms_app.providers.models import (
    Balance,
    DeliveryEvent,
    DeliveryStatus,
    FailureReason,
    InboundSms,
    ProviderError,
)
from saleor_sms_app.providers.values import to_decimal

log = logging.getLogger(__name__)

REDACTED = "***"


def redact_secrets(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret of four characters or more replaced by ``***``.

    Shorter values are left alone: replacing "1" or "ab" everywhere would
    mangle the text without hiding anything worth hiding.
    """
    for value in secrets:
        if value and len(value) >= 4:
            text = text.replace(value, REDACTED)
    return text


@dataclass(frozen=True)
class ErrorRule:
    """What one provider error code means for us (one row of a lookup table)."""

    reason: FailureReason
    temporary: bool = False
    #: Plain-language advice shown to the merchant in the message log.
    hint: str | None = None


@dataclass(frozen=True)
class Answer:
    """A provider's HTTP answer, already redacted."""

    status: int
    text: str
    content_type: str

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def excerpt(self) -> str:
        """What an error keeps of the answer (an HTML error page can be huge)."""
        return self.text[:2000]


def base_url_field(default: str, help: str = "") -> OptionField:
    """The ``base_url`` option every HTTP adapter has (regions, tests, proxies)."""
    return OptionField(
        "base_url",
        "API base URL",
        required=False,
        default=default,
        help=help or f"Leave empty for {default}.",
    )


#: The key pair Vonage and MoceanAPI both issue: a public key and its secret.
API_KEY_AND_SECRET = (
    OptionField("api_key", "API key"),
    OptionField("api_secret", "API secret", secret=True),
)


class HttpProvider(SmsProvider):
    """Base of adapters that speak HTTP to their provider.

    Subclasses set :attr:`default_base_url` and :attr:`errors` and implement
    ``send`` (and ``balance``/``parse_callback`` where the provider has them)
    with :meth:`request_json` (or :meth:`call` and :meth:`json_of`) and
    :meth:`fail`; where the provider's refusals are not plain HTTP statuses
    they override :meth:`refusal`. They should not need to catch anything from
    ``requests`` themselves.
    """

    default_base_url: ClassVar[str] = ""
    #: Provider error code (as text) → what it means. Unknown codes become OTHER.
    errors: ClassVar[Mapping[str, ErrorRule]] = {}
    #: The table for codes in delivery reports, when the provider numbers them
    #: apart from send errors (Vonage's receipt ``err-code``); None: :attr:`errors`.
    report_errors: ClassVar[Mapping[str, ErrorRule] | None] = None
    #: Where a flat (query/form) delivery report keeps its parts, and its status
    #: table; None: the adapter reads its reports itself (JSON, several per call).
    report_fields: ClassVar[ReportFields | None] = None
    delivery: ClassVar[Mapping[str, DeliveryStatus]] = {}
    #: Where a flat inbound text keeps its parts, tried in order.
    inbound_fields: ClassVar[tuple[InboundFields, ...]] = ()
    #: Phrases in a provider's error text → a hint, for errors whose code says
    #: little but whose text the merchant can act on (SMSAPI's "Invalid from field").
    text_hints: ClassVar[Mapping[str, str]] = {}

    @property
    def base_url(self) -> str:
        return (self.option("base_url") or self.default_base_url).rstrip("/")

    @classmethod
    def merchant_urls(cls, config: ProviderConfig) -> dict[str, str]:
        base_url = str(config.options.get("base_url") or "").strip()
        return {"base_url": base_url} if base_url else {}

    # -- redaction -------------------------------------------------------

    def redact(self, text: str) -> str:
        """``text`` with every configured secret replaced by ``***``."""
        return redact_secrets(text, self.config.secrets.values())

    def report_rule(self, code: str | None) -> ErrorRule | None:
        """What a provider code in a delivery report means, None when unlisted."""
        table = self.errors if self.report_errors is None else self.report_errors
        return table.get(code) if code else None

    def hint_for(self, code: str | None) -> str | None:
        rule = self.report_rule(code)
        return rule.hint if rule else None

    def reports_opt_out(self, code: str | None) -> bool:
        """Whether a delivery report with this code says the recipient opted out,
        for providers whose table marks exactly those codes OPTED_OUT."""
        rule = self.report_rule(code)
        return rule is not None and rule.reason == FailureReason.OPTED_OUT

    # -- what the provider sends us --------------------------------------

    def callback_values(self, request: CallbackRequest) -> dict[str, str]:
        """The flat parameters of a report or inbound text (query and form by default)."""
        return callback_params(request)

    def parse_callback(self, request: CallbackRequest) -> list[DeliveryEvent]:
        if self.report_fields is None:
            return []
        event = report_from(self.callback_values(request), self.report_fields, self.delivery)
        return [] if event is None else [self.finish_report(event)]

    def finish_report(self, event: DeliveryEvent) -> DeliveryEvent:
        """A flat report with what only this provider can tell; by default an opt-out
        is a code the report table marks OPTED_OUT."""
        return replace(event, opted_out=self.reports_opt_out(event.provider_code))

    def parse_inbound(self, request: CallbackRequest) -> list[InboundSms]:
        params = self.callback_values(request)
        for fields in self.inbound_fields:
            texts = inbound_from(params, fields)
            if texts:
                return texts
        return []

    # -- transport -------------------------------------------------------

    def call(self, method: str, path: str, **kwargs: Any) -> Answer:
        """One request to the provider; transport failures become ProviderError.

        Whether the provider may have the request decides what a transport
        failure is. One that surely never reached it (refused connection,
        connect timeout, DNS, TLS handshake, proxy) is temporary and *not
        accepted*, so the failover moves on to the next provider. One after the
        request left (read timeout, connection dropped before the answer) is
        :attr:`FailureReason.NO_ANSWER` and *accepted*: the provider may have
        taken it, so it is neither failed over nor retried blindly (a customer
        would get the text twice); the message is logged ``unknown`` and
        :mod:`saleor_sms_app.delivery_reports.settling` finds out where the provider allows.
        ``path`` may be a full URL.
        """
        url = path if path.startswith(("http://", "https://")) else self.base_url + path
        session = self.context.session
        headers = {**session.headers, **kwargs.pop("headers", {})}
        try:
            # Prepared here and handed to ``session.send`` (which still applies the
            # session's proxies, CA bundle and connection pool): ``session.request``
            # would also merge cookies, netrc auth and session defaults on every
            # call, none of which a provider call uses, for about a tenth of a send's CPU.
            prepared = requests.Request(method, url, headers=headers, **kwargs).prepare()
            response = session.send(prepared, timeout=self.context.timeout)
        except EgressRefused as exc:
            log.warning("%s call refused: %s", self.name, exc)
            raise self.error(
                FailureReason.OTHER,
                str(exc),
                temporary=False,
                hint="Ask the app's operator whether this address may be reached "
                "(ALLOW_PRIVATE_PROVIDER_URLS), or use the provider's public https:// URL.",
            ) from None
        except requests.ConnectTimeout as exc:
            raise self.error(
                FailureReason.PROVIDER_UNAVAILABLE,
                f"cannot connect to {self.base_url or url} within "
                f"{self.context.timeout:g} s ({type(exc).__name__})",
                temporary=True,
            ) from None
        except (requests.Timeout, requests.ConnectionError) as exc:
            if isinstance(exc, requests.ConnectionError) and never_reached(exc):
                raise self.error(
                    FailureReason.PROVIDER_UNAVAILABLE,
                    f"cannot connect to {self.base_url or url}: {self.redact(_short(exc))}",
                    temporary=True,
                ) from None
            waited = (
                f"no answer within {self.context.timeout:g} s"
                if isinstance(exc, requests.Timeout)
                else "the connection was dropped before an answer"
            )
            raise self.error(
                FailureReason.NO_ANSWER,
                f"{waited} after the request was sent ({type(exc).__name__}); "
                f"{self.label} may or may not have taken it",
                temporary=False,
                accepted=True,
                hint=NO_ANSWER_HINT,
            ) from None
        except requests.RequestException as exc:
            raise self.error(
                FailureReason.OTHER,
                f"request failed: {self.redact(_short(exc))}",
                temporary=False,
            ) from None
        return Answer(
            status=response.status_code,
            text=self.redact(response.text),
            content_type=response.headers.get("Content-Type", ""),
        )

    def request_json(self, method: str, path: str, **kwargs: Any) -> tuple[Answer, Any]:
        """One call whose answer is JSON: the answer and its parsed body.

        Raises the :meth:`refusal` the answer holds, so what follows reads only
        an answer the provider meant as success.
        """
        answer = self.call(method, path, **kwargs)
        body = self.json_of(answer)
        error = self.refusal(answer, body, path)
        if error is not None:
            raise error
        return answer, body

    def refusal(self, answer: Answer, body: Any, path: str) -> ProviderError | None:
        """The provider's refusal in this answer to ``path``; None if it took the request.

        By default any non-2xx status, classified by that status alone. Adapters
        override it where the error sits in the body: a code and text beside a
        4xx (Twilio, Infobip, Plivo) or inside an HTTP 200 (SMSAPI, Mocean).
        """
        return None if answer.ok else self.fail(answer)

    def json_of(self, answer: Answer) -> Any:
        """The answer's JSON; a clear error when it is HTML, empty or not JSON.

        An unreadable answer to a failed request (5xx, 429, 401) is that failure;
        an unreadable 2xx answer is MALFORMED_RESPONSE marked *accepted* and
        permanent: the provider may well have taken the message, so neither a
        retry nor a failover may send it again; the merchant checks the panel.
        """
        try:
            if not answer.text.strip():
                raise ValueError("empty answer")
            return json.loads(answer.text)
        except ValueError:
            if not answer.ok:
                raise self.fail(answer) from None
            kind = "an empty answer" if not answer.text.strip() else "an answer that is not JSON"
            if answer.text.lstrip()[:1] == "<":
                kind = "an HTML page"
            raise self.error(
                FailureReason.MALFORMED_RESPONSE,
                f"{self.label} sent {kind} (HTTP {answer.status})",
                temporary=False,
                accepted=True,
                raw=answer.excerpt,
                hint=(
                    "The provider's answer could not be read, so it is not known whether "
                    "the message went out; check the provider's message history before "
                    "sending it again. A wrong API base URL causes this too."
                ),
            ) from None

    def wrong_shape(self, answer: Answer, what: str) -> ProviderError:
        """JSON that parses but lacks what the provider documents (``what``)."""
        return self.error(
            FailureReason.MALFORMED_RESPONSE,
            f"{self.label} answered JSON without {what} (HTTP {answer.status})",
            temporary=False,
            accepted=answer.ok,
            raw=answer.excerpt,
            hint="Check the API base URL: it may point at something that is not this provider.",
        )

    def balance_in(
        self, answer: Answer, body: Any, field: str, *, currency: str | None = None
    ) -> Balance:
        """The balance at ``body[field]`` of a successful answer.

        ``currency`` is for providers whose answer names none (points, credits,
        an account billed in one currency); otherwise ``body["currency"]``.
        """
        amount = to_decimal(body.get(field)) if isinstance(body, dict) else None
        if amount is None:
            raise self.wrong_shape(answer, repr(field))
        named = currency or str(body.get("currency") or "")
        return Balance(amount=amount, currency=named, raw=answer.text)

    # -- errors ----------------------------------------------------------

    def error(
        self,
        reason: FailureReason,
        message: str,
        *,
        temporary: bool,
        code: str | None = None,
        hint: str | None = None,
        raw: str = "",
        accepted: bool = False,
    ) -> ProviderError:
        return ProviderError(
            reason,
            self.redact(message),
            temporary=temporary,
            provider=self.name,
            provider_code=code,
            hint=hint,
            raw=self.redact(raw),
            accepted=accepted,
        )

    def fail(
        self,
        answer: Answer,
        code: object = None,
        text: str = "",
        *,
        accepted: bool = False,
    ) -> ProviderError:
        """The error for a refused request: the lookup table first, then HTTP status.

        Codes missing from the table fall back on the HTTP status (429 rate
        limited, 5xx unavailable, 401/403 authentication, anything else OTHER
        permanent), so an unlisted code is never silently retried forever.
        """
        key = None if code is None or code == "" else str(code)
        text = text or f"HTTP {answer.status}"
        rule = self.errors.get(key) if key is not None else None
        if rule is None and answer.status == 504:
            # The provider's gateway gave up waiting for its own backend, which
            # may have taken the message: as unknown as a read timeout of ours.
            return self.error(
                FailureReason.NO_ANSWER,
                f"{text} (gateway timeout): {self.label} may or may not have taken it",
                temporary=False,
                accepted=True,
                code=key,
                hint=NO_ANSWER_HINT,
                raw=answer.excerpt,
            )
        if rule is None:
            rule = _rule_for_status(answer.status)
        hint = rule.hint
        for phrase, phrase_hint in self.text_hints.items():
            if phrase.lower() in text.lower():
                hint = phrase_hint
                break
        return self.error(
            rule.reason,
            text,
            temporary=rule.temporary,
            code=key,
            hint=hint,
            raw=answer.excerpt,
            accepted=accepted,
        )


_AUTH_HINT = "Check the credentials in the provider's settings (copy them again from its panel)."


def _rule_for_status(status: int) -> ErrorRule:
    if status == 429:
        return ErrorRule(FailureReason.RATE_LIMITED, temporary=True)
    if status >= 500:
        return ErrorRule(FailureReason.PROVIDER_UNAVAILABLE, temporary=True)
    if status in (401, 403):
        return ErrorRule(FailureReason.AUTHENTICATION, hint=_AUTH_HINT)
    return ErrorRule(FailureReason.OTHER)


#: What the merchant reads on a message whose request got no answer.
NO_ANSWER_HINT = (
    "The provider may have taken this message, so it was not sent through another "
    "provider (nobody gets a text twice). Where the provider can tell (SMSAPI, Infobip) "
    "the app asks it and settles the status within the hour; otherwise check the "
    "provider's message history."
)


def never_reached(exc: requests.ConnectionError) -> bool:
    """Whether a connection error happened before the request could reach the provider.

    ``requests`` wraps failures to open a connection (refused, DNS, connect
    timeout) in urllib3's ``MaxRetryError``, and TLS or proxy failures in their
    own classes, all before a byte of the request left. A bare ``ProtocolError``
    or ``OSError`` ("Connection aborted") comes from a connection that was open
    and carried the request, so the provider may have it.
    """
    if isinstance(exc, (requests.exceptions.SSLError, requests.exceptions.ProxyError)):
        return True
    cause = exc.args[0] if exc.args else None
    return isinstance(cause, MaxRetryError)


def _short(exc: BaseException) -> str:
    text = str(exc)
    return text if len(text) <= 300 else text[:300] + "…"


#: Shared rows so every table says these the same way.
AUTH = ErrorRule(FailureReason.AUTHENTICATION, hint=_AUTH_HINT)
RATE = ErrorRule(
    FailureReason.RATE_LIMITED, temporary=True, hint="Sending too fast; the app retries."
)
DOWN = ErrorRule(FailureReason.PROVIDER_UNAVAILABLE, temporary=True)
FUNDS = ErrorRule(
    FailureReason.INSUFFICIENT_FUNDS,
    hint="Top up the account in the provider's panel; messages go through the next "
    "provider until then.",
)
INVALID_NUMBER = ErrorRule(
    FailureReason.INVALID_NUMBER,
    hint="The phone number is not valid for SMS; correct it on the customer or order.",
)
NOT_MOBILE = ErrorRule(
    FailureReason.NOT_MOBILE, hint="The number is a landline or cannot receive SMS."
)
OPTED_OUT = ErrorRule(
    FailureReason.OPTED_OUT,
    hint="The recipient replied STOP; the number is now on the do-not-text list.",
)
