"""The generic provider's JSON configuration, and the HTTP base's redaction."""

from __future__ import annotations

import json

import pytest

from saleor_sms_app.config.model import ProviderConfig
from saleor_sms_app.providers import build_provider, provider_class
from saleor_sms_app.providers.base import ProviderContext
from saleor_sms_app.providers.generic import json_path, parse_spec
from saleor_sms_app.providers.models import ProviderConfigError, ProviderError
from tests.standin.provider import StandinProvider, standin_spec


@pytest.mark.parametrize(
    ("spec", "fields"),
    [
        ("{not json", {"spec"}),
        ("[1, 2]", {"spec"}),
        ('{"url": "ftp://x", "message_id_path": "id"}', {"spec.url"}),
        ('{"url": "https://x.example/send"}', {"spec.message_id_path"}),
        (
            '{"url": "https://x.example", "message_id_path": "id", "method": "DELETE"}',
            {"spec.method"},
        ),
        ('{"url": "https://x.example", "message_id_path": "id", "bogus": 1}', {"spec.bogus"}),
        (
            '{"url": "https://x.example", "message_id_path": "id", "errors": {"X": "nope"}}',
            {"spec.errors.X"},
        ),
        (
            '{"url": "https://x.example/{password}", "message_id_path": "id"}',
            {"spec"},
        ),
    ],
    ids=[
        "syntax",
        "not-object",
        "url",
        "no-id-path",
        "method",
        "unknown-key",
        "reason",
        "placeholder",
    ],
)
def test_malformed_spec_is_a_configuration_error_with_field_messages(
    spec: str, fields: set[str]
) -> None:
    with pytest.raises(ProviderConfigError) as info:
        parse_spec(spec)
    assert set(info.value.fields) == fields
    config = ProviderConfig(type="generic", options={"spec": spec})
    problems = provider_class("generic").validate_config(config)
    assert fields <= set(problems)


def test_placeholders_cannot_break_the_body(standin_provider: StandinProvider) -> None:
    """A message text with quotes and braces stays one JSON string value."""
    config = ProviderConfig(
        type="generic",
        sender="Shop",
        options={"spec": standin_spec(standin_provider.url)},
        secrets={"secret": "tok-123456"},
    )
    adapter = build_provider(config, ProviderContext())
    from saleor_sms_app.providers.models import OutboundSms

    text = 'He said "hi" {to} }{ \\ end'
    adapter.send(OutboundSms(to="+48500100200", body=text, reference="9"))
    sent = standin_provider.last
    assert sent.json["text"] == text  # {to} inside the *value* was not expanded twice
    assert sent.json["to"] == "+48500100200"
    assert sent.headers["Authorization"] == "Bearer tok-123456"


def test_json_path() -> None:
    data = {"a": {"b": [{"id": 7}]}}
    assert json_path(data, "a.b.0.id") == 7
    assert json_path(data, "a.b.3.id") is None
    assert json_path(data, "a.x") is None
    assert json_path([1], "0") == 1


def test_credentials_in_urls_are_redacted_from_errors(standin_provider: StandinProvider) -> None:
    """Mocean's balance call carries the secret in the query; requests echoes URLs."""
    config = ProviderConfig(
        type="mocean",
        options={"api_key": "key-1", "base_url": standin_provider.down_url},
        secrets={"api_secret": "mocean-very-secret"},
    )
    adapter = build_provider(config, ProviderContext(timeout=0.5))
    with pytest.raises(ProviderError) as info:
        adapter.balance()
    assert "mocean-very-secret" not in str(info.value)
    assert "mocean-very-secret" not in info.value.raw


def test_unknown_provider_type_is_a_clear_configuration_error() -> None:
    with pytest.raises(ProviderConfigError) as info:
        provider_class("carrier-pigeon")
    assert "carrier-pigeon" in str(info.value) and "twilio" in str(info.value)
    assert json.dumps(info.value.fields)
