"""A message's detail view: every failover attempt and delivery report, through real parts.

Two Twilio accounts on loopback: the first refuses the login, the second
takes the message; Twilio then posts a signed delivery report to the app's
callback URL. The detail API must show both attempts by the merchant's names,
the refusal's code, advice and answer (without the auth token), the report,
and the full number only to staff who manage orders.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from saleor_sms_app.messages import dispatching
from saleor_sms_app.providers.twilio import twilio_signature
from saleor_sms_app.saleor.tenants import get_tenant_by_id
from saleor_sms_app.services import Services
from tests.dashboard.conftest import Headers
from tests.dashboard.test_provider_actions import save_providers
from tests.providers.conftest import log_message
from tests.standin.provider import StandinProvider

EU_TOKEN = "eu-auth-token-secret"
US_TOKEN = "us-auth-token-secret"
PHONE = "+48601234567"


@pytest.fixture
def twilio_api() -> Iterator[StandinProvider]:
    server = StandinProvider().start()
    yield server
    server.stop()


def _twilio(provider_id: str, name: str, token: str, base_url: str) -> dict[str, Any]:
    return {
        "id": provider_id,
        "type": "twilio",
        "name": name,
        "sender": "+15005550006",
        "options": {"account_sid": "AC" + provider_id, "base_url": base_url},
        "secrets": {"auth_token": token},
    }


@pytest.fixture
def failed_over(
    client: FlaskClient,
    auth: Headers,
    services: Services,
    tenant_id: int,
    twilio_api: StandinProvider,
) -> int:
    """A message refused by "Twilio EU" (bad login), sent by "Twilio US", then delivered."""
    save_providers(
        client,
        auth,
        [
            _twilio("eu", "Twilio EU", EU_TOKEN, twilio_api.url),
            _twilio("us", "Twilio US", US_TOKEN, twilio_api.url),
        ],
    )
    # Twilio's documented 401 body; this one echoes the token, as a careless
    # proxy might, so the redaction is seen working.
    twilio_api.answer(
        401,
        {
            "code": 20003,
            "message": f"Authenticate: {EU_TOKEN} refused",
            "more_info": "https://www.twilio.com/docs/errors/20003",
            "status": 401,
        },
    )
    twilio_api.answer(
        201,
        {"sid": "SMus1", "status": "queued", "price": None, "num_segments": "1", "to": PHONE},
    )
    message_id = log_message(services, tenant_id, phone=PHONE, order_number="1042")
    assert dispatching.send_message(services, message_id) == "sent"

    tenant = get_tenant_by_id(services, tenant_id)
    assert tenant is not None
    # The callback path as callback_url builds it (this loopback APP_URL is not
    # public, so the app gives providers no URL; Twilio is told it in the test).
    path = f"/api/delivery-reports/{tenant_id}/us/{tenant.callback_secret}"
    url = services.settings.app_url + path
    form = {"MessageSid": "SMus1", "MessageStatus": "delivered", "To": PHONE}
    response = client.post(
        path, data=form, headers={"X-Twilio-Signature": twilio_signature(US_TOKEN, url, form)}
    )
    assert response.status_code == 200, response.get_json()
    return message_id


def test_detail_shows_every_attempt_and_report(
    client: FlaskClient, auth: Headers, failed_over: int
) -> None:
    response = client.get(f"/api/dashboard/messages/{failed_over}", headers=auth())
    assert response.status_code == 200, response.get_json()
    detail = response.get_json()
    message = detail["message"]
    assert (message["status"], message["provider_name"], message["attempt_count"]) == (
        "delivered",
        "Twilio US",
        2,
    )
    assert message["phone_full"] == PHONE
    assert message["phone"] == "+48*****4567"

    first, second = detail["attempts"]
    assert (first["provider_name"], first["provider"], first["outcome"]) == (
        "Twilio EU",
        "twilio",
        "failed",
    )
    assert first["error_code"] == "20003"
    assert first["hint"]  # Twilio's table has advice for a refused login
    assert first["error_label"] == "Login refused"
    assert first["created_at"]
    assert "Authenticate" in first["raw_response"]
    assert (second["provider_name"], second["outcome"], second["provider_message_id"]) == (
        "Twilio US",
        "queued",
        "SMus1",
    )
    assert second["error_code"] is None

    (report,) = detail["delivery_reports"]
    assert (report["status"], report["provider_message_id"]) == ("delivered", "SMus1")
    assert "SMus1" in report["raw"]

    text = response.get_data(as_text=True)
    assert EU_TOKEN not in text and US_TOKEN not in text


def test_full_number_only_for_order_staff(
    client: FlaskClient, auth: Headers, failed_over: int
) -> None:
    # A user whose token lacks MANAGE_ORDERS cannot open the log at all (403) …
    denied = client.get(
        f"/api/dashboard/messages/{failed_over}", headers=auth(permissions=["MANAGE_APPS"])
    )
    assert denied.status_code == 403
    # … and the table never carries the full number, even for staff who may see it.
    table = client.get("/api/dashboard/messages", headers=auth())
    assert PHONE not in table.get_data(as_text=True)
    (row,) = table.get_json()["rows"]
    assert (row["provider_name"], row["attempt_count"]) == ("Twilio US", 2)


def test_another_shops_message_is_not_found(
    client: FlaskClient, auth: Headers, services: Services, failed_over: int
) -> None:
    from tests.dashboard.conftest import add_tenant

    other = add_tenant(services, api_url="http://127.0.0.1:9/graphql/", jwks={"keys": []})
    theirs = log_message(services, other, phone="+48500000000")
    response = client.get(f"/api/dashboard/messages/{theirs}", headers=auth())
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "message_not_found"
    assert client.get("/api/dashboard/messages/999999", headers=auth()).status_code == 404
    # Found by fuzzing: an id past the database's 64-bit integers was a 500.
    for too_big in (2**63, 10**30):
        answer = client.get(f"/api/dashboard/messages/{too_big}", headers=auth())
        assert answer.status_code == 404, answer.get_data(as_text=True)


def test_csv_has_attempt_count_and_provider_name(
    client: FlaskClient, auth: Headers, failed_over: int
) -> None:
    response = client.get("/api/dashboard/messages/export.csv", headers=auth())
    assert response.status_code == 200
    (row,) = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert (row["provider"], row["provider_name"], row["attempt_count"]) == (
        "twilio",
        "Twilio US",
        "2",
    )
    assert row["phone"] == "'+48*****4567"  # formula-safe: a leading + is quoted


@pytest.mark.parametrize(
    ("code", "label"),
    [
        (None, None),
        ("no_phone", "No phone"),
        ("opted_out", "Opted out"),
        ("30007", "30007"),
        ("carrier_violation", "Carrier violation"),
        ("a_very_long_provider_code_that_says_everything", "A very long provider co…"),
    ],
)
def test_reason_label_is_short(code: str | None, label: str | None) -> None:
    from saleor_sms_app.message_log.rows import MAX_LABEL_CHARS, reason_label

    assert reason_label(code) == label
    assert label is None or len(label) <= MAX_LABEL_CHARS


def test_the_log_opens_while_saleor_cannot_be_asked_for_names(
    client: FlaskClient, auth: Headers, services: Services, failed_over: int, saleor: Any
) -> None:
    services.redis.flushdb()  # no cached configuration: it must come from Saleor
    saleor.fail_next("/graphql/", status=503, times=20)
    response = client.get("/api/dashboard/messages", headers=auth())
    assert response.status_code == 200, response.get_json()
    (row,) = response.get_json()["rows"]
    assert (row["provider_id"], row["provider_name"]) == ("us", "us")
