"""A send that the provider refuses: retried while the error is temporary, recorded when it
is permanent, and handed to the channel's next provider (real Redis and database)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from saleor_sms_app.config.model import ProviderConfig
from saleor_sms_app.config.store import ConfigStore
from saleor_sms_app.messages import send_jobs
from saleor_sms_app.models import Suppression
from saleor_sms_app.saleor.tenants import TenantRecord
from saleor_sms_app.services import Services
from tests.conftest import drain_queue
from tests.pipeline.conftest import ScriptedProvider, configure
from tests.pipeline.support import attempts, by_rule, run
from tests.standin.saleor import SaleorStandin


@pytest.fixture
def only_scripted(
    store: ConfigStore, tenant: TenantRecord, scripted: type[ScriptedProvider]
) -> type[ScriptedProvider]:
    """The shop's one provider is the scripted one (id ``s``), answering as the test scripts."""
    configure(store, tenant, providers=[ProviderConfig(id="s", type="scripted")])
    return scripted


def test_a_temporary_provider_error_is_retried_until_it_works(
    services: Services,
    saleor: SaleorStandin,
    tenant: TenantRecord,
    only_scripted: type[ScriptedProvider],
) -> None:
    only_scripted.script = ["temporary", "temporary", "ok"]
    # The webhook's job sends at once; after the first failure the row says why it waits.
    run(saleor, "ORDER_CREATED", saleor.make_order())
    customer = by_rule(services)["customer-order-confirmation/customer"]
    assert customer.status == "queued"
    assert (customer.error_text or "").startswith("Waiting to retry: scripted")
    drain_queue(services)
    customer = by_rule(services)["customer-order-confirmation/customer"]
    assert (customer.status, customer.provider_message_id) == ("sent", "scripted-3")
    assert (customer.price, customer.currency, customer.segments) == (Decimal("0.0075"), "USD", 2)
    assert customer.sent_at is not None
    assert customer.error_code is None and customer.error_text is None
    assert [(a.status, a.error_code, a.temporary) for a in attempts(services, customer.id)] == [
        ("failed", "503", True),
        ("failed", "503", True),
        ("queued", None, None),
    ]


def test_a_temporary_error_that_persists_fails_after_the_last_retry(
    services: Services,
    saleor: SaleorStandin,
    tenant: TenantRecord,
    only_scripted: type[ScriptedProvider],
) -> None:
    only_scripted.script = ["temporary"] * 10
    run(saleor, "ORDER_CREATED", saleor.make_order())
    drain_queue(services)
    customer = by_rule(services)["customer-order-confirmation/customer"]
    assert (customer.status, customer.error_code) == ("failed", "provider_unavailable")
    assert len(only_scripted.calls) == 1 + len(send_jobs.SEND_RETRY_INTERVALS)
    assert len(attempts(services, customer.id)) == len(only_scripted.calls)


@pytest.mark.parametrize("answer", ["permanent", "opted_out"])
def test_a_permanent_provider_error_is_recorded_not_retried(
    services: Services,
    saleor: SaleorStandin,
    tenant: TenantRecord,
    only_scripted: type[ScriptedProvider],
    answer: str,
) -> None:
    only_scripted.script = [answer]
    order = saleor.make_order(phone="+12025550177")
    run(saleor, "ORDER_CREATED", order)
    drain_queue(services)
    customer = by_rule(services)["customer-order-confirmation/customer"]
    assert customer.status == "failed" and len(only_scripted.calls) == 1
    with services.sessions() as session:
        suppressed = session.scalars(select(Suppression.phone)).all()
    if answer == "opted_out":
        assert (customer.error_code, customer.error_hint) == (
            "opted_out",
            "The customer opted out.",
        )
        assert suppressed == ["+12025550177"]
    else:
        assert (customer.error_code, customer.error_hint) == (
            "invalid_sender",
            "Register the sender name.",
        )
        assert suppressed == []


def test_failover_to_the_next_provider_for_the_channel(
    services: Services,
    saleor: SaleorStandin,
    tenant: TenantRecord,
    store: ConfigStore,
    scripted: type[ScriptedProvider],
) -> None:
    configure(
        store,
        tenant,
        providers=[
            ProviderConfig(id="other", type="scripted", channels=["channel-pln"]),
            ProviderConfig(id="off", type="scripted", enabled=False),
            ProviderConfig(id="s", type="scripted"),
            ProviderConfig(id="backup", type="sandbox"),
        ],
    )
    scripted.script = ["temporary"]
    run(saleor, "ORDER_CREATED", saleor.make_order())
    drain_queue(services)
    customer = by_rule(services)["customer-order-confirmation/customer"]
    assert (customer.status, customer.provider_id, customer.provider) == (
        "sent",
        "backup",
        "sandbox",
    )
    assert [a.provider_id for a in attempts(services, customer.id)] == ["s", "backup"]


def test_no_provider_for_the_channel_fails_with_a_hint(
    services: Services, saleor: SaleorStandin, tenant: TenantRecord, store: ConfigStore
) -> None:
    configure(
        store, tenant, providers=[ProviderConfig(id="pl", type="sandbox", channels=["channel-pln"])]
    )
    run(saleor, "ORDER_CREATED", saleor.make_order())
    drain_queue(services)
    customer = by_rule(services)["customer-order-confirmation/customer"]
    assert (customer.status, customer.error_code) == ("failed", "no_provider")
    assert customer.error_hint
