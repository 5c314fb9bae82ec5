"""Requests a provider could send to the app's callback URLs, for the delivery-report
and inbound-message fuzz targets: any provider id, the shop's secret or a wrong
one, any method, query, form, JSON or raw body and signature headers.

Providers that sign their callbacks (Twilio, Plivo, Vonage) would refuse nearly
every example at the signature check, leaving their parsers unfuzzed, so most
examples carry the provider's valid signature over exactly what is sent.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any
from urllib.parse import urlencode

import jwt
from hypothesis import strategies as st

from saleor_sms_app.providers import PROVIDERS
from saleor_sms_app.providers.plivo import plivo_signature_v3
from saleor_sms_app.providers.twilio import twilio_signature
from saleor_sms_app.saleor.tenants import TenantRecord
from saleor_sms_app.services import Services
from tests.fuzz.conftest import header_text, json_values, segment
from tests.security.support import every_provider

SIGNATURE_HEADERS = [
    "X-Twilio-Signature",
    "X-Plivo-Signature-V3",
    "X-Plivo-Signature-V3-Nonce",
    "Authorization",
    "Content-Type",
]
#: The secrets of the fuzz tenant's providers (ids = type names), as stored.
SECRETS = {config.id: config.secrets for config in every_provider("http://127.0.0.1")}
PLIVO_NONCE = "31415926535897932384"


def callback_requests(
    field_names: list[str], values: list[str], shapes: list[list[str]] | None = None
) -> st.SearchStrategy[Any]:
    """Callback requests whose parameters are mostly ``field_names`` (the
    providers' own) with ``values`` now and then (ids of stored messages, keywords).
    With ``shapes`` (each a provider's complete set of fields), a share of them has
    every field of one shape, so what is stored behind the parser is reached too."""
    value = st.sampled_from(values) | st.text(max_size=30)
    params = st.dictionaries(st.sampled_from(field_names) | st.text(max_size=10), value, max_size=6)
    if shapes:
        params = params | st.sampled_from(shapes).flatmap(
            lambda names: st.fixed_dictionaries({name: value for name in names})
        )
    return st.fixed_dictionaries(
        {
            "provider": st.sampled_from(list(PROVIDERS)) | segment,
            "secret": st.sampled_from(["right", "right", "right", "wrong"]),
            "signed": st.sampled_from([True, True, True, False]),
            "method": st.sampled_from(["POST", "POST", "GET", "PUT", "HEAD", "DELETE"]),
            "query": params,
            "body": st.one_of(
                st.tuples(st.just("form"), params),
                st.tuples(
                    st.just("json"),
                    st.lists(params, max_size=3).map(
                        lambda items: items[0] if len(items) == 1 else {"results": items}
                    ),
                ),
                st.tuples(st.just("junk"), json_values),
                st.tuples(st.just("raw"), st.binary(max_size=300)),
            ),
            "headers": st.dictionaries(st.sampled_from(SIGNATURE_HEADERS), header_text, max_size=2),
        }
    )


def send_callback(
    client: Any, services: Services, tenant: TenantRecord, route: str, draw: dict[str, Any]
) -> tuple[Any, str]:
    """Send one drawn request to ``/api/<route>/<tenant>/<provider>/<secret>``;
    the answer and a description of the request for a failure message."""
    secret = tenant.callback_secret if draw["secret"] == "right" else "x" * 32
    provider = draw["provider"]
    path = f"/api/{route}/{tenant.id}/{provider}/{secret}"
    query = urlencode(draw["query"])
    headers = dict(draw["headers"])
    kind, value = draw["body"]
    form: dict[str, str] = {}
    if kind == "form":
        form = value
        body = urlencode(value).encode()
        content_type = "application/x-www-form-urlencoded"
    elif kind in ("json", "junk"):
        body, content_type = json.dumps(value).encode(), "application/json"
    else:
        body, content_type = value, headers.pop("Content-Type", "application/octet-stream")
    method = draw["method"]
    if draw["signed"] and provider in SECRETS:
        url = services.settings.app_url + path + (f"?{query}" if query else "")
        signed = form if method == "POST" else {}
        keys = SECRETS[provider]
        if provider == "twilio":
            headers["X-Twilio-Signature"] = twilio_signature(keys["auth_token"], url, signed)
        elif provider == "plivo":
            headers["X-Plivo-Signature-V3"] = plivo_signature_v3(
                keys["auth_token"], url, signed, PLIVO_NONCE
            )
            headers["X-Plivo-Signature-V3-Nonce"] = PLIVO_NONCE
        elif provider == "vonage":
            claims = {"payload_hash": hashlib.sha256(body).hexdigest()}
            token = jwt.encode(claims, keys["signature_secret"], algorithm="HS256")
            headers["Authorization"] = f"Bearer {token}"
    headers["Content-Type"] = content_type
    answer = client.open(path, method=method, query_string=query, data=body, headers=headers)
    return answer, f"{method} {path}?{query} {headers} {body[:300]!r}"
