"""How fast a webhook becomes a sent SMS, beside the cost of its unavoidable parts.

Figures (all measured in this run, on this machine):

* rendering: the default order-confirmation template through the sandboxed
  Jinja with the full order context, against ``str.format`` of the same text
  (the baseline: the least any templating could cost);
* pipeline: ``handle_webhook`` + ``send_message`` per order (real Redis, real
  SQLite, the loopback Saleor stand-in, the sandbox provider), against the
  baseline of just fetching the order from the same stand-in, which every
  design has to do.

Run with ``make bench`` (which finds redis-server) or
``REDIS_SERVER_BIN=$(which redis-server) .venv/bin/python bench/bench_pipeline.py``.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

from common import bench_env, load, redis_and_folder

from saleor_sms_app.config.defaults import ORDER_CONFIRMATION
from saleor_sms_app.message_templates.order_tokens import order_context
from saleor_sms_app.message_templates.sandbox import render
from saleor_sms_app.migrate import upgrade
from saleor_sms_app.services import Services, set_services
from saleor_sms_app.settings import Settings
from tests.standin.saleor import SaleorStandin, make_order

ORDERS = 200


def per_second(count: int, seconds: float) -> str:
    return f"{count / seconds:10.0f}/s  ({seconds / count * 1000:.3f} ms each)"


def bench_rendering() -> None:
    order = make_order(number=1042)
    context = order_context(order, shop_name="Example Shop")
    flat = {"shop": "Example Shop", "number": "1042", "total": "32.00 USD"}
    fmt = "{shop}: thank you for your order {number} ({total}). We will text you when it ships."
    n = 20_000
    render(ORDER_CONFIRMATION, context)  # compile once, as the cache does in the worker
    started = time.perf_counter()
    for _ in range(n):
        render(ORDER_CONFIRMATION, context)
    ours = time.perf_counter() - started
    started = time.perf_counter()
    for _ in range(n):
        fmt.format(**flat)
    base = time.perf_counter() - started
    started = time.perf_counter()
    for _ in range(2_000):
        order_context(order, shop_name="Example Shop")
    ctx = time.perf_counter() - started
    print(f"render (sandboxed Jinja)      {per_second(n, ours)}")
    print(f"baseline str.format           {per_second(n, base)}")
    print(f"order_context build           {per_second(2_000, ctx)}")


def bench_pipeline(redis_url: str, workdir: Path) -> None:
    from saleor_sms_app.jobs import handle_webhook
    from saleor_sms_app.saleor.orders import fetch_order
    from saleor_sms_app.saleor.tenants import saleor_client
    from saleor_sms_app.worker import SmsWorker

    settings = Settings.from_env(bench_env(redis_url, workdir, sandbox_outbox=True))
    upgrade(settings.database_url)
    services = Services.build(settings)
    set_services(services)
    saleor = SaleorStandin(shop_name="Bench Shop").start()
    try:
        tenant = saleor.store_installation(services, token="bench-token")
        orders = [saleor.make_order() for _ in range(ORDERS)]
        client = saleor_client(services, tenant)
        fetch_order(client, orders[0]["id"])  # schema build and connection warm-up
        started = time.perf_counter()
        for order in orders:
            fetch_order(client, order["id"])
        base = time.perf_counter() - started

        started = time.perf_counter()
        for order in orders:
            payload = json.dumps({"__typename": "OrderCreated", "order": {"id": order["id"]}})
            key = hashlib.sha256(payload.encode()).hexdigest()
            handle_webhook(saleor.api_url, "ORDER_CREATED", payload, key)
        SmsWorker([services.queue], connection=services.redis).work(
            burst=True, logging_level="WARNING"
        )
        ours = time.perf_counter() - started
        sent = len((workdir / "outbox.jsonl").read_text().splitlines())
        assert sent == ORDERS, f"expected {ORDERS} texts in the outbox, found {sent}"
        print(f"webhook -> sent SMS           {per_second(ORDERS, ours)}  [{sent} sent]")
        print(f"baseline order fetch only     {per_second(ORDERS, base)}")
    finally:
        saleor.stop()
        set_services(None)
        services.close()


def main() -> None:
    print("== rendering")
    bench_rendering()
    with redis_and_folder("bench-pipeline-") as (url, tmp):
        print(f"== pipeline ({ORDERS} ORDER_CREATED webhooks, default configuration; {load()})")
        bench_pipeline(url, tmp)


if __name__ == "__main__":
    main()
