"""A campaign to N customers read from the loopback Saleor 100 a call, sent to a loopback provider.

Everything real and on loopback: ``redis-server``; SQLite (or the PostgreSQL
named by ``TEST_DATABASE_URL``); the Saleor stand-in in its own process (real
HTTP, the real schema, ``customers(where: …)`` paged like Saleor) holding N
customers with a phone and consent; the lean loopback provider
(``tests/standin/fast_provider.py``) behind the generic adapter; ``--workers``
``SmsWorker`` processes as the Procfile runs them (not burst: their scheduler
thread ticks every 5 s and carries the campaign on, stretch after stretch).

Printed, all measured in this run: the campaign's wall time from Send to the
last text accepted by the provider, texts per second, the longest time the
campaign's progress (its sent count, as the screen reads it) stood still, the
peak resident memory of each app process (workers; the stand-ins are listed
apart, since a real Saleor and provider run elsewhere), and beside them rq's
own empty-job rate (``SimpleWorker``, same workers, same Redis).

    REDIS_SERVER_BIN=$(which redis-server) .venv/bin/python bench/bench_campaign.py \
        [--customers 100000] [--workers 2]
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from datetime import UTC, datetime
from typing import Any

from common import (
    FORK,
    bench_env,
    cpu_seconds,
    load,
    quiet_hours_elsewhere,
    redis_and_folder,
    rss_mb,
    start_fast_provider,
)
from common import run_worker as _work
from sqlalchemy import func, select

from saleor_sms_app.campaigns import store as campaigns
from saleor_sms_app.campaigns.audience import Audience
from saleor_sms_app.campaigns.tables import Campaign, campaign_rule_id
from saleor_sms_app.config.model import AppConfig
from saleor_sms_app.config.store import ConfigStore
from saleor_sms_app.db import session_scope
from saleor_sms_app.migrate import upgrade
from saleor_sms_app.models import Message
from saleor_sms_app.saleor.tenants import get_tenant
from saleor_sms_app.scheduler import tick
from saleor_sms_app.services import Services, set_services
from saleor_sms_app.settings import Settings
from tests.providers.conftest import generic_config


def _serve_saleor(conn: Any, env: dict[str, str], customers: int) -> None:
    """The loopback Saleor in its own process (as a real one is), with the customers."""
    os.environ.update(env)
    from tests.standin.customers import make_customer
    from tests.standin.saleor import SaleorStandin, address, saleor_schema

    services = Services.build(Settings.from_env())
    saleor_schema()
    saleor = SaleorStandin(shop_name="Bench Shop").start()
    saleor.store_installation(services, token="bench-token")
    consent = {"sms_marketing_consent": "true"}
    shipping = [address(phone=f"+48{600000000 + n}", country_code="PL") for n in range(customers)]
    saleor.customers.extend(
        make_customer(n + 1, first_name=f"C{n}", shipping=shipping[n], metadata=consent)
        for n in range(customers)
    )
    conn.send(saleor.api_url)
    conn.recv()  # until the parent is done
    conn.send(saleor.customers.pages_served)
    saleor.stop()
    services.close()


def _empty_job_rate(env: dict[str, str], services: Services, workers: int, jobs: int) -> float:
    for _ in range(jobs):
        services.queue.enqueue("operator.truth", 1)
    procs = [
        FORK.Process(target=_work, args=(env,), kwargs={"stock": True}) for _ in range(workers)
    ]
    started = time.perf_counter()
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    return jobs / (time.perf_counter() - started)


def _counts(services: Services, campaign_id: int, tenant_id: int) -> dict[str, int]:
    with services.sessions() as session:
        rows = session.execute(
            select(Message.status, func.count())
            .where(Message.tenant_id == tenant_id, Message.rule_id == campaign_rule_id(campaign_id))
            .group_by(Message.status)
        ).all()
    return {str(s): int(n) for s, n in rows}


def main() -> int:
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--empty-jobs", type=int, default=3000)
    parser.add_argument("--timeout", type=float, default=1800.0)
    args = parser.parse_args()
    with redis_and_folder("bench-campaign-") as (redis_url, tmp):
        provider, provider_url = start_fast_provider()
        try:
            env = bench_env(redis_url, tmp, loopback_providers=True)
            return _measure(args, env, provider, provider_url)
        finally:
            provider.kill()


def _measure(
    args: argparse.Namespace, env: dict[str, str], provider: Any, provider_url: str
) -> int:
    workers: list[Any] = []
    saleor_proc = None
    parent_end = None
    try:
        os.environ.update(env)
        settings = Settings.from_env()
        upgrade(settings.database_url)
        services = Services.build(settings)
        set_services(services)

        empty_rate = _empty_job_rate(env, services, args.workers, args.empty_jobs)

        parent_end, child_end = FORK.Pipe()
        started = time.perf_counter()
        saleor_proc = FORK.Process(target=_serve_saleor, args=(child_end, env, args.customers))
        saleor_proc.start()
        api_url = parent_end.recv()
        print(
            f"stand-in Saleor with {args.customers:,} customers up in "
            f"{time.perf_counter() - started:.0f} s"
        )
        tenant = get_tenant(services, api_url, fresh=True)
        assert tenant is not None
        store = ConfigStore(services)
        config = AppConfig(providers=[generic_config("loopback", provider_url)])
        config.settings.default_country = "PL"
        # Quiet hours (on by default, 21:00-08:00 in Warsaw for these +48 numbers)
        # would hold every text of a run started in the evening until morning: the
        # figure must not depend on the time of day. Kept on (each text still checks
        # them), with the window moved away from now.
        quiet_hours_elsewhere(config.settings, "+48600000000", datetime.now(UTC))
        store.save(tenant, config, expected_revision=store.load(tenant).revision)

        workers = [
            FORK.Process(target=_work, args=(env,), kwargs={"burst": False})
            for _ in range(args.workers)
        ]
        for p in workers:
            p.start()
        time.sleep(1.0)  # the workers connect before the clock starts
        now = datetime.now(UTC)
        with session_scope(services.sessions) as session:
            campaign, _ = campaigns.store(
                session,
                tenant.id,
                key="bench-campaign-0001",
                name="Bench",
                template="Hi {{ customer.first_name }}, -30% today at {{ shop.name }}",
                recipients=campaigns.Recipients(Audience(), None, [], 0),
                send_at=now,
                created_by="bench",
                expected=args.customers,
                now=now,
            )
            campaign_id = campaign.id
        print(f"sending starts: {load()}")
        worker_pids = [p.pid for p in workers if p.pid is not None]
        standins = {"saleor": saleor_proc.pid or 0, "provider": provider.pid or 0}
        cpu_before = {"workers": cpu_seconds(worker_pids)}
        cpu_before.update({name: cpu_seconds([pid]) for name, pid in standins.items()})
        started = time.perf_counter()
        tick.tick(services)  # as the Send button does: no wait for the next tick
        last_sent, last_change, longest_still = -1, started, 0.0
        peak = dict.fromkeys(worker_pids, 0.0)
        standin_peak = dict.fromkeys(standins, 0.0)
        state = "scheduled"
        while time.perf_counter() - started < args.timeout:
            time.sleep(0.25)
            counts = _counts(services, campaign_id, tenant.id)
            sent = counts.get("sent", 0)
            moment = time.perf_counter()
            if sent != last_sent:
                if last_sent > 0:  # from the first text on: a schedule tick may come first
                    longest_still = max(longest_still, moment - last_change)
                last_sent, last_change = sent, moment
            for pid in peak:
                peak[pid] = max(peak[pid], rss_mb(pid))
            for name, pid in standins.items():
                standin_peak[name] = max(standin_peak[name], rss_mb(pid))
            with services.sessions() as session:
                state = (
                    session.scalar(select(Campaign.state).where(Campaign.id == campaign_id)) or ""
                )
            if state == "done":
                break
        wall = time.perf_counter() - started
        cpu = {"workers": cpu_seconds(worker_pids) - cpu_before["workers"]}
        cpu.update({n: cpu_seconds([pid]) - cpu_before[n] for n, pid in standins.items()})
        counts = _counts(services, campaign_id, tenant.id)
        parent_end.send("stop")
        pages = parent_end.recv()
        print(f"campaign {state}: {counts}  ({load()})")
        print(
            f"{args.customers:,} customers -> {counts.get('sent', 0):,} texts in {wall:.1f} s "
            f"({counts.get('sent', 0) / wall:.0f} texts/s), {pages:,} pages of customers read, "
            f"{args.workers} workers"
        )
        print(f"progress (sent count) stood still at most {longest_still:.2f} s")
        per_text = 1000 / max(counts.get("sent", 0), 1)
        print(
            "CPU per text: "
            + ", ".join(f"{name} {seconds * per_text:.2f} ms" for name, seconds in cpu.items())
            + " (all the workers together; the stand-ins are not the app)"
        )
        print(
            "peak RSS of the workers: "
            + ", ".join(f"{mb:.0f} MB" for mb in peak.values())
            + "; stand-ins (not the app): "
            + ", ".join(f"{k} {v:.0f} MB" for k, v in standin_peak.items())
        )
        print(
            f"baseline: rq SimpleWorker empty jobs {empty_rate:8.0f} jobs/s "
            f"({args.workers} workers)"
        )
        return 0 if state == "done" else 1
    finally:
        for p in workers:
            if p.pid:
                os.kill(p.pid, signal.SIGTERM)
        for p in workers:
            p.join(timeout=30)
        if saleor_proc is not None:
            saleor_proc.join(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
