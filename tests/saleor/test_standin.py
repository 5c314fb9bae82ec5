"""The loopback Saleor is only useful if it behaves like the real one; these check that."""

from __future__ import annotations

import json
from typing import Any

import jwt
import pytest
import requests

from tests.conftest import capture_path
from tests.standin.saleor import SaleorStandin, global_id, jwk_thumbprint

UPDATE = """
mutation Update($id: ID!, $key: String!, $value: String!) {
  updatePrivateMetadata(id: $id, input: [{ key: $key, value: $value }]) {
    item { privateMetafield(key: $key) }
    errors { field code message }
  }
}
"""


def _captured_dashboard_claims() -> dict[str, Any]:
    for line in capture_path("dashboard-postmessages.jsonl").open():
        data = json.loads(line)["data"]
        if isinstance(data, dict) and data.get("type") == "handshake":
            claims: dict[str, Any] = jwt.decode(
                data["payload"]["token"], options={"verify_signature": False}
            )
            return claims
    raise AssertionError("no handshake in the capture")


def _post(saleor: SaleorStandin, query: str, token: str | None, **variables: Any) -> Any:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.post(
        saleor.api_url, json={"query": query, "variables": variables}, headers=headers, timeout=5
    )


@pytest.fixture
def saleor_with_app(saleor_standin: SaleorStandin) -> SaleorStandin:
    saleor_standin.token = "app-token"
    saleor_standin.app_id = global_id("App", 1)
    saleor_standin.app_permissions = ["MANAGE_ORDERS"]
    return saleor_standin


def test_kid_is_the_rfc7638_thumbprint_like_the_captured_jwks(
    saleor_standin: SaleorStandin,
) -> None:
    captured = json.loads(capture_path("jwks.json").read_text())["keys"][0]
    assert jwk_thumbprint(captured) == captured["kid"]
    served = requests.get(saleor_standin.url + "/.well-known/jwks.json", timeout=5).json()
    assert set(served["keys"][0]) == set(captured)
    assert served["keys"][0]["kid"] == jwk_thumbprint(served["keys"][0]) == saleor_standin.kid
    old = saleor_standin.kid
    assert saleor_standin.rotate_key() != old


def test_signature_is_a_detached_unencoded_rs256_jws(saleor_standin: SaleorStandin) -> None:
    body = b'{"__typename": "OrderCreated"}'
    signature = saleor_standin.sign(body)
    head, empty, _sig = signature.split(".")
    assert empty == ""
    header = jwt.get_unverified_header(signature)
    assert header == {
        "alg": "RS256",
        "b64": False,
        "crit": ["b64"],
        "kid": saleor_standin.kid,
        "typ": "JWT",
    }
    key = jwt.PyJWK(saleor_standin.jwks()["keys"][0]).key
    decoded = jwt.PyJWS().decode_complete(
        signature, key=key, algorithms=["RS256"], detached_payload=body
    )
    assert decoded["payload"] == body
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.PyJWS().decode_complete(
            signature, key=key, algorithms=["RS256"], detached_payload=body + b" "
        )


def test_dashboard_token_has_the_claims_of_a_real_one(saleor_with_app: SaleorStandin) -> None:
    real = _captured_dashboard_claims()
    token = saleor_with_app.dashboard_token()
    key = jwt.PyJWK(saleor_with_app.jwks()["keys"][0]).key
    claims = jwt.decode(token, key=key, algorithms=["RS256"])
    assert set(claims) == set(real)
    assert claims["iss"] == saleor_with_app.api_url
    assert claims["app"] == saleor_with_app.app_id
    assert claims["exp"] - claims["iat"] == real["exp"] - real["iat"] == 300


def test_graphql_validates_against_the_real_schema(saleor_with_app: SaleorStandin) -> None:
    ok = _post(saleor_with_app, "query AppId { app { id } }", "app-token")
    assert ok.status_code == 200 and ok.json() == {"data": {"app": {"id": saleor_with_app.app_id}}}
    invalid = _post(saleor_with_app, "query { app { id notAField } }", "app-token")
    assert invalid.status_code == 400 and "notAField" in invalid.json()["errors"][0]["message"]
    anonymous = _post(saleor_with_app, "query AppId { app { id } }", None)
    assert anonymous.json()["data"] == {"app": None}
    assert anonymous.json()["errors"][0]["extensions"]["exception"]["code"] == "PermissionDenied"


def test_orders_and_private_metadata_behave_like_saleor(saleor_with_app: SaleorStandin) -> None:
    saleor = saleor_with_app
    order = saleor.make_order(number=77, phone="+48601234567", country_code="PL")
    query = (
        "query O($id: ID!) { order(id: $id) { number billingAddress { phone country { code } } "
        "channel { slug } total { gross { amount currency } } } }"
    )
    answer = _post(saleor, query, "app-token", id=order["id"]).json()["data"]["order"]
    assert answer["number"] == "77"
    assert answer["billingAddress"] == {"phone": "+48601234567", "country": {"code": "PL"}}
    assert answer["total"]["gross"] == {"amount": 32.0, "currency": "USD"}

    first = _post(saleor, UPDATE, "app-token", id=saleor.app_id, key="k", value="1").json()
    assert first["data"]["updatePrivateMetadata"] == {
        "item": {"privateMetafield": "1"},
        "errors": [],
    }
    _post(saleor, UPDATE, "app-token", id=saleor.app_id, key="k", value="2")
    assert saleor.app_private_metadata == {"k": "2"}
    missing = _post(saleor, UPDATE, "app-token", id=global_id("App", 9), key="k", value="x")
    assert missing.json()["data"]["updatePrivateMetadata"]["errors"][0]["code"] == "NOT_FOUND"


def test_failures_on_demand_and_request_counting(saleor_with_app: SaleorStandin) -> None:
    saleor = saleor_with_app
    saleor.fail_next("/graphql/", status=502)
    assert _post(saleor, "query AppId { app { id } }", "app-token").status_code == 502
    assert _post(saleor, "query AppId { app { id } }", "app-token").status_code == 200
    saleor.hang_next("/graphql/", seconds=1.0)
    with pytest.raises(requests.Timeout):
        requests.post(saleor.api_url, json={"query": "{ shop { name } }"}, timeout=0.2)
    assert saleor.count("/graphql/", operation="AppId") == 2
    assert saleor.count("/graphql/") == 3
