"""The webhook route under fuzzed headers, bodies and signatures.

Bodies are signed by the tenant's Saleor half of the time (otherwise the
signature check refuses everything and the payload checks behind it are never
reached), and shaped like a subscription payload some of the time.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from saleor_sms_app.saleor.events import EVENTS
from saleor_sms_app.services import Services
from tests.fuzz.conftest import FUZZ, assert_handled, header_text, json_values, snapshot
from tests.standin.saleor import SaleorStandin

#: APP_DELETED with a valid signature may uninstall the tenant, ending the run.
EVENT_HEADERS = [e.header_value for e in EVENTS if e.name != "APP_DELETED"]


def _sometimes(data: Any, good: Any, bad: st.SearchStrategy[Any]) -> Any:
    """``good`` five times in six, else a draw from ``bad``: most examples get past
    the early checks, so the signature and payload checks behind them are fuzzed too."""
    return data.draw(bad) if data.draw(st.integers(0, 5)) == 3 else good


def _payload(data: Any, event: str) -> bytes:
    """A subscription payload for ``event``, each part mangled now and then."""
    typename = next(e.subscription for e in EVENTS if e.header_value == event)
    order = {
        "id": data.draw(st.text(min_size=1, max_size=30)),
        "number": data.draw(st.none() | st.text(max_size=8) | json_values),
    }
    payload = {
        "__typename": _sometimes(data, typename, st.text(max_size=20)),
        "order": _sometimes(data, order, json_values),
        **data.draw(st.dictionaries(st.text(max_size=12), json_values, max_size=3)),
    }
    return json.dumps(payload).encode()


@FUZZ
@given(data=st.data())
def test_webhooks_never_fail_and_refusals_store_nothing(
    data: Any, client: Any, services: Services, saleor: SaleorStandin, tenant_id: int
) -> None:
    event = data.draw(st.sampled_from(EVENT_HEADERS))
    path_event = _sometimes(data, event, st.text("abcdefghijklmnopqrstuvwxyz_-.", max_size=24))
    body = _sometimes(
        data,
        _payload(data, event),
        st.binary(max_size=600) | json_values.map(lambda v: json.dumps(v).encode()),
    )
    headers: dict[str, str] = {
        "Saleor-Event": _sometimes(data, event, st.sampled_from(EVENT_HEADERS) | header_text),
        "Saleor-Api-Url": _sometimes(data, saleor.api_url, header_text),
        "Content-Type": _sometimes(data, "application/json", header_text),
    }
    signature = _sometimes(data, "valid", st.sampled_from(["tampered", "none"]) | header_text)
    if signature == "valid":
        headers["Saleor-Signature"] = saleor.sign(body)
    elif signature == "tampered":
        headers["Saleor-Signature"] = saleor.sign(body + b" ")
    elif signature != "none":
        headers["Saleor-Signature"] = signature
    method = _sometimes(data, "POST", st.sampled_from(["GET", "PUT", "DELETE", "HEAD"]))
    before = snapshot(services, saleor)
    answer = client.open(f"/api/webhooks/{path_event}", method=method, data=body, headers=headers)
    what = f"{method} {path_event} {headers} {body[:200]!r}"
    assert_handled("webhooks", answer, before, snapshot(services, saleor), what)
