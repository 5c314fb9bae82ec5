"""The Suppressions screen's API: list, search, add, remove, CSV import and export,
each authenticated and authorised like every dashboard call."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from saleor_sms_app.consent.suppressions import suppress
from saleor_sms_app.models import Suppression
from saleor_sms_app.services import Services
from tests.dashboard.conftest import Headers

BASE = "/api/dashboard/suppressions"


def _numbers(services: Services, tenant_id: int) -> dict[str, tuple[str, str]]:
    with services.sessions() as session:
        rows = session.scalars(select(Suppression).where(Suppression.tenant_id == tenant_id))
        return {r.phone: (r.reason, r.source) for r in rows}


def test_add_list_search_and_remove(
    client: FlaskClient, auth: Headers, services: Services, tenant_id: int
) -> None:
    added = client.post(
        BASE, json={"phone": "+48 601 234 567", "reason": "asked by e-mail"}, headers=auth()
    )
    assert added.status_code == 201, added.get_json()
    assert added.get_json() == {"phone": "+48601234567", "added": True}
    again = client.post(BASE, json={"phone": "+48601234567"}, headers=auth())
    assert (again.status_code, again.get_json()["added"]) == (200, False)
    with services.sessions.begin() as session:
        suppress(session, tenant_id, "+12025550123", reason="replied STOP", source="twilio")

    listed = client.get(BASE, headers=auth()).get_json()
    assert listed["total"] == 2
    assert {r["phone"]: (r["reason"], r["source"]) for r in listed["rows"]} == {
        "+48601234567": ("asked by e-mail", "manual"),
        "+12025550123": ("replied STOP", "twilio"),
    }
    assert all(r["added_at"] for r in listed["rows"])
    assert [
        r["phone"] for r in client.get(BASE + "?search=601 234", headers=auth()).get_json()["rows"]
    ] == ["+48601234567"]
    assert [
        r["phone"] for r in client.get(BASE + "?search=twilio", headers=auth()).get_json()["rows"]
    ] == ["+12025550123"]

    removed = client.delete(BASE + "/%2B48601234567", headers=auth())
    assert removed.status_code == 200, removed.get_json()
    assert set(_numbers(services, tenant_id)) == {"+12025550123"}
    gone = client.delete(BASE + "/%2B48601234567", headers=auth())
    assert gone.status_code == 404


def test_bad_input_names_the_field(
    client: FlaskClient, auth: Headers, services: Services, tenant_id: int
) -> None:
    for body, field in (
        ({}, "phone"),
        ({"phone": "call me"}, "phone"),
        ({"phone": "+48601234567", "reason": 5}, "reason"),
        # PostgreSQL refuses a NUL in a row: refused before, naming the field.
        ({"phone": "+48601234567", "reason": "spam\x00"}, "reason"),
        ({"phone": "+48601234567", "tags": [{"x\x00": 1}]}, "tags[0].x\\x00"),
    ):
        answer = client.post(BASE, json=body, headers=auth())
        assert answer.status_code == 400, body
        assert field in answer.get_json()["error"]["details"], body
    assert client.get(BASE + "?page=x", headers=auth()).status_code == 400
    assert _numbers(services, tenant_id) == {}


def test_an_import_holding_nul_characters_is_refused_whole(
    client: FlaskClient, auth: Headers, services: Services, tenant_id: int
) -> None:
    text = "+48601234567,complaint\x00\n+12025550123,ok\n"
    answer = client.post(
        BASE + "/import", data=text.encode(), headers={**auth(), "Content-Type": "text/csv"}
    )
    assert answer.status_code == 400, answer.get_json()
    assert "file" in answer.get_json()["error"]["details"]
    assert _numbers(services, tenant_id) == {}


def test_import_lists_every_bad_line_and_keeps_the_good_ones(
    client: FlaskClient, auth: Headers, services: Services, tenant_id: int
) -> None:
    with services.sessions.begin() as session:
        suppress(session, tenant_id, "+48500100200", reason="replied STOP", source="twilio")
    text = "\n".join(
        [
            "phone,reason",
            "+48 601 234 567,complaint",
            "'+12025550123",  # our own export's formula guard
            "not a number,oops",
            "",
            "+48601234567,twice in the file",
            "+48500100200,already there",
            "12",
        ]
    )
    answer = client.post(
        BASE + "/import", data=text.encode(), headers={**auth(), "Content-Type": "text/csv"}
    )
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert (body["added"], body["already"]) == (2, 2)
    assert [(p["line"], p["text"]) for p in body["problems"]] == [
        (4, "not a number,oops"),
        (8, "12"),
    ]
    assert all(p["reason"] for p in body["problems"])
    assert _numbers(services, tenant_id) == {
        "+48500100200": ("replied STOP", "twilio"),  # an import never overwrites
        "+48601234567": ("complaint", "manual"),
        "+12025550123": ("imported", "manual"),
    }

    upload = client.post(
        BASE + "/import",
        data={"file": (io.BytesIO(b"+447911123456\n"), "numbers.csv")},
        headers=auth(),
        content_type="multipart/form-data",
    )
    assert upload.get_json()["added"] == 1
    for bad, field in ((b"", "file"), (b"\xff\xfe\x00", "file")):
        refused = client.post(
            BASE + "/import", data=bad, headers={**auth(), "Content-Type": "text/csv"}
        )
        assert refused.status_code == 400 and field in refused.get_json()["error"]["details"]


def test_export_is_the_whole_list_as_safe_csv(
    client: FlaskClient, auth: Headers, services: Services, tenant_id: int
) -> None:
    with services.sessions.begin() as session:
        for i in range(3):
            suppress(
                session, tenant_id, f"+4860123456{i}", reason='=HYPERLINK("x")', source="manual"
            )
    answer = client.get(BASE + "/export.csv", headers=auth())
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(answer.get_data(as_text=True))))
    assert rows[0] == ["phone", "reason", "source", "added_at"]
    assert len(rows) == 4
    assert all(r[1].startswith("'=") for r in rows[1:])  # never run as a formula
    # What we export imports back unchanged.
    client.delete(BASE + "/%2B48601234560", headers=auth())
    again = client.post(
        BASE + "/import", data=answer.get_data(), headers={**auth(), "Content-Type": "text/csv"}
    )
    assert (again.get_json()["added"], again.get_json()["problems"]) == (1, [])


def test_every_call_is_authenticated_and_authorised(
    client: FlaskClient, auth: Headers, services: Services, tenant_id: int
) -> None:
    calls: list[tuple[str, str, dict[str, Any]]] = [
        ("get", BASE, {}),
        ("get", BASE + "/export.csv", {}),
        ("post", BASE, {"json": {"phone": "+48601234567"}}),
        ("delete", BASE + "/%2B48601234567", {}),
        ("post", BASE + "/import", {"data": b"+48601234567"}),
    ]
    for method, path, kwargs in calls:
        anonymous = getattr(client, method)(path, **kwargs)
        assert anonymous.status_code == 401, path
        forged = getattr(client, method)(path, headers=auth(token="not.a.token"), **kwargs)
        assert forged.status_code == 401, path
    # Staff who may see orders may see the list, but changing it needs MANAGE_APPS.
    viewer = auth(permissions=["MANAGE_ORDERS"])
    assert client.get(BASE, headers=viewer).status_code == 200
    assert client.post(BASE, json={"phone": "+48601234567"}, headers=viewer).status_code == 403
    assert client.post(BASE + "/import", data=b"+48601234567", headers=viewer).status_code == 403
    assert _numbers(services, tenant_id) == {}
