"""Every dashboard API route under fuzzed JSON bodies, query strings and path values.

The caller is a genuine staff user with every permission (the authorisation
matrix in tests/security covers wrong callers), so the examples reach the
route's own input handling; one token serves a whole target (signing one per
example cost more than the request). The route list is the authorisation
table, which :func:`test_every_dashboard_route_is_fuzzed` checks against
Flask's URL map, path parameters included, so a new route cannot be forgotten.
"""

from __future__ import annotations

import json
from collections.abc import Callable
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
from tests.security.test_authorization import PERMISSIONS, dashboard_routes
from tests.standin.saleor import SaleorStandin, global_id

ROUTES = sorted(PERMISSIONS)
QUERY_KEYS = [
    "from",
    "to",
    "status",
    "sort",
    "dir",
    "page",
    "per_page",
    "cursor",
    "event",
    "provider",
    "q",
    "state",
    "search",
]

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
#: Numbers the routes accept, and text that looks like one.
phones = st.sampled_from(
    ["+48601234567", "+15005550006", "601 234 567", "+44 7700 900123"]
) | st.text("+0123456789 -()", min_size=1, max_size=20)
#: The fields the other POST routes read, any of them missing or of any type.
action_body = st.fixed_dictionaries(
    {},
    optional={
        "template": st.text(max_size=200) | json_values,
        "order_id": st.just(global_id("Order", 1)) | st.text(max_size=30) | json_values,
        "idempotency_key": st.just("popup-click-0001") | st.text(max_size=70) | json_values,
        "customer_id": st.just(global_id("User", 1)) | st.text(max_size=30) | json_values,
        "phone": phones | json_values,
        "text": st.text(max_size=200) | json_values,
        "provider": provider_like | json_values,
        "reason": st.sampled_from(["manual", "keyword"]) | json_values,
        "rule": json_values,
        "marketing": json_values,
        "opt_out_line": json_values,
        # A daily send's (birthdays and anniversaries).
        "name": st.just("Birthday") | json_values,
        "hour": st.integers(-2, 26) | json_values,
        "source": st.sampled_from(["birthday", "joined", "last_order", "metadata_date"])
        | json_values,
        "date_key": st.just("birthday") | json_values,
        "offset_amount": st.integers(-5, 5000) | json_values,
        "offset_unit": st.sampled_from(["days", "months", "years"]) | json_values,
        "repeat": st.sampled_from(["once", "yearly"]) | json_values,
        "days_before": st.integers(-2, 40) | json_values,
        "from_year": st.integers(-1, 120) | json_values,
        "enabled": json_values,
        "audience": json_values,
    },
)
provider_ids = st.sampled_from(list(PROVIDERS)) | segment
#: A value for each path parameter of the dashboard's routes.
PATH_VALUES: dict[str, st.SearchStrategy[str]] = {
    "<provider_id>": provider_ids,
    "<id:message_id>": st.integers(0, 2**70).map(str),
    "<id:run_id>": st.integers(0, 2**70).map(str),
    "<id:campaign_id>": st.integers(0, 2**70).map(str),
    "<id:send_id>": st.integers(0, 2**70).map(str),
    "<path:phone>": phones | segment,
}
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


#: One request's material, for any route: the path values, the query, and a
#: body: the route's own fields, any JSON at all, or raw bytes. Only the body
#: sent is drawn. Drawn by @given directly: through st.data() hypothesis
#: reported flaky draws for some routes.
requests_material = st.fixed_dictionaries(
    {
        "path": st.fixed_dictionaries(PATH_VALUES),
        "query_string": query_strings,
        "body": st.one_of(
            st.tuples(st.just("own"), st.tuples(config_bodies, action_body)),
            st.tuples(st.just("json"), json_values),
            st.tuples(
                st.sampled_from(["application/json", "text/plain", "text/csv"]),
                st.binary(max_size=200),
            ),
        ),
    }
)


def _with_current(body: Any, current: Callable[[], dict[str, Any]]) -> Any:
    """Put the stored revision and configuration where the draw asked for them."""
    if not isinstance(body, dict) or "revision" not in body or "config" not in body:
        return body
    stored = current()
    config = body["config"]
    if isinstance(config, tuple):
        config = {**stored, **config[1]}
    revision = stored["revision"] if body["revision"] == CURRENT else body["revision"]
    return {"revision": revision, "config": config}


@pytest.fixture
def staff(auth: Headers) -> dict[str, str]:
    """One genuine dashboard token for a whole target (valid for hours)."""
    return auth(ttl=6 * 3600)


def test_every_dashboard_route_is_fuzzed(app: Any) -> None:
    """The fuzzed routes are Flask's, and every path parameter gets a value."""
    assert sorted(dashboard_routes(app)) == ROUTES
    for _method, rule in ROUTES:
        for name in PATH_VALUES:
            rule = rule.replace(name, "x")
        assert "<" not in rule, f"no fuzzed value for a parameter of {rule}"


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
    staff: dict[str, str],
) -> None:
    kwargs: dict[str, Any] = {"query_string": request["query_string"], "headers": staff}
    kind, body = request["body"]
    if method != "GET" and kind == "own":
        config_body, action = body
        if rule.endswith("/config"):
            current = ConfigStore(services).load(fuzz_tenant).model_dump
            body = _with_current(config_body, lambda: current(mode="json"))
        else:
            body = action
        kwargs["data"] = json.dumps(body)
        kwargs["content_type"] = "application/json"
    elif method != "GET" and kind == "json":
        kwargs["data"] = json.dumps(body)
        kwargs["content_type"] = "application/json"
    elif method != "GET":
        kwargs["data"] = body
        kwargs["content_type"] = kind
    path = rule
    for name, value in request["path"].items():
        path = path.replace(name, value)
    before = snapshot(services, saleor)
    answer = client.open(path, method=method, **kwargs)
    what = f"{method} {path}?{request['query_string']} {str(kwargs.get('data'))[:300]}"
    assert_handled(f"{method} {rule}", answer, before, snapshot(services, saleor), what)
