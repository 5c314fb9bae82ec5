"""What a checkout reminder knows about a checkout: phone, consent, and the template tokens.

Works on the ``SmsCheckout`` fragment's dict (from the webhook body or fetched
fresh). The phone is the shipping address's, then the billing address's (the
order rules' order, without the customer-metadata fallback: a checkout's owner
may be a guest). Consent is a metadata key on the checkout or on its customer,
named in Settings; no key, no text (``true``/``yes``/``1`` or a date counts).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from saleor_sms_app.config.model import AppConfig, ShopSettings
from saleor_sms_app.consent.marketing import consent_given
from saleor_sms_app.errors import TemplateError
from saleor_sms_app.message_templates.order_tokens import check_template, money_text
from saleor_sms_app.recipients.phones import (
    find_customer_phone,
    metadata_dict,
    normalise,
    order_country,
)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def checkout_phone(checkout: Mapping[str, Any], settings: ShopSettings) -> str | None:
    """The checkout's number as E.164 (shipping, then billing); None when it has none.

    Raises :class:`~saleor_sms_app.errors.InvalidPhoneNumber` for a number that
    is there but unusable.
    """
    found = find_customer_phone(checkout, "")
    if found is None:
        return None
    return normalise(found.raw, order_country(checkout, settings))


def has_consent(checkout: Mapping[str, Any], key: str) -> bool:
    """Whether the checkout or its customer gives consent in the metadata ``key``
    (read as campaigns read it: :func:`~saleor_sms_app.consent.marketing.consent_given`)."""
    return any(
        consent_given(metadata_dict(owner.get("metadata")).get(key))
        for owner in (checkout, _mapping(checkout.get("user")))
    )


def checkout_email(checkout: Mapping[str, Any]) -> str:
    return str(checkout.get("email") or _mapping(checkout.get("user")).get("email") or "")


def checkout_context(
    checkout: Mapping[str, Any], *, shop_name: str, config: AppConfig
) -> dict[str, Any]:
    """The template context of a reminder: ``shop``, ``checkout``, ``customer``, ``channel``."""
    lines = [
        {
            "name": _line_name(line),
            "quantity": int(line.get("quantity") or 0),
        }
        for line in checkout.get("lines") or []
        if isinstance(line, Mapping)
    ]
    user = _mapping(checkout.get("user"))
    address = _mapping(checkout.get("shippingAddress")) or _mapping(checkout.get("billingAddress"))
    first = str(user.get("firstName") or address.get("firstName") or "")
    last = str(user.get("lastName") or address.get("lastName") or "")
    channel = _mapping(checkout.get("channel"))
    slug = str(channel.get("slug") or "")
    token = str(checkout.get("token") or "")
    return {
        "shop": {"name": shop_name},
        "checkout": {
            "token": token,
            "url": config.settings.checkout_reminders.storefront_url(slug, token),
            "total": money_text(checkout.get("totalPrice")),
            "lines": lines,
            "products": ", ".join(f"{x['quantity']} x {x['name']}" for x in lines),
            "quantity": sum(x["quantity"] for x in lines),
        },
        "customer": {
            "first_name": first,
            "last_name": last,
            "full_name": f"{first} {last}".strip(),
            "email": checkout_email(checkout),
        },
        "channel": {"name": str(channel.get("name") or ""), "slug": slug},
    }


def _line_name(line: Mapping[str, Any]) -> str:
    variant = _mapping(line.get("variant"))
    product = str(_mapping(variant.get("product")).get("name") or "")
    name = str(variant.get("name") or "")
    return f"{product} ({name})" if product and name and name != product else product or name


#: A believable checkout for previews and for checking templates on save.
SAMPLE_CHECKOUT: dict[str, Any] = {
    "id": "Q2hlY2tvdXQ6ZjEzN2MyMWMtNDllZi00ODNkLWI1MTUtZWNkZWYyMDgyOGIx",
    "token": "f137c21c-49ef-483d-b515-ecdef20828b1",
    "email": "anna.kowalska@example.com",
    "channel": {"slug": "default-channel", "name": "Default Channel"},
    "user": {"firstName": "Anna", "lastName": "Kowalska", "email": "anna.kowalska@example.com"},
    "lines": [
        {"quantity": 2, "variant": {"name": "1 l", "product": {"name": "Juice"}}},
        {"quantity": 1, "variant": {"name": "Mug", "product": {"name": "Mug"}}},
    ],
    "totalPrice": {"gross": {"amount": 27.0, "currency": "USD"}},
}


def template_problems(config: AppConfig) -> dict[str, str]:
    """Field path → message for reminder templates that cannot work on any checkout."""
    context = checkout_context(SAMPLE_CHECKOUT, shop_name="Example Shop", config=config)
    found: dict[str, str] = {}
    for i, step in enumerate(config.settings.checkout_reminders.steps):
        try:
            check_template(step.template, context)
        except TemplateError as exc:
            found[f"settings.checkout_reminders.steps.{i}.template"] = exc.message
    return found
