"""Fixtures of the scheduler tests: a clock the test moves, runs written through the real table."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from saleor_sms_app.db import session_scope
from saleor_sms_app.models import Tenant
from saleor_sms_app.scheduler import runs
from saleor_sms_app.scheduler.clock import ManualClock
from saleor_sms_app.scheduler.tables import ScheduledRun
from saleor_sms_app.services import Services
from tests.pipeline.conftest import saleor, store, tenant

__all__ = ["saleor", "store", "tenant"]  # the loopback Saleor with the app installed

#: A fixed start, far from the real time, so nothing here depends on when the test runs.
START = datetime(2031, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


def add_tenant(services: Services, name: str = "shop") -> int:
    with session_scope(services.sessions) as session:
        row = Tenant(saleor_api_url=f"https://{name}.example.com/graphql/", app_id="QXBwOjE=")
        session.add(row)
        session.flush()
        return row.id


def add_runs(
    services: Services,
    tenant_id: int,
    count: int,
    due_at: datetime,
    *,
    kind: str = "test",
    prefix: str = "k",
    **fields: Any,
) -> list[int]:
    ids: list[int] = []
    with session_scope(services.sessions) as session:
        for n in range(count):
            new = runs.schedule(
                session,
                tenant_id=tenant_id,
                kind=kind,
                dedupe_key=f"{prefix}{n}",
                due_at=due_at,
                now=START,
                **fields,
            )
            assert new is not None
            ids.append(new)
    return ids


def states(services: Services) -> dict[int, str]:
    with services.sessions() as session:
        return {r.id: r.state for r in session.scalars(select(ScheduledRun))}


def run_row(services: Services, run_id: int) -> ScheduledRun:
    with services.sessions() as session:
        found = session.get(ScheduledRun, run_id)
        assert found is not None
        return found
