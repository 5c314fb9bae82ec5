"""Every dashboard API route under fuzzed JSON bodies, query strings and path values.

The caller is a genuine staff user with every permission (the authorisation
matrix in tests/security covers wrong callers), so the examples reach the
route's own input handling. The route list is the authorisation table, which
tests/security/test_authorization.py keeps equal to Flask's URL map.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from saleor_sms_app.config.store import ConfigStore
from saleor_sms_app.providers import PROVIDERS
from saleor_sms_app.saleor.tenants import TenantRecord
from saleor_sms_app.services import Services
from tests.dashboard.conftest import Headers
from tests.fuzz.conftest import FUZZ, assert_handled, json_values, segment, snapshot
from tests.security.test_authorization import PERMISSIONS
from tests.standin.saleor import SaleorStandin, global_id

ROUTES = sorted(PERMISSIONS)
QUERY_KEYS = ["from", "to", "status", "sort", "dir", "page", "per_page", "event", "provider", "q"]

provider_like = st.fixed_dictionaries(
    {"type": st.sampled_from(list(PROVIDERS)) | st.text(max_size=10)},
    optional={
        "id": st.sampled_from(list(PROVIDERS)) | json_values,
        "enabled": json_values,
        "sender": json_values,
        "channels": json_values,
        "options": st.dictionaries(st.text(max_size=14), json_values, max_size=4) | json_values,
        "secrets": st.dictionaries(st.text(max_size=14), json_values, max_size=3) | json_values,
        "secrets_set": json_values,
    },
)


#: Parts of a configuration that replace the stored ones.
config_changes = st.fixed_dictionaries(
    {},
    optional={
        "providers": st.lists(provider_like, max_size=3) | json_values,
        "rules": st.lists(
            st.fixed_dictionaries(
                {"name": json_values, "event": st.text(max_size=20), "template": json_values},
                optional={"recipients": json_values, "conditions": json_values},
            ),
            max_size=2,
        )
        | json_values,
        "settings": st.dictionaries(
            st.sampled_from(
                [
                    "default_country",
                    "staff_country",
                    "staff_numbers",
                    "dry_run",
                    "low_balance_threshold",
                    "phone_metadata_key",
                ]
            ),
            json_values,
            max_size=3,
        ),
        "schema_version": json_values,
        "kind": json_values,
    },
)
#: The fields the other POST routes read, any of them missing or of any type.
action_body = st.fixed_dictionaries(
    {},
    optional={
        "template": st.text(max_size=200) | json_values,
        "order_id": st.just(global_id("Order", 1)) | st.text(max_size=30) | json_values,
        "phone": st.text("+0123456789 -()", max_size=20) | json_values,
        "text": st.text(max_size=200) | json_values,
        "provider": provider_like | json_values,
    },
)
provider_ids = st.sampled_from(list(PROVIDERS)) | segment
query_strings = st.dictionaries(
    st.sampled_from(QUERY_KEYS) | st.text(max_size=8), st.text(max_size=30), max_size=4
)


#: What a config body uses of the stored configuration: CURRENT stands for it.
CURRENT = "<the stored value>"
config_bodies = st.fixed_dictionaries(
    {
        "revision": st.just(CURRENT) | json_values,
        "config": config_changes.map(lambda changes: (CURRENT, changes)) | json_values,
    }
)


#: One request's material, for any route: the path value, the query, and a JSON
#: body (config-shaped, action-shaped or anything) or raw bytes. Drawn by @given
#: directly: through st.data() hypothesis reported flaky draws for some routes.
requests_material = st.fixed_dictionaries(
    {
        "provider_id": provider_ids,
        "message_id": st.integers(0, 2**70),
        "query_string": query_strings,
        # 0-5: the route's own fields, 6-7: any JSON at all, 8-9: raw bytes.
        "shape": st.integers(0, 9),
        "config_body": config_bodies,
        "action_body": action_body,
        "junk": json_values,
        "raw": st.binary(max_size=200),
        "content_type": st.sampled_from(["application/json", "text/plain"]),
    }
)


def _with_current(body: Any, current: dict[str, Any]) -> Any:
    """Put the stored revision and configuration where the draw asked for them."""
    if not isinstance(body, dict) or "revision" not in body or "config" not in body:
        return body
    config = body["config"]
    if isinstance(config, tuple):
        config = {**current, **config[1]}
    revision = current["revision"] if body["revision"] == CURRENT else body["revision"]
    return {"revision": revision, "config": config}


@pytest.mark.parametrize(("method", "rule"), ROUTES, ids=[f"{m} {r}" for m, r in ROUTES])
@FUZZ
@given(request=requests_material)
def test_dashboard_routes_never_fail_and_refusals_store_nothing(
    request: dict[str, Any],
    method: str,
    rule: str,
    client: Any,
    services: Services,
    saleor: SaleorStandin,
    fuzz_tenant: TenantRecord,
    auth: Headers,
) -> None:
    current = ConfigStore(services).load(fuzz_tenant).model_dump(mode="json")
    kwargs: dict[str, Any] = {"query_string": request["query_string"], "headers": auth()}
    shape = request["shape"]
    if method != "GET" and shape < 8:
        own = request["config_body"] if rule.endswith("/config") else request["action_body"]
        body = _with_current(own, current) if shape < 6 else request["junk"]
        kwargs["data"] = json.dumps(body)
        kwargs["content_type"] = "application/json"
    elif method != "GET":
        kwargs["data"] = request["raw"]
        kwargs["content_type"] = request["content_type"]
    path = (
        rule.replace("<provider_id>", request["provider_id"])
        .replace("<id:message_id>", str(request["message_id"]))
        .replace("<id:run_id>", str(request["message_id"]))
    )
    before = snapshot(services, saleor)
    answer = client.open(path, method=method, **kwargs)
    what = f"{method} {path}?{request['query_string']} {str(kwargs.get('data'))[:300]}"
    assert_handled(f"{method} {rule}", answer, before, snapshot(services, saleor), what)
