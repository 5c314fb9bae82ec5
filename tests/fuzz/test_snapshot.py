"""The fuzz targets' "nothing stored" check must see what it is there to see."""

from __future__ import annotations

from sqlalchemy import update

from saleor_sms_app.db import session_scope
from saleor_sms_app.models import Message
from saleor_sms_app.services import Services
from tests.fuzz.conftest import snapshot
from tests.providers.conftest import log_message
from tests.standin.saleor import SaleorStandin


def test_snapshot_changes_with_every_committed_write_and_not_with_a_rollback(
    services: Services, saleor: SaleorStandin, tenant_id: int
) -> None:
    start = snapshot(services, saleor)
    message_id = log_message(services, tenant_id)
    inserted = snapshot(services, saleor)
    assert inserted != start
    with session_scope(services.sessions) as session:
        session.execute(update(Message).where(Message.id == message_id).values(status="sent"))
    updated = snapshot(services, saleor)
    assert updated != inserted
    with services.sessions() as session:
        session.execute(update(Message).where(Message.id == message_id).values(status="failed"))
        session.rollback()
    assert snapshot(services, saleor) == updated
    saleor.app_private_metadata["x"] = "y"
    assert snapshot(services, saleor) != updated
