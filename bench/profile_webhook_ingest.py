"""Where a verified webhook's web CPU goes, without a server or a network in the way.

The WSGI app is called in this process, in a loop, on pre-built environs: the
same distinct signed deliveries the ingest bench sends, and the bare route
beside them. It prints CPU microseconds per request for both routes, and with
``--profile`` a cProfile listing of the ingest loop (``--profile=bare`` for the
bare one). Real parts as in the bench: a throwaway ``redis-server``, a migrated
SQLite database, the app installed by the loopback Saleor stand-in over HTTP.

Not a benchmark (it prints no throughput and no baseline from a server); it is
the microscope used before changing the hot path:
``REDIS_SERVER_BIN=$(which redis-server) .venv/bin/python bench/profile_webhook_ingest.py``.
"""

from __future__ import annotations

import base64
import cProfile
import io
import json
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import padding  # noqa: E402
from redis import Redis  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402
from werkzeug.test import EnvironBuilder  # noqa: E402

from saleor_sms_app.migrate import upgrade  # noqa: E402
from saleor_sms_app.services import QUEUE_NAME  # noqa: E402
from tests.conftest import free_port  # noqa: E402

REQUESTS = int(os.environ.get("PROFILE_WEBHOOKS", "4000"))


def environs(
    app_url: str, path: str, items: Iterable[tuple[dict[str, str], bytes]]
) -> list[dict[str, Any]]:
    built = []
    for headers, body in items:
        env = EnvironBuilder(
            path=path, base_url=app_url, method="POST", headers=headers.items(), data=body
        ).get_environ()
        env["bench.body"] = body
        built.append(env)
    return built


def run(app: Callable[..., Any], envs: list[dict[str, Any]]) -> float:
    """CPU seconds (this thread) to answer every environ; each must be a 200."""

    def start_response(status: str, headers: list[tuple[str, str]], *_: Any) -> None:
        if not status.startswith("200"):
            raise RuntimeError(f"unexpected answer {status}")

    started = time.thread_time()
    for env in envs:
        env = dict(env)
        env["wsgi.input"] = io.BytesIO(env["bench.body"])
        for _chunk in app(env, start_response):
            pass
    return time.thread_time() - started


def run_bare(app: Callable[..., Any], envs: list[dict[str, Any]]) -> float:
    """:func:`run` under its own name, so a sampling profiler tells the routes apart."""
    return run(app, envs)


def run_ingest(app: Callable[..., Any], envs: list[dict[str, Any]]) -> float:
    return run(app, envs)


def per_call(label: str, call: Callable[[int], object], n: int) -> None:
    started = time.thread_time()
    for i in range(n):
        call(i)
    print(f"  {label:<44}{(time.thread_time() - started) / n * 1e6:7.1f} us")


def stages(services: Any, deliveries: list[tuple[dict[str, str], bytes]]) -> None:
    """The ingest steps one by one, outside Flask (each on its own loop, CPU time)."""
    from saleor_sms_app.queueing import _template, dedupe_key, enqueue_webhook
    from saleor_sms_app.saleor import jwks, tenants
    from saleor_sms_app.saleor.events import BY_HEADER
    from saleor_sms_app.saleor.payloads import parse_payload
    from saleor_sms_app.saleor.signatures import verify_webhook

    event = BY_HEADER["order_created"]
    api_url = deliveries[0][0]["Saleor-Api-Url"]
    tenant = tenants.get_tenant(services, api_url)
    assert tenant is not None
    n = len(deliveries)
    bodies = [body for _, body in deliveries]
    signatures = [headers["Saleor-Signature"] for headers, _ in deliveries]
    keys = jwks.keys_of(tenant)
    key = next(iter(keys.values()))
    print(f"stages, {n} calls each (body {len(bodies[0])} bytes):")
    per_call("tenant lookup (cached)", lambda i: tenants.get_tenant(services, api_url), n)
    per_call(
        "verify_webhook (incl. RSA)",
        lambda i: verify_webhook(services, tenant, signatures[i], bodies[i]),
        n,
    )
    signing_inputs = [
        s.partition(".")[0].encode() + b"." + b for s, b in zip(signatures, bodies, strict=True)
    ]
    raw = [base64.urlsafe_b64decode(s.rpartition(".")[2] + "==") for s in signatures]
    per_call(
        "  of which RSA verify alone",
        lambda i: key.verify(raw[i], signing_inputs[i], padding.PKCS1v15(), hashes.SHA256()),
        n,
    )
    per_call("parse_payload (json.loads + checks)", lambda i: parse_payload(event, bodies[i]), n)
    per_call("dedupe_key (sha256)", lambda i: dedupe_key(api_url, event.name, bodies[i]), n)
    template = _template(services)
    print(f"  (script ARGV: {len(template.variables) + 1} values)")
    per_call("redis PING round trip (client CPU)", lambda i: services.redis.ping(), n)
    # Another API URL, so these jobs do not make the WSGI loop's deliveries duplicates.
    other = api_url + "?stage"
    per_call(
        "enqueue_webhook (values + EVALSHA)",
        lambda i: enqueue_webhook(services, other, event.name, bodies[i]),
        n,
    )


def main() -> None:
    from bench_webhook_ingest import bench_app

    from tests.standin.saleor import SaleorStandin, global_id

    profile = next((a.split("=", 1)[1] if "=" in a else "ingest" for a in sys.argv[1:]), None)
    redis_bin = os.environ.get("REDIS_SERVER_BIN") or shutil.which("redis-server")
    if not redis_bin:
        sys.exit("redis-server not found")
    workdir = Path(tempfile.mkdtemp(prefix="profile-ingest-"))
    redis_port = free_port()
    redis = subprocess.Popen(
        [redis_bin, "--port", str(redis_port), "--bind", "127.0.0.1", "--save", ""]
        + ["--appendonly", "no", "--dir", str(workdir)],
        stdout=subprocess.DEVNULL,
    )
    saleor = SaleorStandin()
    server = None
    try:
        database_url = f"sqlite:///{workdir / 'profile.db'}"
        upgrade(database_url)
        port = free_port()
        app_url = f"http://127.0.0.1:{port}"
        os.environ.update(
            {
                "APP_URL": app_url,
                "SECRET_KEY": "bench-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
                "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
                "DATABASE_URL": database_url,
                "DATA_DIR": str(workdir),
                "LOG_LEVEL": "WARNING",
            }
        )
        for _ in range(50):
            try:
                Redis(port=redis_port).ping()
                break
            except Exception:
                time.sleep(0.05)
        app = bench_app()
        server = make_server("127.0.0.1", port, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        saleor.start()
        saleor.install(app_url)

        template = saleor.event_payload("ORDER_CREATED", {"order": saleor.make_order()})
        order_id = json.loads(template)["order"]["id"]
        deliveries = []
        for n in range(REQUESTS):
            body = template.replace(
                order_id.encode(), global_id("Order", uuid.uuid4()).encode()
            ).replace(b'"number": "', f'"number": "{n}'.encode(), 1)
            deliveries.append((saleor.webhook_headers("ORDER_CREATED", body), body))
        ingest = environs(app_url, "/api/webhooks/order_created", deliveries)
        bare = environs(app_url, "/bench/ok", [(deliveries[0][0], deliveries[0][1])] * REQUESTS)
        warm = environs(app_url, "/api/webhooks/order_created", deliveries[:1])
        run(app, warm)  # builds the job template, caches tenant and keys
        run(app, bare[:100])

        if not profile:
            stages(app.extensions["sms_app"], deliveries[1:])
        queue = Redis(port=redis_port)
        before = queue.llen(f"rq:queue:{QUEUE_NAME}")
        targets = {"ingest": ingest[1:], "bare": bare}
        if profile:
            profiler = cProfile.Profile()
            profiler.enable()
            run(app, targets[profile])
            profiler.disable()
            stats = pstats.Stats(profiler).strip_dirs().sort_stats("cumulative")
            stats.print_stats(45)
            stats.sort_stats("tottime").print_stats(25)
        else:
            bare_cpu = run_bare(app, bare)
            ingest_cpu = run_ingest(app, ingest[1:])
            n = REQUESTS
            print(
                f"in-process WSGI, {n} requests each: bare {bare_cpu / n * 1e6:.0f} us/request,"
                f" ingest {ingest_cpu / (n - 1) * 1e6:.0f} us/request"
            )
        queued = queue.llen(f"rq:queue:{QUEUE_NAME}") - before
        print(f"jobs queued: {queued} for {REQUESTS - 1} deliveries")
    finally:
        if server is not None:
            server.shutdown()
        saleor.stop()
        redis.terminate()
        redis.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
