"""Fixtures of the campaign tests: the loopback Saleor with customers, the app installed.

Customers are served by the stand-in (tests/standin/customers.py) through real
HTTP and the real schema; the time is a clock the test moves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from saleor_sms_app.campaigns import running
from saleor_sms_app.messages import send_jobs
from saleor_sms_app.scheduler.clock import ManualClock
from saleor_sms_app.services import Services
from tests.pipeline.conftest import immediate_retries, saleor, scripted, store, tenant
from tests.standin.customers import make_customer
from tests.standin.saleor import SaleorStandin, address

__all__ = ["immediate_retries", "saleor", "scripted", "store", "tenant"]

CONSENT = {"sms_marketing_consent": "true"}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime.now(UTC))


AddCustomer = Callable[..., dict[str, Any]]


@pytest.fixture
def add_customer(saleor: SaleorStandin) -> AddCustomer:
    """Add a customer: ``phone`` on the default shipping address (None: no address)."""
    counter = iter(range(1, 1_000_000))

    def add(
        phone: str | None = None,
        *,
        billing_phone: str | None = None,
        country: str = "PL",
        metadata: dict[str, str] | None = None,
        consent: bool = True,
        **kwargs: Any,
    ) -> dict[str, Any]:
        shipping = address(phone=phone, country_code=country) if phone is not None else None
        billing = (
            address(phone=billing_phone, country_code=country)
            if billing_phone is not None
            else None
        )
        meta = {**(CONSENT if consent else {}), **(metadata or {})}
        customer = make_customer(
            next(counter), shipping=shipping, billing=billing, metadata=meta, **kwargs
        )
        return saleor.customers.add(customer)

    return add


@dataclass
class HandingOn:
    """Stands in for ``enqueue_sends`` where the campaign run calls it: each chunk of
    message ids is handed on for real, counted, then shown to the test's ``after``
    (which may pause the campaign, or raise to kill the worker half-way)."""

    after: Callable[[list[int]], None] | None = None
    calls: int = 0

    def __call__(self, services: Services, ids: list[int]) -> None:
        send_jobs.enqueue_sends(services, ids)
        self.calls += 1
        if self.after is not None:
            self.after(ids)


@pytest.fixture
def handing_on(monkeypatch: pytest.MonkeyPatch) -> HandingOn:
    """The campaign run's hand-on to the send jobs, watched (``running`` imported it by name)."""
    watcher = HandingOn()
    monkeypatch.setattr(running, "enqueue_sends", watcher)
    return watcher
