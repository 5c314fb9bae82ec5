"""The log's CSV: the database formats each cell exactly as the Python formatters do.

``csv_cells`` computes every cell in SQL (the export is a million rows); these
tests hold it to the Python originals (``iso_time``, ``mask_phone``,
``price_text``, ``neutralise_cell``, the provider directory) on whatever the
suite runs on (SQLite, or PostgreSQL under ``make test-postgres``), with
hypothesis choosing awkward phones, prices, times and formula-like texts, and
check the attempt count and provider name columns against rows written the way
the app writes them.
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, insert, select

from saleor_sms_app.db import session_scope
from saleor_sms_app.message_log import csv_export, queries
from saleor_sms_app.message_log.csv_cells import FORMULA_PREFIXES, neutralise_cell
from saleor_sms_app.message_log.rows import ProviderDirectory, iso_time, price_text
from saleor_sms_app.models import Message, MessageAttempt, mask_phone
from saleor_sms_app.services import Services
from tests.dashboard.conftest import Headers

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
PROVIDERS = ProviderDirectory(names={"p1": "Main Twilio", "p2": "=Backup", "p3": "+48 line"})

#: Text that starts like a formula half the time (every prefix), or ordinary text.
cell_text = st.one_of(
    st.builds(
        lambda prefix, rest: prefix + rest,
        st.sampled_from(FORMULA_PREFIXES),
        st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12),
    ),
    st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12),
    # What the CSV must quote: commas, quotes, line breaks (and a leading formula).
    st.text(st.sampled_from(',"\r\n =ab'), max_size=8),
)
row = st.fixed_dictionaries(
    {
        "phone": st.one_of(
            st.text('+0123456789 -,"', max_size=20), st.sampled_from(["", "+48", "+4860123"])
        ),
        "price": st.one_of(
            st.none(),
            st.decimals(
                min_value=Decimal("-999.99999"),
                max_value=Decimal("9999999.99999"),
                places=5,
                allow_nan=False,
            ),
        ),
        "micro": st.one_of(st.just(0), st.integers(0, 999_999)),
        "body": cell_text,
        "rule_name": st.one_of(st.none(), cell_text),
        "error_text": st.one_of(st.none(), cell_text),
        "provider_id": st.sampled_from([None, "p1", "p2", "p3", "gone", "-old"]),
        "attempts": st.integers(0, 3),
    }
)


def _write(services: Services, tenant_id: int, rows: list[dict[str, Any]]) -> None:
    with session_scope(services.sessions) as session:
        session.execute(delete(Message).where(Message.tenant_id == tenant_id))
        for i, values in enumerate(rows):
            message_id = session.scalar(
                insert(Message)
                .values(
                    tenant_id=tenant_id,
                    dedupe_key=uuid.uuid4().hex,
                    created_at=NOW - timedelta(minutes=i, microseconds=-values["micro"]),
                    updated_at=NOW,
                    event="ORDER_CREATED",
                    order_number=str(1000 + i),
                    recipient_type="customer",
                    phone=values["phone"],
                    body=values["body"],
                    rule_name=values["rule_name"],
                    error_text=values["error_text"],
                    provider_id=values["provider_id"],
                    provider="twilio" if values["provider_id"] else None,
                    price=values["price"],
                    currency="EUR" if values["price"] is not None else None,
                    status="sent",
                )
                .returning(Message.id)
            )
            for n in range(values["attempts"]):
                session.add(
                    MessageAttempt(
                        message_id=message_id, provider_id=f"p{n}", provider="x", status="failed"
                    )
                )


def _expected(services: Services, tenant_id: int) -> list[list[str]]:
    """The CSV rows as the Python formatters make them, newest first."""
    with services.sessions() as session:
        messages = session.scalars(
            select(Message)
            .where(Message.tenant_id == tenant_id)
            .order_by(Message.created_at.desc(), Message.id.desc())
        ).all()
        return [
            [
                neutralise_cell(v)
                for v in (
                    iso_time(m.created_at),
                    m.event,
                    m.order_number,
                    m.rule_name,
                    m.recipient_type,
                    mask_phone(m.phone),
                    m.sender,
                    m.body,
                    m.segments,
                    m.encoding,
                    m.provider,
                    PROVIDERS.name(m.provider_id),
                    len(m.attempts),
                    m.status,
                    m.delivery_code,
                    m.error_code,
                    m.error_text,
                    m.error_hint,
                    price_text(m.price),
                    m.currency,
                    m.direction,
                )
            ]
            for m in messages
        ]


def _export_text(services: Services, tenant_id: int) -> str:
    with services.sessions() as session:
        return "".join(csv_export.export_csv(session, tenant_id, queries.LogQuery(), PROVIDERS))


def _exported(services: Services, tenant_id: int) -> list[list[str]]:
    header, *rows = csv.reader(io.StringIO(_export_text(services, tenant_id)))
    assert tuple(header) == csv_export.CSV_COLUMNS
    return rows


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=st.lists(row, min_size=1, max_size=8))
def test_every_cell_is_what_the_python_formatters_make(
    services: Services, tenant_id: int, rows: list[dict[str, Any]]
) -> None:
    _write(services, tenant_id, rows)
    # Byte for byte what csv.writer makes of the Python formatters' cells, quoting
    # (commas, quotes, line breaks) included.
    expected = io.StringIO()
    csv.writer(expected).writerows([csv_export.CSV_COLUMNS, *_expected(services, tenant_id)])
    assert _export_text(services, tenant_id) == expected.getvalue()


def test_attempt_count_provider_name_and_formula_safety(services: Services, tenant_id: int) -> None:
    _write(
        services,
        tenant_id,
        [
            {**_plain(), "provider_id": "p2", "attempts": 2, "body": "=HYPERLINK(1)"},
            {**_plain(), "provider_id": "gone", "attempts": 0, "body": "\tx", "price": None},
            {**_plain(), "provider_id": None, "attempts": 1, "phone": "+48601234567"},
        ],
    )
    rows = [
        dict(zip(csv_export.CSV_COLUMNS, r, strict=True)) for r in _exported(services, tenant_id)
    ]
    assert [(r["provider_name"], r["attempt_count"]) for r in rows] == [
        ("'=Backup", "2"),
        ("gone", "0"),
        ("", "1"),
    ]
    assert [r["body"] for r in rows[:2]] == ["'=HYPERLINK(1)", "'\tx"]
    assert rows[2]["phone"] == "'+48*****4567"
    assert [r["price"] for r in rows] == ["0.04", "", "0.04"]


def _plain() -> dict[str, Any]:
    return {
        "phone": "+48500100200",
        "price": Decimal("0.04000"),
        "micro": 0,
        "body": "Order 1 is on its way",
        "rule_name": "Shipped",
        "error_text": None,
    }


def test_export_pages_through_every_batch_in_order(
    client: FlaskClient, auth: Headers, services: Services, tenant_id: int, monkeypatch: Any
) -> None:
    """Batches are keyset reads: with a batch of 3, seven rows come out once each, in order."""
    monkeypatch.setattr(csv_export, "EXPORT_BATCH", 3)
    _write(services, tenant_id, [{**_plain(), "provider_id": "p1", "attempts": 0}] * 7)
    response = client.get("/api/dashboard/messages/export.csv?sort=order_number", headers=auth())
    assert response.status_code == 200
    assert response.headers["X-Message-Count"] == "7"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["order_number"] for r in rows] == [str(1000 + i) for i in range(7)]


def test_a_cancelled_export_stops_and_leaves_the_connection_usable(
    services: Services, tenant_id: int, monkeypatch: Any
) -> None:
    """The merchant cancels the download after the first rows: the export stops and the
    connection goes on serving queries rather than being left inside a failed COPY.
    (Nine rows fit in the buffers, so on PostgreSQL the COPY has ended before the
    close: test_log_csv_cancel.py proves a COPY cancelled in flight.)"""
    monkeypatch.setattr(csv_export, "EXPORT_BATCH", 2)
    _write(services, tenant_id, [{**_plain(), "provider_id": "p1", "attempts": 1}] * 9)
    with services.sessions() as session:
        chunks = csv_export.export_csv(session, tenant_id, queries.LogQuery(), PROVIDERS)
        received = "".join(next(chunks) for _ in range(2))
        chunks.close()  # what the web server does when the browser goes away
        assert 1 <= len(list(csv.reader(io.StringIO(received)))) - 1 < 9
        assert session.scalar(select(func.count()).select_from(Message)) == 9
