"""Delivery-report URLs under fuzzed methods, bodies, forms, query strings and
signature headers, for a provider of every type (each adapter's parser and
signature check), with the right secret most of the time so the parsers are reached."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from saleor_sms_app.providers import PROVIDERS
from saleor_sms_app.saleor.tenants import TenantRecord
from saleor_sms_app.services import Services
from tests.fuzz.conftest import FUZZ, assert_handled, header_text, json_values, segment, snapshot
from tests.providers.conftest import log_message
from tests.standin.saleor import SaleorStandin

#: Ids the seeded messages carry at their providers, so some reports match.
KNOWN_IDS = ["SM1", "standin-1", "uuid-1", "0A0000000123ABCD1", "ib-1"]
SIGNATURE_HEADERS = [
    "X-Twilio-Signature",
    "X-Plivo-Signature-V3",
    "X-Plivo-Signature-V3-Nonce",
    "Authorization",
    "Content-Type",
]
report_fields = st.dictionaries(
    st.sampled_from(
        [
            "MessageSid",
            "MessageStatus",
            "ErrorCode",
            "messageId",
            "status",
            "err-code",
            "MsgId",
            "id",
            "to",
            "scts",
            "MessageUUID",
            "Status",
            "mocean-msgid",
            "mocean-dlr-status",
            "idx",
        ]
    )
    | st.text(max_size=10),
    st.sampled_from(KNOWN_IDS) | st.text(max_size=30),
    max_size=6,
)
reports = st.fixed_dictionaries(
    {
        "provider": st.sampled_from(list(PROVIDERS)) | segment,
        "secret": st.sampled_from(["right", "right", "right", "wrong"]),
        "method": st.sampled_from(["POST", "POST", "GET", "PUT", "HEAD", "DELETE"]),
        "query": report_fields,
        "form": report_fields,
        # 0-3: a form, 4-6: JSON built from report fields, 7: any JSON, 8-9: raw bytes.
        "shape": st.integers(0, 9),
        "json": st.lists(report_fields, max_size=3).map(
            lambda items: items[0] if len(items) == 1 else {"results": items}
        ),
        "junk": json_values,
        "raw": st.binary(max_size=300),
        "headers": st.dictionaries(st.sampled_from(SIGNATURE_HEADERS), header_text, max_size=3),
    }
)


@FUZZ
@given(report=reports)
def test_delivery_reports_never_fail_and_refusals_store_nothing(
    report: dict[str, Any],
    client: Any,
    services: Services,
    saleor: SaleorStandin,
    fuzz_tenant: TenantRecord,
) -> None:
    if not services.redis.get("fuzz:seeded"):
        for provider, message_id in zip(PROVIDERS, KNOWN_IDS * 2, strict=False):
            log_message(
                services,
                fuzz_tenant.id,
                status="sent",
                provider_id=provider,
                provider=provider,
                provider_message_id=message_id,
            )
        services.redis.set("fuzz:seeded", 1)
    secret = fuzz_tenant.callback_secret if report["secret"] == "right" else "x" * 32
    path = f"/api/delivery-reports/{fuzz_tenant.id}/{report['provider']}/{secret}"
    kwargs: dict[str, Any] = {"query_string": report["query"], "headers": report["headers"]}
    shape = report["shape"]
    if shape < 4:
        kwargs["data"] = report["form"]
    elif shape < 8:
        kwargs["data"] = json.dumps(report["json"] if shape < 7 else report["junk"])
        kwargs["content_type"] = "application/json"
    else:
        kwargs["data"] = report["raw"]
    before = snapshot(services, saleor)
    answer = client.open(path, method=report["method"], **kwargs)
    what = f"{report['method']} {path} {kwargs}"
    assert_handled("delivery reports", answer, before, snapshot(services, saleor), what)
