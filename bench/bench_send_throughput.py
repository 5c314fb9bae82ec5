"""Messages per second from queued ``send_message`` jobs to a loopback provider.

Everything is real: a throwaway ``redis-server``, a migrated SQLite database, a
lean loopback provider (real HTTP/1.1 on asyncio, in its own process) spoken to
by the generic adapter, and ``saleor_sms_app.worker.SmsWorker`` (non-forking) in
one process per core. Printed beside the rate of RQ's own empty jobs measured
the same way in the same run, which is the ceiling the queue itself allows.

A second stand-in answers every send after ``--latency-ms`` (a provider across
the internet): batches to it are timed one message at a time
(``SEND_CONCURRENCY=1``) and side by side (the default), which is what the
setting buys in production, where the provider's answer is the slow part.

    python bench/bench_send_throughput.py [--messages 3000] [--workers 2]
        [--slow-messages 400] [--latency-ms 50]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from common import FORK, bench_env, load, redis_and_folder, start_fast_provider
from common import run_worker as _work

from saleor_sms_app.config.model import AppConfig
from saleor_sms_app.config.store import ConfigStore, cache_key
from saleor_sms_app.db import session_scope
from saleor_sms_app.messages.log import insert_message
from saleor_sms_app.messages.send_jobs import (
    SEND_BATCH_SIZE,
    enqueue_send,
    enqueue_sends,
)
from saleor_sms_app.migrate import upgrade
from saleor_sms_app.models import MessageStatus, RecipientType
from saleor_sms_app.saleor.tenants import TenantRecord, save_tenant
from saleor_sms_app.services import Services
from saleor_sms_app.settings import Settings
from tests.providers.conftest import generic_config


def _drain(env: dict[str, str], workers: int, *, stock: bool = False) -> float:
    """Seconds for ``workers`` processes to empty the queue (``stock``: rq's own SimpleWorker)."""
    ready = FORK.Barrier(workers + 1)
    procs = [
        FORK.Process(target=_work, args=(env,), kwargs={"stock": stock, "ready": ready})
        for _ in range(workers)
    ]
    for p in procs:
        p.start()
    ready.wait()
    started = time.perf_counter()
    for p in procs:
        p.join()
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--slow-messages", type=int, default=400)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    args = parser.parse_args()

    with redis_and_folder("bench-send-") as (redis_url, tmp):
        standin, standin_url = start_fast_provider()
        slow, slow_url = start_fast_provider(args.latency_ms)
        try:
            return _measure(args, tmp, redis_url, standin_url, slow_url)
        finally:
            slow.terminate()
            standin.terminate()


def _shop(services: Services, domain: str, provider: str, provider_url: str) -> TenantRecord:
    """An installed shop whose one provider is the stand-in at ``provider_url``."""
    tenant = save_tenant(
        services,
        saleor_api_url=f"http://127.0.0.1:9/{domain}/graphql/",
        saleor_domain=domain,
        app_id="app",
        token="token",
        jwks={},
    )
    config = AppConfig(providers=[generic_config(provider, provider_url)])
    services.redis.set(cache_key(tenant.id), ConfigStore(services).serialise(config))
    return tenant


def _measure(
    args: argparse.Namespace, tmp: Path, redis_url: str, standin_url: str, slow_url: str
) -> int:
    env = bench_env(redis_url, tmp, loopback_providers=True)
    os.environ.update(env)
    settings = Settings.from_env()
    upgrade(settings.database_url)
    services = Services.build(settings)
    tenant = _shop(services, "bench", "standin", standin_url)
    far = _shop(services, "far", "far", slow_url)

    # Baselines: empty jobs through rq's own SimpleWorker (the reference the
    # aim is stated against) and through SmsWorker (what our jobs run in).
    for _ in range(args.messages):
        services.queue.enqueue("operator.truth", 1)
    stock_seconds = _drain(env, args.workers, stock=True)
    for _ in range(args.messages):
        services.queue.enqueue("operator.truth", 1)
    empty_seconds = _drain(env, args.workers)

    def log_messages(
        prefix: str, count: int = args.messages, tenant_id: int = tenant.id
    ) -> list[int]:
        with session_scope(services.sessions) as session:
            found = [
                insert_message(
                    session,
                    {
                        "tenant_id": tenant_id,
                        "dedupe_key": f"{prefix}-{i}",
                        "event": "ORDER_CREATED",
                        "recipient_type": RecipientType.CUSTOMER.value,
                        "phone": "+48500100200",
                        "body": f"Order {i} shipped",
                        "status": MessageStatus.QUEUED.value,
                    },
                )
                for i in range(count)
            ]
        return [i for i in found if i is not None]

    # One send_message job per SMS, enqueued as a single logged message is.
    for message_id in log_messages("single"):
        enqueue_send(services, message_id)  # job id + Retry, as the event job does
    send_seconds = _drain(env, args.workers)

    # send_messages batch jobs, enqueued as the event job does for several messages.
    enqueue_sends(services, log_messages("batch"))
    batch_jobs = services.queue.count
    batch_seconds = _drain(env, args.workers)

    # The far provider: one at a time, then side by side (the default).
    far_seconds: dict[str, float] = {}
    for label, concurrency in (("1", "1"), ("default", "")):
        enqueue_sends(services, log_messages(f"far-{label}", args.slow_messages, far.id))
        far_env = dict(env, SEND_CONCURRENCY=concurrency) if concurrency else env
        far_seconds[label] = _drain(far_env, args.workers)

    with services.sessions() as session:
        from sqlalchemy import func, select

        from saleor_sms_app.models import Message

        sent = session.scalar(
            select(func.count()).select_from(Message).where(Message.status == "sent")
        )
    stock_rate = args.messages / stock_seconds
    empty_rate = args.messages / empty_seconds
    send_rate = args.messages / send_seconds
    database = settings.database_url.split(":", 1)[0]
    print(
        f"{load()}  worker processes: {args.workers}  jobs: {args.messages}  database: {database}"
    )
    print(f"RQ empty jobs, SimpleWorker: {stock_rate:8.0f} jobs/s  ({stock_seconds:.2f} s)")
    print(f"RQ empty jobs, SmsWorker:    {empty_rate:8.0f} jobs/s  ({empty_seconds:.2f} s)")
    print(f"send_message to stand-in:    {send_rate:8.0f} SMS/s  ({send_seconds:.2f} s)")
    print(
        f"  ratio: {send_rate / stock_rate:.2f} of rq's SimpleWorker empty-job rate, "
        f"{send_rate / empty_rate:.2f} of SmsWorker's"
    )
    batch_rate = args.messages / batch_seconds
    print(
        f"send_messages, {SEND_BATCH_SIZE}/job:     {batch_rate:8.0f} SMS/s  "
        f"({batch_seconds:.2f} s, {batch_jobs} jobs = {batch_jobs / batch_seconds:.0f} jobs/s)"
    )
    print(
        f"  ratio: {batch_rate / stock_rate:.2f} of rq's SimpleWorker empty-job rate "
        "(messages per second against jobs per second)"
    )
    default_concurrency = Settings.from_env().send_concurrency
    for label, at_a_time in (("1", 1), ("default", default_concurrency)):
        seconds = far_seconds[label]
        print(
            f"send_messages to a provider answering in {args.latency_ms:.0f} ms, "
            f"{at_a_time} at a time per worker: {args.slow_messages / seconds:6.0f} SMS/s  "
            f"({seconds:.2f} s)"
        )
    expected = 2 * args.messages + 2 * args.slow_messages
    print(f"rows sent: {sent} of {expected}")
    services.close()
    return 0 if sent == expected else 1


if __name__ == "__main__":
    sys.exit(main())
