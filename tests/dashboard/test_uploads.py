"""The screens' uploads (a suppression list, a campaign's numbers) are read by one
reader (``access.upload_text``): too large is a 413, not UTF-8 or holding a NUL is
a 400, each naming the field, and nothing is stored."""

from __future__ import annotations

import io
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from saleor_sms_app.models import Suppression
from saleor_sms_app.services import Services
from saleor_sms_app.web.dashboard_api.campaigns import MAX_UPLOAD_BYTES
from saleor_sms_app.web.suppressions_api import MAX_IMPORT_BYTES
from tests.dashboard.conftest import Headers

UPLOADS = {
    "/api/dashboard/suppressions/import": MAX_IMPORT_BYTES,
    "/api/dashboard/campaigns/numbers": MAX_UPLOAD_BYTES,
}


def _upload(client: FlaskClient, auth: Headers, path: str, data: bytes) -> Any:
    return client.post(
        path,
        data={"file": (io.BytesIO(data), "list.csv")},
        headers=auth(),
        content_type="multipart/form-data",
    )


@pytest.mark.parametrize("path", sorted(UPLOADS))
@pytest.mark.parametrize(
    ("make", "status", "reason"),
    [
        (lambda limit: b"+48601234567\n" * (limit // 13 + 1), 413, "larger than"),
        (lambda limit: "+48601234567,żółw\n".encode("utf-16"), 400, "UTF-8"),
        (lambda limit: b"+48601234567,spam\x00\n", 400, "NUL"),
    ],
    ids=["too-large", "not-utf8", "nul"],
)
def test_a_bad_upload_is_refused_naming_the_file(
    client: FlaskClient,
    auth: Headers,
    services: Services,
    path: str,
    make: Any,
    status: int,
    reason: str,
) -> None:
    answer = _upload(client, auth, path, make(UPLOADS[path]))
    assert answer.status_code == status, answer.get_json()
    error = answer.get_json()["error"]
    assert reason in error["message"]
    assert "file" in error["details"]
    with services.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Suppression)) == 0


@pytest.mark.parametrize("path", sorted(UPLOADS))
def test_a_spreadsheets_byte_order_mark_is_dropped(
    client: FlaskClient, auth: Headers, path: str
) -> None:
    answer = _upload(client, auth, path, "\ufeff+48601234567\n".encode())
    assert answer.status_code == 200, answer.get_json()
    found = answer.get_json()
    assert found.get("added", found.get("valid")) == 1


def test_pasted_numbers_are_checked_like_a_file(client: FlaskClient, auth: Headers) -> None:
    answer = client.post(
        "/api/dashboard/campaigns/numbers", json={"numbers": "+48601234567\x00"}, headers=auth()
    )
    assert answer.status_code == 400
    assert "numbers" in answer.get_json()["error"]["details"]


@pytest.mark.parametrize("path", sorted(UPLOADS))
def test_a_list_larger_than_a_webhook_but_within_its_own_limit_is_read(
    client: FlaskClient, auth: Headers, services: Services, path: str
) -> None:
    """The app's body limit is sized for webhooks (512 KB); a 1.4 MB list of
    numbers is within both uploads' own limits and must be read whole."""
    lines = [f"+4860{n:07d},asked by e-mail" for n in range(49_000)]
    data = "\n".join(lines).encode()
    assert services.settings.max_webhook_bytes < len(data) < min(UPLOADS.values())
    answer = _upload(client, auth, path, data)
    assert answer.status_code == 200, answer.get_json()
    found = answer.get_json()
    assert found.get("added", found.get("valid")) == len(lines)
