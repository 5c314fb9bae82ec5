"""Yearly anniversaries (which year it is), days before, delete, and the shop's zone changing.

Real Redis, the real database, the loopback Saleor with customers, a scripted
provider; the time is a clock the test moves (never slept).
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from saleor_sms_app.anniversaries import store as daily
from saleor_sms_app.anniversaries.tables import DailySend, DailySendDay
from saleor_sms_app.config.store import ConfigStore
from saleor_sms_app.db import session_scope
from saleor_sms_app.saleor.tenants import TenantRecord
from saleor_sms_app.scheduler.clock import ManualClock, as_utc
from saleor_sms_app.scheduler.tables import ScheduledRun
from saleor_sms_app.services import Services
from tests.anniversaries.test_running import (
    WARSAW,
    logged,
    moved_clock,
    new_send,
    run_due,
    runs_of,
    setup_shop,
)
from tests.campaigns.conftest import AddCustomer
from tests.pipeline.conftest import ScriptedProvider, configure

NEW_YORK = ZoneInfo("America/New_York")

__all__ = ["moved_clock"]  # the handler's clock is the test's


def texts(scripted: type[ScriptedProvider]) -> dict[str, str]:
    return {sms.to: sms.body.split("\n")[0] for sms in scripted.calls}


def test_a_yearly_anniversary_texts_every_year_saying_which_and_days_before(
    services: Services,
    tenant: TenantRecord,
    store: ConfigStore,
    scripted: type[ScriptedProvider],
    clock: ManualClock,
    add_customer: AddCustomer,
) -> None:
    setup_shop(store, tenant)
    clock.set(datetime(2027, 6, 12, 5, 0, tzinfo=UTC))  # 07:00 in Warsaw (CEST)
    add_customer("+48601000101", first_name="Ala", joined=datetime(2024, 6, 15, 10, tzinfo=UTC))
    add_customer("+48601000102", first_name="Ola", joined=datetime(2026, 6, 15, 10, tzinfo=UTC))
    add_customer("+48601000103", first_name="Not", joined=datetime(2025, 6, 14, 10, tzinfo=UTC))
    add_customer("+48601000104", first_name="Leap", joined=datetime(2024, 2, 29, 10, tzinfo=UTC))
    # A date of the merchant's, from the 2nd year on: the 1st anniversary is not texted.
    add_customer("+48601000105", first_name="Two", metadata={"first_order": "2025-06-15"})
    add_customer("+48601000106", first_name="One", metadata={"first_order": "2026-06-15"})
    # A birthday texted 3 days before, saying the age.
    add_customer("+48601000107", first_name="Bday", metadata={"birthday": "1990-06-15"})
    add_customer("+48601000108", first_name="NoYear", metadata={"birthday": "06-15"})
    template = "{{ customer.first_name }}: your {{ years_ordinal }} year ({{ years }})"
    new_send(
        services,
        store,
        tenant,
        clock,
        name="With us",
        source="joined",
        repeat="yearly",
        days_before=3,
        template=template,
    )
    new_send(
        services,
        store,
        tenant,
        clock,
        name="First order",
        source="metadata_date",
        date_key="first_order",
        repeat="yearly",
        from_year=2,
        days_before=3,
        template=template,
    )
    new_send(
        services,
        store,
        tenant,
        clock,
        name="Birthday",
        days_before=3,
        template="{{ customer.first_name }} turns {{ years }} in {{ days_before }} days",
    )

    clock.set(datetime(2027, 6, 12, 7, 0, tzinfo=UTC))  # 09:00 in Warsaw, 3 days before
    run_due(services, clock)
    assert texts(scripted) == {
        "+48601000101": "Ala: your 3rd year (3)",
        "+48601000102": "Ola: your 1st year (1)",
        "+48601000105": "Two: your 2nd year (2)",
        "+48601000107": "Bday turns 37 in 3 days",
        "+48601000108": "NoYear turns 0 in 3 days",
    }

    # A year later (the app down for most of it: the last week's days are recorded missed,
    # nobody's occurrence fell in them), the next anniversaries, each once.
    scripted.calls.clear()
    clock.set(datetime(2028, 6, 12, 7, 0, tzinfo=UTC))
    run_due(services, clock, rounds=12)
    assert texts(scripted) == {
        "+48601000101": "Ala: your 4th year (4)",
        "+48601000102": "Ola: your 2nd year (2)",
        "+48601000105": "Two: your 3rd year (3)",
        "+48601000106": "One: your 2nd year (2)",
        "+48601000107": "Bday turns 38 in 3 days",
        "+48601000108": "NoYear turns 0 in 3 days",
    }
    assert len(scripted.calls) == 6


def test_fewer_days_before_the_next_day_texts_nobody_twice_for_the_same_birthday(
    services: Services,
    tenant: TenantRecord,
    store: ConfigStore,
    scripted: type[ScriptedProvider],
    clock: ManualClock,
    add_customer: AddCustomer,
) -> None:
    setup_shop(store, tenant)
    clock.set(datetime(2027, 6, 12, 5, 0, tzinfo=UTC))
    add_customer("+48601000140", metadata={"birthday": "06-15"})
    add_customer("+48601000141", metadata={"birthday": "06-16"})
    send_id = new_send(services, store, tenant, clock, days_before=3)
    clock.set(datetime(2027, 6, 12, 7, 0, tzinfo=UTC))
    run_due(services, clock)
    assert [sms.to for sms in scripted.calls] == ["+48601000140"]
    assert [m.dedupe_key.split(":")[2] for m in logged(services, send_id)] == ["2027-06-15"]

    # The merchant makes it 2 days before: on 13 June the 15 June birthday is due again,
    # already texted; 14 June's run texts the 16 June one.
    with session_scope(services.sessions) as session:
        send = session.get(DailySend, send_id)
        assert send is not None
        body = {**daily.send_json(session, send), "days_before": 2}
        values = daily.checked(body, store.load(tenant, fresh=True), "https://a.example")
        daily.update(session, send, values, WARSAW, clock.now())
    clock.set(datetime(2027, 6, 13, 7, 0, tzinfo=UTC))
    run_due(services, clock)
    assert [sms.to for sms in scripted.calls] == ["+48601000140"]
    clock.set(datetime(2027, 6, 14, 7, 0, tzinfo=UTC))
    run_due(services, clock)
    assert [sms.to for sms in scripted.calls] == ["+48601000140", "+48601000141"]


def test_29_february_anniversaries_are_texted_on_28_february_of_other_years(
    services: Services,
    tenant: TenantRecord,
    store: ConfigStore,
    scripted: type[ScriptedProvider],
    clock: ManualClock,
    add_customer: AddCustomer,
) -> None:
    setup_shop(store, tenant)
    clock.set(datetime(2027, 2, 26, 6, 0, tzinfo=UTC))
    add_customer("+48601000111", joined=datetime(2024, 2, 29, 10, tzinfo=UTC))
    add_customer("+48601000112", joined=datetime(2024, 2, 28, 10, tzinfo=UTC))
    add_customer("+48601000113", joined=datetime(2024, 3, 1, 10, tzinfo=UTC))
    new_send(
        services, store, tenant, clock, name="Y", source="joined", repeat="yearly", template="Hi"
    )
    clock.set(datetime(2027, 2, 28, 8, 0, tzinfo=UTC))
    run_due(services, clock, rounds=8)
    assert Counter(sms.to for sms in scripted.calls) == {"+48601000111": 1, "+48601000112": 1}
    clock.set(datetime(2027, 3, 1, 8, 0, tzinfo=UTC))
    run_due(services, clock)
    assert Counter(sms.to for sms in scripted.calls) == {
        "+48601000111": 1,
        "+48601000112": 1,
        "+48601000113": 1,
    }


def test_deleting_closes_its_runs_keeps_the_log_and_a_re_created_twin_texts_nobody_twice(
    services: Services,
    tenant: TenantRecord,
    store: ConfigStore,
    scripted: type[ScriptedProvider],
    clock: ManualClock,
    add_customer: AddCustomer,
) -> None:
    setup_shop(store, tenant)
    clock.set(datetime(2027, 2, 28, 6, 0, tzinfo=UTC))
    add_customer("+48601000120", metadata={"birthday": "02-28"})
    add_customer("+48601000121", metadata={"birthday": "03-01"})
    send_id = new_send(services, store, tenant, clock)
    clock.set(datetime(2027, 2, 28, 8, 0, tzinfo=UTC))
    run_due(services, clock)
    assert [sms.to for sms in scripted.calls] == ["+48601000120"]
    before = [(m.id, m.status, m.dedupe_key) for m in logged(services, send_id)]

    with session_scope(services.sessions) as session:
        send = daily.find(session, tenant.id, send_id)
        assert send is not None
        daily.delete(session, send, clock.now())
    assert runs_of(services)[-1][1:] == ("closed", daily.DELETED)
    with services.sessions() as session:
        assert daily.find(session, tenant.id, send_id) is None
        assert daily.listed(session, tenant.id) == []
        assert session.scalar(select(func.count()).select_from(DailySendDay)) == 1
    assert [(m.id, m.status, m.dedupe_key) for m in logged(services, send_id)] == before

    # Saved again the same day, the same content at a later hour and another name: the
    # customer already texted today is not texted again; a new content is a new text.
    clock.set(datetime(2027, 2, 28, 9, 0, tzinfo=UTC))
    again = new_send(services, store, tenant, clock, name="Birthday again", hour=12)
    other = new_send(services, store, tenant, clock, name="Other", hour=12, template="Cheers!")
    with services.sessions() as session:
        found = session.get(DailySend, again)
        assert found is not None and found.key_id == send_id
    clock.set(datetime(2027, 2, 28, 11, 0, tzinfo=UTC))
    run_due(services, clock)
    assert [(sms.to, sms.body.split("\n")[0]) for sms in scripted.calls] == [
        ("+48601000120", "Happy birthday Anna! -15% today"),
        ("+48601000120", "Cheers!"),
    ]
    assert logged(services, again) == []  # its occurrence was the deleted one's row
    # The next day the re-created one carries on as usual.
    clock.set(datetime(2027, 3, 1, 11, 0, tzinfo=UTC))
    run_due(services, clock)
    assert Counter(sms.to for sms in scripted.calls)["+48601000121"] == 2
    assert [m.phone for m in logged(services, again)] == ["+48601000121"]
    assert {m.phone for m in logged(services, other)} == {"+48601000120", "+48601000121"}


def test_a_new_shop_time_zone_re_books_the_next_run_at_the_hour_there(
    services: Services,
    tenant: TenantRecord,
    store: ConfigStore,
    scripted: type[ScriptedProvider],
    clock: ManualClock,
    add_customer: AddCustomer,
) -> None:
    setup_shop(store, tenant)
    clock.set(datetime(2027, 3, 1, 6, 0, tzinfo=UTC))  # 07:00 in Warsaw, 01:00 in New York
    add_customer("+48601000130", metadata={"birthday": "03-01"})
    new_send(services, store, tenant, clock)

    config = store.load(tenant, fresh=True)
    settings = config.settings.model_copy(update={"shop_time_zone": "America/New_York"})
    configure(store, tenant, settings=settings)
    with session_scope(services.sessions) as session:
        assert daily.replan_shop(session, tenant.id, NEW_YORK, clock.now()) == 1
    with services.sessions() as session:
        run = session.scalars(select(ScheduledRun)).one()
        assert as_utc(run.due_at) == datetime(2027, 3, 1, 14, tzinfo=UTC)  # 09:00 in New York

    clock.set(datetime(2027, 3, 1, 8, 0, tzinfo=UTC))  # 09:00 in Warsaw: not the hour now
    run_due(services, clock)
    assert scripted.calls == []
    clock.set(datetime(2027, 3, 1, 14, 0, tzinfo=UTC))
    run_due(services, clock)
    assert [sms.to for sms in scripted.calls] == ["+48601000130"]
    assert [key.rsplit(":", 1)[1] for key, _, _ in runs_of(services)] == [
        "2027-03-01",
        "2027-03-02",
    ]
    with services.sessions() as session:
        due = session.scalars(select(ScheduledRun.due_at).order_by(ScheduledRun.id)).all()
        assert as_utc(due[-1]) == datetime(2027, 3, 2, 14, tzinfo=UTC)
