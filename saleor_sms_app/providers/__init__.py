"""SMS providers behind one interface; the registry maps type names to adapters.

Adapters are imported lazily by dotted path so a broken or slow import of one
provider never stops the others (the sentry-python integrations habit).

Adding a provider (anymail's ADDING_ESPS, in short): copy the adapter closest
to it (form API → ``twilio.py``, JSON API → ``infobip.py``), subclass
:class:`~saleor_sms_app.providers.http.HttpProvider`, declare ``fields`` and an
``errors`` lookup table (provider code → reason, temporary, merchant hint),
map ``send``/``balance`` with ``request_json`` (override ``refusal`` where its
errors sit in the answer's body); declare ``report_fields``/``delivery`` and
``inbound_fields`` when its reports and inbound texts are flat (query or form;
else override ``parse_callback``/``parse_inbound``) and, if it signs
callbacks, implement ``verify_callback``; register it below; then subclass
``tests/providers/contract.py`` with answers shaped as its documentation shows
and add a cassette. Do not re-implement the provider's own limits here.
"""

from __future__ import annotations

import importlib

from saleor_sms_app.config.model import ProviderConfig
from saleor_sms_app.providers.base import ProviderContext, SmsProvider
from saleor_sms_app.providers.models import ProviderConfigError

PROVIDERS: dict[str, str] = {
    "sandbox": "saleor_sms_app.providers.sandbox:SandboxProvider",
    "twilio": "saleor_sms_app.providers.twilio:TwilioProvider",
    "vonage": "saleor_sms_app.providers.vonage:VonageProvider",
    "smsapi": "saleor_sms_app.providers.smsapi:SmsapiProvider",
    "plivo": "saleor_sms_app.providers.plivo:PlivoProvider",
    "mocean": "saleor_sms_app.providers.mocean:MoceanProvider",
    "infobip": "saleor_sms_app.providers.infobip:InfobipProvider",
    "generic": "saleor_sms_app.providers.generic:GenericProvider",
}


def provider_class(type_name: str) -> type[SmsProvider]:
    try:
        target = PROVIDERS[type_name]
    except KeyError:
        raise ProviderConfigError(
            f"unknown provider {type_name!r}; known: {', '.join(sorted(PROVIDERS))}",
            {"type": "unknown provider"},
        ) from None
    module_name, _, attr = target.partition(":")
    cls: type[SmsProvider] = getattr(importlib.import_module(module_name), attr)
    return cls


def build_provider(config: ProviderConfig, context: ProviderContext) -> SmsProvider:
    """An adapter for this configuration; ProviderConfigError if it cannot work."""
    return provider_class(config.type)(config, context)
