"""Any HTTP SMS API, configured by JSON instead of code.

For the many small SMS services (bytehand, letsads, atompark, …) a merchant
describes the API in one JSON document (the ``spec`` option)::

    {
      "url": "https://sms.example/api/send",
      "method": "POST",
      "headers": {"Authorization": "Bearer {secret}"},
      "body_format": "json",                      # json | form | query
      "body": {"to": "{to}", "text": "{text}", "from": "{sender}", "ref": "{reference}"},
      "message_id_path": "data.id",               # where the message id sits
      "error_path": "error.message",              # where an error text sits
      "error_code_path": "error.code",
      "success_path": "status", "success_values": ["ok"],
      "errors": {"NO_FUNDS": "insufficient_funds", "BAD_NUMBER": "invalid_number"},
      "delivery": {"id_path": "id", "status_path": "status",
                   "delivered": ["DELIVRD"], "failed": ["UNDELIV"], "expired": ["EXPIRED"]}
    }

Placeholders are replaced inside string values only (after parsing), so a
message text with quotes or braces can never break the JSON or inject fields.
A spec that does not validate is a :class:`ProviderConfigError` naming each
bad field, shown in the provider form.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from saleor_sms_app.config.model import ProviderConfig
from saleor_sms_app.providers.base import CallbackRequest, OptionField, ProviderContext
from saleor_sms_app.providers.callbacks import callback_json, callback_params
from saleor_sms_app.providers.http import (
    Answer,
    HttpProvider,
)
from saleor_sms_app.providers.models import (
    DeliveryEvent,
    DeliveryStatus,
    FailureReason,
    OutboundSms,
    ProviderConfigError,
    ProviderError,
    SendResult,
    SendStatus,
)
from saleor_sms_app.providers.values import digits

PLACEHOLDERS = ("to", "to_digits", "text", "sender", "reference", "callback_url", "secret")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
_TEMPORARY = {FailureReason.RATE_LIMITED, FailureReason.PROVIDER_UNAVAILABLE}


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GenericDelivery(_Spec):
    id_path: str
    status_path: str
    code_path: str | None = None
    delivered: list[str] = Field(default_factory=lambda: ["delivered"])
    failed: list[str] = Field(default_factory=lambda: ["failed", "undelivered", "rejected"])
    expired: list[str] = Field(default_factory=lambda: ["expired"])


class GenericSpec(_Spec):
    url: str
    method: Literal["GET", "POST", "PUT"] = "POST"
    headers: dict[str, str] = Field(default_factory=dict)
    body_format: Literal["json", "form", "query"] = "json"
    body: dict[str, Any] = Field(default_factory=dict)
    message_id_path: str
    error_path: str | None = None
    error_code_path: str | None = None
    success_path: str | None = None
    success_values: list[str] = Field(default_factory=list)
    errors: dict[str, FailureReason] = Field(default_factory=dict)
    delivery: GenericDelivery | None = None

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("must be an http:// or https:// URL")
        return value

    @field_validator("message_id_path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must name where the message id sits, e.g. data.id")
        return value


def parse_spec(raw: object) -> GenericSpec:
    """The spec from the option's JSON text; ProviderConfigError with field messages."""
    if isinstance(raw, str):
        return _parse_spec_text(raw)
    return _parse_spec(raw)


@functools.lru_cache(maxsize=256)
def _parse_spec_text(raw: str) -> GenericSpec:
    """Parsed once per distinct text: an adapter is built for every send, and the
    worker would otherwise re-validate the same JSON thousands of times a minute.
    (Failures are not cached: lru_cache does not keep exceptions.)"""
    return _parse_spec(raw)


def _parse_spec(raw: object) -> GenericSpec:
    if isinstance(raw, str):
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise ProviderConfigError(
                f"the generic provider's JSON does not parse: {exc}",
                {"spec": f"not valid JSON: {exc}"},
            ) from None
    else:
        data = raw
    if not isinstance(data, dict):
        raise ProviderConfigError(
            "the generic provider's JSON must be an object", {"spec": "must be a JSON object"}
        )
    try:
        spec = GenericSpec.model_validate(data)
    except ValidationError as exc:
        fields = {
            "spec." + ".".join(str(p) for p in error["loc"]): error["msg"] for error in exc.errors()
        }
        raise ProviderConfigError(
            "the generic provider's JSON is not valid: "
            + "; ".join(f"{k}: {v}" for k, v in fields.items()),
            fields,
        ) from None
    unknown = sorted(
        {
            name
            for text in _strings([spec.url, spec.headers, spec.body])
            for name in _PLACEHOLDER.findall(text)
            if name not in PLACEHOLDERS
        }
    )
    if unknown:
        raise ProviderConfigError(
            f"unknown placeholders {', '.join(unknown)}; known: {', '.join(PLACEHOLDERS)}",
            {"spec": f"unknown placeholder {{{unknown[0]}}}"},
        )
    return spec


def json_path(data: Any, path: str) -> Any:
    """``data.messages.0.id``-style lookup; None when any step is missing."""
    current = data
    for step in path.split("."):
        if isinstance(current, dict):
            current = current.get(step)
        elif isinstance(current, list) and step.isdigit() and int(step) < len(current):
            current = current[int(step)]
        else:
            return None
        if current is None:
            return None
    return current


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    return []


def _fill(value: Any, values: dict[str, str]) -> Any:
    if isinstance(value, str):
        return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), value)
    if isinstance(value, dict):
        return {k: _fill(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, values) for v in value]
    return value


class GenericProvider(HttpProvider):
    name: ClassVar[str] = "generic"
    label: ClassVar[str] = "Other HTTP SMS API (configured by JSON)"
    fields = (
        OptionField(
            "spec",
            "API description (JSON)",
            help="URL, method, headers, body template with {to} {to_digits} {text} {sender} "
            "{reference} {callback_url} {secret}, and where the message id and the error "
            "sit in the answer.",
        ),
        OptionField(
            "secret",
            "API key / token",
            secret=True,
            required=False,
            help="Put {secret} where it goes in the URL, a header or the body.",
        ),
    )

    def __init__(self, config: ProviderConfig, context: ProviderContext) -> None:
        super().__init__(config, context)
        self.spec = parse_spec(config.options.get("spec"))

    @classmethod
    def validate_config(cls, config: ProviderConfig) -> dict[str, str]:
        problems = super().validate_config(config)
        if "spec" not in problems:
            try:
                parse_spec(config.options.get("spec"))
            except ProviderConfigError as exc:
                problems.update(exc.fields)
        return problems

    @classmethod
    def merchant_urls(cls, config: ProviderConfig) -> dict[str, str]:
        urls = super().merchant_urls(config)
        try:
            urls["spec.url"] = parse_spec(config.options.get("spec")).url
        except ProviderConfigError:
            pass  # validate_config names what is wrong with the spec
        return urls

    def send(self, sms: OutboundSms) -> SendResult:
        spec = self.spec
        values = {
            "to": sms.to,
            "to_digits": digits(sms.to),
            "text": sms.body,
            "sender": self.sender_for(sms),
            "reference": sms.reference,
            "callback_url": sms.status_callback_url or "",
            "secret": self.secret("secret"),
        }
        body = _fill(spec.body, values)
        kwargs: dict[str, Any] = {"headers": _fill(spec.headers, values)}
        if spec.body_format == "json":
            kwargs["json"] = body
        elif spec.body_format == "form":
            kwargs["data"] = body
        else:
            kwargs["params"] = body
        answer, data = self.request_json(spec.method, _fill(spec.url, values), **kwargs)
        message_id = json_path(data, spec.message_id_path)
        if message_id in (None, "") or isinstance(message_id, dict | list):
            raise self.wrong_shape(answer, spec.message_id_path)
        return SendResult(
            status=SendStatus.QUEUED, provider_message_id=str(message_id), raw=answer.text
        )

    def refusal(self, answer: Answer, data: Any, path: str) -> ProviderError | None:
        spec = self.spec
        text = json_path(data, spec.error_path) if spec.error_path else None
        code = json_path(data, spec.error_code_path) if spec.error_code_path else None
        succeeded = answer.ok and not text and code in (None, "")
        if succeeded and spec.success_path:
            succeeded = str(json_path(data, spec.success_path)) in spec.success_values
        if succeeded:
            return None
        reason = spec.errors.get(str(code)) if code not in (None, "") else None
        if reason is None and text is not None:
            reason = spec.errors.get(str(text))
        if reason is None:
            return self.fail(answer, code, str(text or ""))
        return self.error(
            reason,
            str(text or code or f"HTTP {answer.status}"),
            temporary=reason in _TEMPORARY,
            code=None if code in (None, "") else str(code),
            raw=answer.excerpt,
        )

    def parse_callback(self, request: CallbackRequest) -> list[DeliveryEvent]:
        delivery = self.spec.delivery
        if delivery is None:
            return []
        data: Any = callback_json(request)
        if not isinstance(data, dict | list):
            data = callback_params(request)
        reports = data if isinstance(data, list) else [data]
        events = []
        for report in reports:
            message_id = json_path(report, delivery.id_path)
            status = json_path(report, delivery.status_path)
            if message_id in (None, "") or status is None:
                continue
            code = json_path(report, delivery.code_path) if delivery.code_path else None
            events.append(
                DeliveryEvent(
                    provider_message_id=str(message_id),
                    status=_delivery_status(str(status), delivery),
                    provider_code=None if code in (None, "") else str(code),
                    description=str(status),
                    raw=report if isinstance(report, dict) else {"report": report},
                )
            )
        return events


def _delivery_status(status: str, delivery: GenericDelivery) -> DeliveryStatus:
    folded = status.lower()
    for values, result in (
        (delivery.delivered, DeliveryStatus.DELIVERED),
        (delivery.failed, DeliveryStatus.FAILED),
        (delivery.expired, DeliveryStatus.EXPIRED),
    ):
        if folded in (v.lower() for v in values):
            return result
    return DeliveryStatus.UNKNOWN
