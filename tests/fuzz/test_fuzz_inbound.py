"""Inbound-message URLs (STOP / START / HELP and any other text a customer sends)
under fuzzed methods, bodies, forms, query strings and signature headers, for a
provider of every type, with the right secret and signature most of the time so
each adapter's inbound parser and the keyword handling behind it are reached
(:mod:`tests.fuzz.callbacks`). An accepted text may store (an opt-out, the
logged message, a HELP answer queued); a refused one stores nothing."""

from __future__ import annotations

from typing import Any

from hypothesis import given

from saleor_sms_app.providers import infobip, mocean, plivo, smsapi, twilio, vonage
from saleor_sms_app.saleor.tenants import TenantRecord
from saleor_sms_app.services import Services
from tests.fuzz.callbacks import callback_requests, send_callback
from tests.fuzz.conftest import FUZZ, assert_handled, snapshot
from tests.standin.saleor import SaleorStandin

#: The providers' inbound fields (sender, recipient, text, message id).
INBOUND_FIELDS = [
    "From",
    "To",
    "Body",
    "Text",
    "MessageSid",
    "MessageUUID",
    "sms_from",
    "sms_to",
    "sms_text",
    "MsgId",
    "msisdn",
    "from",
    "to",
    "text",
    "messageId",
    "message_uuid",
    "mocean-from",
    "mocean-to",
    "mocean-text",
    "mocean-msgid",
]
VALUES = [
    "STOP",
    "stop",
    " Stop ",
    "START",
    "UNSTOP",
    "HELP",
    "info",
    "STOP ALL",
    # PostgreSQL refuses NUL characters: texts are stored without them.
    "STOP\x00",
    "+4860\x001234567",
    "+48500100200",
    "48500100200",
    "+15005550006",
    "",
    "0A0000000123ABCD1",
]
#: Every provider's complete inbound text (sender, recipient, text, id).
SHAPES = [
    [f.sender, f.to, f.text, f.message_id]
    for f in (
        infobip.INBOUND,
        mocean.INBOUND,
        plivo.INBOUND,
        smsapi.INBOUND,
        twilio.INBOUND,
        vonage.INBOUND,
        vonage.INBOUND_MESSAGES_API,
    )
]
texts = callback_requests(INBOUND_FIELDS, VALUES, SHAPES)


@FUZZ
@given(text=texts)
def test_inbound_messages_never_fail_and_refusals_store_nothing(
    text: dict[str, Any],
    client: Any,
    services: Services,
    saleor: SaleorStandin,
    fuzz_tenant: TenantRecord,
) -> None:
    before = snapshot(services, saleor)
    answer, what = send_callback(client, services, fuzz_tenant, "inbound", text)
    assert_handled("inbound messages", answer, before, snapshot(services, saleor), what)
