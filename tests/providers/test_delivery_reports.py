"""The delivery-report endpoint: authenticated, matched to our log, never downgrading."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from sqlalchemy import func, select

from saleor_sms_app.config.model import AppConfig, ProviderConfig
from saleor_sms_app.delivery_reports.receiving import callback_url
from saleor_sms_app.models import DeliveryReport, Message, Suppression
from saleor_sms_app.providers.twilio import twilio_signature
from saleor_sms_app.saleor.tenants import TenantRecord
from saleor_sms_app.services import Services
from saleor_sms_app.settings import Settings
from tests.providers.conftest import TWILIO_TOKEN, log_message, use_config

TOKEN = TWILIO_TOKEN


def _sent(services: Services, tenant: TenantRecord, provider_id: str, sid: str, **kw: Any) -> int:
    return log_message(
        services,
        tenant.id,
        status=kw.pop("status", "sent"),
        provider_id=provider_id,
        provider="twilio" if provider_id == "tw" else "smsapi",
        provider_message_id=sid,
        **kw,
    )


def _path(tenant: TenantRecord, provider_id: str = "tw", secret: str | None = None) -> str:
    return f"/api/delivery-reports/{tenant.id}/{provider_id}/{secret or tenant.callback_secret}"


def _post_twilio(
    client: Any, settings: Settings, path: str, form: dict[str, str], *, sign: bool = True
) -> Any:
    headers = {}
    if sign:
        headers["X-Twilio-Signature"] = twilio_signature(TOKEN, settings.app_url + path, form)
    return client.post(path, data=form, headers=headers)


def _status(services: Services, message_id: int) -> tuple[str, str | None, str | None]:
    with services.sessions() as session:
        m = session.get(Message, message_id)
        assert m is not None
        return m.status, m.delivery_code, m.error_hint


def _reports(services: Services) -> int:
    with services.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(DeliveryReport)) or 0)


def test_callback_url_only_when_public(settings: Settings) -> None:
    assert callback_url(settings, 7, "s3cr3t", "tw") is None  # APP_URL is localhost here
    public = settings.with_overrides(app_url="https://sms.example.com")
    assert callback_url(public, 7, "s3cr3t", "tw") == (
        "https://sms.example.com/api/delivery-reports/7/tw/s3cr3t"
    )
    assert callback_url(public, 7, None, "tw") is None


def test_signed_twilio_report_marks_delivered(
    client: Any, services: Services, settings: Settings, shop: TenantRecord
) -> None:
    message_id = _sent(services, shop, "tw", "SM1")
    form = {"MessageSid": "SM1", "MessageStatus": "delivered", "To": "+48500100200"}
    response = _post_twilio(client, settings, _path(shop), form)
    assert response.status_code == 200, response.json
    assert response.json["applied"] == 1
    assert _status(services, message_id)[:2] == ("delivered", "delivered")
    assert _reports(services) == 1


def test_failed_report_keeps_code_and_hint(
    client: Any, services: Services, settings: Settings, shop: TenantRecord
) -> None:
    message_id = _sent(services, shop, "tw", "SM2")
    form = {"MessageSid": "SM2", "MessageStatus": "undelivered", "ErrorCode": "30007"}
    assert _post_twilio(client, settings, _path(shop), form).status_code == 200
    status, code, hint = _status(services, message_id)
    assert (status, code) == ("failed", "30007")
    assert hint and "spam" in hint


def test_a_report_with_nul_characters_is_stored_without_them(
    client: Any, services: Services, settings: Settings, shop: TenantRecord
) -> None:
    """PostgreSQL refuses NUL characters (the fuzzing found a 500 there): a report
    is stored without them; an id holding one names no message."""
    message_id = _sent(services, shop, "tw", "SM4")
    form = {"MessageSid": "SM4", "MessageStatus": "undelivered", "ErrorCode": "30007\x00"}
    form["Note\x00"] = "a\x00b"
    response = _post_twilio(client, settings, _path(shop), form)
    assert response.status_code == 200, response.json
    assert _status(services, message_id)[:2] == ("failed", "30007")
    with services.sessions() as session:
        [report] = session.scalars(select(DeliveryReport)).all()
        assert report.provider_code == "30007"
        assert report.raw is not None and "\x00" not in repr(report.raw)
        assert report.raw["Note"] == "ab"
    unknown = {"MessageSid": "SM4\x00", "MessageStatus": "delivered"}
    assert _post_twilio(client, settings, _path(shop), unknown).status_code == 400


def test_forged_or_unsigned_report_changes_nothing(
    client: Any, services: Services, settings: Settings, shop: TenantRecord
) -> None:
    message_id = _sent(services, shop, "tw", "SM3")
    form = {"MessageSid": "SM3", "MessageStatus": "failed"}
    unsigned = _post_twilio(client, settings, _path(shop), form, sign=False)
    assert unsigned.status_code == 401
    forged = client.post(
        _path(shop),
        data=form,
        headers={"X-Twilio-Signature": twilio_signature("wrong-token", "x", form)},
    )
    assert forged.status_code == 401
    assert forged.json["error"]["code"] == "unauthorized"
    assert _status(services, message_id)[0] == "sent"
    assert _reports(services) == 0


def test_wrong_secret_unknown_tenant_and_unknown_provider(
    client: Any, services: Services, settings: Settings, shop: TenantRecord
) -> None:
    form = {"MessageSid": "SM4", "MessageStatus": "delivered"}
    assert _post_twilio(client, settings, _path(shop, secret="guess"), form).status_code == 401
    other = f"/api/delivery-reports/{shop.id + 99}/tw/{shop.callback_secret}"
    assert _post_twilio(client, settings, other, form).status_code == 401
    response = _post_twilio(client, settings, _path(shop, "nope"), form)
    assert response.status_code == 404 and "nope" in response.json["error"]["message"]


def test_report_for_a_message_we_never_sent_is_404(
    client: Any, services: Services, settings: Settings, shop: TenantRecord
) -> None:
    _sent(services, shop, "sa", "SM5")  # same id, but sent through another provider
    form = {"MessageSid": "SM5", "MessageStatus": "delivered"}
    response = _post_twilio(client, settings, _path(shop), form)
    assert response.status_code == 404
    assert "SM5" in response.json["error"]["message"]
    assert _reports(services) == 0


def test_final_state_is_never_downgraded(
    client: Any, services: Services, settings: Settings, shop: TenantRecord
) -> None:
    message_id = _sent(services, shop, "tw", "SM6")
    for status in ("delivered", "failed", "sent"):
        form = {"MessageSid": "SM6", "MessageStatus": status}
        assert _post_twilio(client, settings, _path(shop), form).status_code == 200
    assert _status(services, message_id)[0] == "delivered"
    assert _reports(services) == 3  # every report is kept for the audit trail


def test_opted_out_report_suppresses_the_number(
    client: Any, services: Services, settings: Settings, shop: TenantRecord
) -> None:
    _sent(services, shop, "tw", "SM7", phone="+48500100777")
    form = {"MessageSid": "SM7", "MessageStatus": "undelivered", "ErrorCode": "21610"}
    assert _post_twilio(client, settings, _path(shop), form).status_code == 200
    with services.sessions() as session:
        rows = session.scalars(select(Suppression)).all()
        assert [(r.phone, r.source) for r in rows] == [("+48500100777", "twilio")]


def test_smsapi_get_report_is_answered_ok(
    client: Any, services: Services, shop: TenantRecord
) -> None:
    first = _sent(services, shop, "sa", "AAA")
    second = _sent(services, shop, "sa", "BBB")
    query = urlencode({"MsgId": "AAA,BBB,ZZZ", "status": "404,402,404", "idx": "1,2,3"})
    response = client.get(_path(shop, "sa") + "?" + query)
    assert response.status_code == 200 and response.data == b"OK"
    assert _status(services, first)[0] == "delivered"
    assert _status(services, second)[0] == "failed"


def test_head_is_answered_and_empty_report_refused(
    client: Any, services: Services, shop: TenantRecord
) -> None:
    assert client.head(_path(shop)).status_code == 200
    response = client.post(_path(shop, "sa"), data={"nothing": "here"})
    assert response.status_code == 400
    assert response.json["error"]["code"] == "bad_request"


def test_plivo_v3_and_infobip_json_reports_through_the_endpoint(
    client: Any, services: Services, settings: Settings, tenant: TenantRecord
) -> None:
    from saleor_sms_app.providers.plivo import plivo_signature_v3

    use_config(
        services,
        tenant,
        AppConfig(
            providers=[
                ProviderConfig(
                    id="pl",
                    type="plivo",
                    sender="+14155550100",
                    options={"auth_id": "MAXXXX"},
                    secrets={"auth_token": "plivo-token-1"},
                ),
                ProviderConfig(
                    id="ib",
                    type="infobip",
                    options={"base_url": "https://x.api.infobip.com"},
                    secrets={"api_key": "ib-key-1"},
                ),
            ]
        ),
    )
    plivo_id = log_message(
        services,
        tenant.id,
        status="sent",
        provider_id="pl",
        provider="plivo",
        provider_message_id="uuid-1",
    )
    infobip_id = log_message(
        services,
        tenant.id,
        status="sent",
        provider_id="ib",
        provider="infobip",
        provider_message_id="1042",
    )

    path = _path(tenant, "pl") + "?channel=sms"  # a query string is part of what Plivo signs
    form = {"MessageUUID": "uuid-1", "Status": "delivered", "ErrorCode": "000"}
    nonce = "98765432109876543210"
    signature = plivo_signature_v3("plivo-token-1", settings.app_url + path, form, nonce)
    headers = {"X-Plivo-Signature-V3": signature, "X-Plivo-Signature-V3-Nonce": nonce}
    assert (
        client.post(
            path, data=form, headers={**headers, "X-Plivo-Signature-V3": "AAAA"}
        ).status_code
        == 401
    )
    assert _status(services, plivo_id)[0] == "sent"
    assert client.post(path, data=form, headers=headers).status_code == 200
    assert _status(services, plivo_id)[0] == "delivered"

    report = {
        "results": [
            {
                "messageId": "1042",
                "status": {"groupName": "REJECTED", "name": "REJECTED_DND"},
                "error": {
                    "name": "REJECTED_DND",
                    "description": "Do not disturb",
                    "permanent": True,
                },
            }
        ]
    }
    response = client.post(_path(tenant, "ib"), json=report)
    assert response.status_code == 200
    status, code, hint = _status(services, infobip_id)
    assert (status, code) == ("failed", "REJECTED_DND")
    with services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Suppression)) == 1


def test_report_matched_by_our_reference_when_the_send_answer_was_lost(
    client: Any, services: Services, shop: TenantRecord
) -> None:
    """SMSAPI took the message but we never saw its id (timeout, then "already
    sent" for the retried idx): the report's idx finds the row and corrects it."""
    lost = log_message(
        services, shop.id, status="failed", provider_id="sa", provider="smsapi", error_code="53"
    )
    other = log_message(services, shop.id, status="failed", provider_id="tw", provider="twilio")
    query = urlencode({"MsgId": "NEWID,X2", "status": "404,404", "idx": f"{lost},{other}"})
    response = client.get(_path(shop, "sa") + "?" + query)
    assert response.status_code == 200
    assert _status(services, lost)[0] == "delivered"
    assert _status(services, other)[0] == "failed"  # another provider's row is never touched
    with services.sessions() as session:
        row = session.get(Message, lost)
        assert row is not None and row.provider_message_id == "NEWID"


def test_mocean_put_report_through_the_endpoint(
    client: Any, services: Services, tenant: TenantRecord
) -> None:
    """MoceanAPI PUTs its delivery reports with a form body (its own playSMS plugin
    reads them with ``parse_str(file_get_contents("php://input"))``)."""
    use_config(
        services,
        tenant,
        AppConfig(
            providers=[
                ProviderConfig(
                    id="mo",
                    type="mocean",
                    options={"api_key": "mocean-key"},
                    secrets={"api_secret": "mocean-secret-1"},
                )
            ]
        ),
    )
    message_id = log_message(
        services,
        tenant.id,
        status="sent",
        provider_id="mo",
        provider="mocean",
        provider_message_id="CPASS_restapi_C1.0001",
    )
    form = {
        "mocean-from": "Shop",
        "mocean-to": "48500100200",
        "mocean-dlr-status": "1",
        "mocean-msgid": "CPASS_restapi_C1.0001",
        "mocean-error-code": "0",
    }
    response = client.put(
        _path(tenant, "mo"),
        data=urlencode(form),
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200, response.data
    assert _status(services, message_id)[:2] == ("delivered", "delivered")
    wrong = client.put(_path(tenant, "mo", secret="guess"), data=urlencode(form))
    assert wrong.status_code == 401
