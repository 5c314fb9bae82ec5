"""Templates: every token, mistakes reported clearly, and the sandbox holding."""

from __future__ import annotations

from typing import Any

import pytest

from saleor_sms_app.errors import TemplateError
from saleor_sms_app.message_templates.order_tokens import (
    TOKENS,
    order_context,
    preview,
    sample_context,
)
from saleor_sms_app.message_templates.sandbox import MAX_OUTPUT_CHARS, render

ORDER: dict[str, Any] = {
    "id": "T3JkZXI6MQ==",
    "number": "21",
    "status": "PARTIALLY_FULFILLED",
    "created": "2026-11-20T17:05:09.123456+00:00",
    "userEmail": "jan@example.com",
    "user": {"firstName": "Jan", "lastName": "Nowak", "email": "jan@example.com", "metadata": []},
    "total": {"gross": {"amount": 1311.1, "currency": "PLN"}},
    "subtotal": {"gross": {"amount": 1290, "currency": "PLN"}},
    "shippingPrice": {"gross": {"amount": 21.1, "currency": "PLN"}},
    "shippingMethodName": "InPost",
    "channel": {"name": "Poland", "slug": "channel-pln", "defaultCountry": {"code": "PL"}},
    "lines": [
        {"productName": "Bean Juice", "variantName": "2l", "productSku": "BJ-2", "quantity": 3},
        {"productName": "Tote", "variantName": None, "productSku": None, "quantity": 1},
    ],
    "fulfillments": [
        {"id": "F1", "trackingNumber": "OLD-1", "created": "2026-11-20T18:00:00+00:00"},
        {"id": "F2", "trackingNumber": "NEW-2", "created": "2026-11-21T08:00:00+00:00"},
        {"id": "F3", "trackingNumber": "", "created": "2026-11-22T08:00:00+00:00"},
    ],
    "shippingAddress": {
        "firstName": "Ewa",
        "lastName": "Nowak",
        "companyName": "",
        "streetAddress1": "Długa 5",
        "streetAddress2": "",
        "city": "Kraków",
        "postalCode": "30-001",
        "countryArea": "małopolskie",
        "country": {"code": "PL", "country": "Poland"},
        "phone": "+48601234567",
    },
    "billingAddress": {
        "firstName": "Jan",
        "lastName": "Nowak",
        "companyName": "Nowak sp. z o.o.",
        "streetAddress1": "Krótka 1",
        "streetAddress2": "lok. 2",
        "city": "Gdańsk",
        "postalCode": "80-001",
        "countryArea": "",
        "country": {"code": "PL", "country": "Poland"},
        "phone": "+48602000000",
    },
    "metadata": [{"key": "gift_note", "value": "Sto lat"}],
}

EXPECTED = {
    "shop.name": "Sklep Jana",
    "order.number": "21",
    "order.id": "T3JkZXI6MQ==",
    "order.status": "PARTIALLY_FULFILLED",
    "order.created": "2026-11-20T17:05:09.123456+00:00",
    "order.date": "2026-11-20",
    "order.total": "1,311.10 PLN",
    "order.total_amount": "1311.1",
    "order.currency": "PLN",
    "order.subtotal": "1,290.00 PLN",
    "order.subtotal_amount": "1290",
    "order.shipping_price": "21.10 PLN",
    "order.shipping_amount": "21.1",
    "order.shipping_method": "InPost",
    "order.tracking_number": "NEW-2",
    "order.products": "3 x Bean Juice (2l), 1 x Tote",
    "order.item_count": "4",
    "order.lines": "[{'name': 'Bean Juice', 'variant': '2l', 'sku': 'BJ-2', 'quantity': 3}, "
    "{'name': 'Tote', 'variant': '', 'sku': '', 'quantity': 1}]",
    "order.metadata": "{'gift_note': 'Sto lat'}",
    "customer.first_name": "Jan",
    "customer.last_name": "Nowak",
    "customer.full_name": "Jan Nowak",
    "customer.email": "jan@example.com",
    "customer.phone": "+48601234567",
    "channel.name": "Poland",
    "channel.slug": "channel-pln",
    "shipping_address.first_name": "Ewa",
    "shipping_address.last_name": "Nowak",
    "shipping_address.full_name": "Ewa Nowak",
    "shipping_address.company": "",
    "shipping_address.street": "Długa 5",
    "shipping_address.city": "Kraków",
    "shipping_address.postal_code": "30-001",
    "shipping_address.country_area": "małopolskie",
    "shipping_address.country": "Poland",
    "shipping_address.country_code": "PL",
    "shipping_address.phone": "+48601234567",
    "billing_address.first_name": "Jan",
    "billing_address.last_name": "Nowak",
    "billing_address.full_name": "Jan Nowak",
    "billing_address.company": "Nowak sp. z o.o.",
    "billing_address.street": "Krótka 1, lok. 2",
    "billing_address.city": "Gdańsk",
    "billing_address.postal_code": "80-001",
    "billing_address.country_area": "",
    "billing_address.country": "Poland",
    "billing_address.country_code": "PL",
    "billing_address.phone": "+48602000000",
}


@pytest.fixture
def context() -> dict[str, Any]:
    return order_context(ORDER, shop_name="Sklep Jana")


def test_the_catalogue_and_the_expectations_name_the_same_tokens() -> None:
    assert [t.name for t in TOKENS] == list(EXPECTED)
    assert all(t.description and t.example for t in TOKENS)


@pytest.mark.parametrize("token", list(EXPECTED))
def test_every_token_renders_from_a_real_order(token: str, context: dict[str, Any]) -> None:
    # Empty tokens render as "" and the message is stripped, hence the markers.
    assert render(f"[{{{{ {token} }}}}]", context) == f"[{EXPECTED[token]}]"


def test_every_token_has_a_value_in_the_sample_context() -> None:
    sample = sample_context("Demo")
    for token in TOKENS:
        assert render(f"{{{{ {token.name} }}}}", sample) != "", token.name


def test_tracking_number_prefers_the_event_fulfillment() -> None:
    context = order_context(ORDER, shop_name="x", fulfillment_id="F1")
    assert render("{{ order.tracking_number }}", context) == "OLD-1"


def test_missing_parts_of_an_order_render_empty_not_crash() -> None:
    context = order_context({"id": "x", "number": "7"}, shop_name="S")
    text = render("{{ order.number }}|{{ order.total }}|{{ customer.full_name }}|", context)
    assert text == "7|||"


def test_loops_filters_and_metadata_work(context: dict[str, Any]) -> None:
    template = (
        "{% for line in order.lines %}{{ line.sku or '-' }}:{{ line.quantity }} {% endfor %}"
        "{{ customer.first_name | upper }} {{ order.metadata.gift_note }}"
        "{% set n = order.item_count %} n={{ n }}"
    )
    assert render(template, context) == "BJ-2:3 -:1 JAN Sto lat n=4"


@pytest.mark.parametrize(
    ("template", "token", "line"),
    [
        ("Order {{ order.numbr }} shipped", "order.numbr", 1),
        ("Hello\n{{ custmer.first_name }}", "custmer", 2),
        ("{% if order.status == 'X' %}{{ order.tracking.number }}{% endif %}", "order.tracking", 1),
    ],
)
def test_unknown_token_is_named_with_its_line(
    template: str, token: str, line: int, context: dict[str, Any]
) -> None:
    with pytest.raises(TemplateError) as info:
        render(template, context)
    assert f"{{{{ {token} }}}}" in info.value.message
    assert info.value.details == {"token": token, "line": line}


def test_missing_metadata_key_is_an_error_at_render_time(context: dict[str, Any]) -> None:
    with pytest.raises(TemplateError) as info:
        render("{{ order.metadata.nope }}", context)
    assert "nope" in info.value.message
    assert render("{{ order.metadata.get('nope', 'none') }}", context) == "none"


@pytest.mark.parametrize(
    ("template", "line"),
    [
        ("Order {{ order.number", 1),
        ("ok\n{% if order.number %}no end", 2),
        ("a\nb\n{% for %}{% endfor %}", 3),
    ],
)
def test_syntax_errors_report_the_line(template: str, line: int, context: dict[str, Any]) -> None:
    with pytest.raises(TemplateError) as info:
        render(template, context)
    assert info.value.message.startswith(f"line {line}:")
    assert info.value.code == "template_syntax_error"


@pytest.mark.parametrize(
    "template",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ order.number.__class__.__base__.__subclasses__() }}",
        "{{ namespace.__init__.__globals__ }}",
        "{{ range.__globals__ }}",
        "{{ dict.__subclasses__() }}",
        "{{ order.lines.pop() }}",
        "{{ order.metadata.clear() }}",
        "{{ (order.lines|first).update({'a': 1}) }}",
        "{{ cycler.__init__.__globals__.os.system('id') }}",
        "{{ lipsum.__globals__ }}",
    ],
)
def test_sandbox_escapes_fail(template: str, context: dict[str, Any]) -> None:
    with pytest.raises(TemplateError) as info:
        render(template, context)
    assert info.value.code in {"template_forbidden", "unknown_token", "template_error"}
    # And the context was not changed by the attempt.
    assert len(context["order"]["lines"]) == 2
    assert context["order"]["metadata"] == {"gift_note": "Sto lat"}


@pytest.mark.parametrize(
    "template",
    [
        "{% for i in range(400) %}{{ order.products }}{% endfor %}",
        "{{ 'x' * 100000000 }}",
        "{% for i in range(100000) %}x{% endfor %}",
        "{{ 9 ** 99999999 }}",
        "{{ 'x' * " + str(MAX_OUTPUT_CHARS + 1) + " }}",
    ],
)
def test_runaway_output_is_stopped(template: str, context: dict[str, Any]) -> None:
    with pytest.raises(TemplateError):
        render(template, context)


def test_output_at_the_limit_is_fine(context: dict[str, Any]) -> None:
    assert len(render("{{ 'x' * " + str(MAX_OUTPUT_CHARS) + " }}", context)) == MAX_OUTPUT_CHARS


def test_preview_never_raises_and_counts_segments() -> None:
    good = preview("Order {{ order.number }} from {{ shop.name }} is on its way")
    assert good.text == "Order 1042 from Example Shop is on its way"
    assert good.problems == [] and good.segments.segments == 1
    assert good.segments.encoding == "GSM-7"

    unicode = preview("Zamówienie {{ order.number }} wysłane 📦")
    assert unicode.segments.encoding == "UCS-2" and "📦" in unicode.segments.unicode_characters

    bad = preview("{{ order.nope }}")
    assert bad.text == "" and bad.problems == ["line 1: unknown token {{ order.nope }}"]
    assert preview("   ").problems == ["the message is empty"]
    broken = preview("{% if %}", sample_context())
    assert broken.problems and broken.problems[0].startswith("line 1:")
