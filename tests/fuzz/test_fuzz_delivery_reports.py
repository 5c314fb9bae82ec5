"""Delivery-report URLs under fuzzed methods, bodies, forms, query strings and
signature headers, for a provider of every type (each adapter's parser and
signature check), with the right secret and signature most of the time so the
parsers are reached (:mod:`tests.fuzz.callbacks`)."""

from __future__ import annotations

from typing import Any

from hypothesis import given

from saleor_sms_app.providers import PROVIDERS
from saleor_sms_app.saleor.tenants import TenantRecord
from saleor_sms_app.services import Services
from tests.fuzz.callbacks import callback_requests, send_callback
from tests.fuzz.conftest import FUZZ, assert_handled, snapshot
from tests.providers.conftest import log_message
from tests.standin.saleor import SaleorStandin

#: Ids the seeded messages carry at their providers, so some reports match.
KNOWN_IDS = ["SM1", "standin-1", "uuid-1", "0A0000000123ABCD1", "ib-1"]
REPORT_FIELDS = [
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
#: (PostgreSQL refuses NUL characters: reports are stored without them.)
STATUSES = ["delivered", "DELIVERED", "failed", "undelivered", "sent", "expired", "1", "2"]
STATUSES += ["delivered\x00", "30007\x00", "SM1\x00"]
reports = callback_requests(REPORT_FIELDS, KNOWN_IDS + STATUSES)


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
    before = snapshot(services, saleor)
    answer, what = send_callback(client, services, fuzz_tenant, "delivery-reports", report)
    assert_handled("delivery reports", answer, before, snapshot(services, saleor), what)
