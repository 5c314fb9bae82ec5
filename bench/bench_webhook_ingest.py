"""How many signed Saleor webhooks per second the web process verifies and enqueues.

Setup, all on loopback and all real: a throwaway ``redis-server``, a migrated
SQLite database, gunicorn (or granian) serving the real app, and the loopback Saleor
stand-in, which installs the app over HTTP (manifest + register) and signs the
bodies with its key. Then ``wrk`` (Debian's package, a separate process;
installed by ``scripts/ensure-system-package.sh wrk`` if missing) drives two
routes of the same server, one after the other:

* baseline: ``POST /bench/ok``, a bare WSGI route that reads the same body
  and answers ``{"success": true}`` (what the server and the network cost
  anyway; the webhook route is plain WSGI too);
* ingest: ``POST /api/webhooks/order_created`` with distinct pre-signed bodies
  (every request is a new delivery: tenant lookup, RS256 verification, JSON
  checks, and the ``SET NX`` + enqueue script).

That pair runs once per server configuration (``BENCH_SERVERS``; by default
gunicorn with ``saleor_sms_app/gunicorn_conf.py`` as it is, then granian
through ``scripts/web-granian.sh`` (the Procfile's ``web``) with 4 workers; also ``gthread:2x4``,
``sync:cores`` and the like), each on a flushed Redis with the same deliveries,
and each prints its server, processes, threads and whether connections persist.
wrk keeps connections open whenever the server lets it, as Saleor's webhook
client does; sync workers close every one.
Afterwards Redis must hold exactly one job per de-duplication key.
Bounded: 2 x 5 s of load per configuration, about a minute in all. Run with
``make bench`` or
``REDIS_SERVER_BIN=$(which redis-server) .venv/bin/python bench/bench_webhook_ingest.py``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from common import cpu_seconds  # noqa: E402
from flask import Flask  # noqa: E402
from redis import Redis  # noqa: E402

from saleor_sms_app.migrate import upgrade  # noqa: E402
from saleor_sms_app.services import QUEUE_NAME  # noqa: E402
from tests.conftest import free_port  # noqa: E402

#: Distinct signed deliveries (each is sent once).
BODIES = int(os.environ.get("BENCH_WEBHOOKS", "36000"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
THREADS = 2
BASELINE_SECONDS = 5
INGEST_SECONDS = 5

#: Both scripts print wrk's figures as one JSON line.
DONE_LUA = r"""
function done(summary, latency, requests)
  io.write(string.format('RESULT {"requests": %d, "seconds": %.6f, "p50_ms": %.3f, '
    .. '"p99_ms": %.3f, "non2xx": %d, "errors": %d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
"""

LUA = (
    DONE_LUA
    + r"""
-- Each wrk thread sends its own slice of the pre-signed deliveries, in turn.
local counter = 1
local threads = {}

function setup(thread)
  thread:set("index", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local path, nthreads = args[1], tonumber(args[2])
  api_url, domain = args[3], args[4]
  items = {}
  local i = 0
  for line in io.lines(path) do
    if i % nthreads == index - 1 then
      local tab = line:find("\t", 1, true)
      table.insert(items, {line:sub(1, tab - 1), line:sub(tab + 1)})
    end
    i = i + 1
  end
  sent = 0
end

function request()
  sent = sent + 1
  local item = items[((sent - 1) % #items) + 1]
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/json",
    ["Saleor-Event"] = "order_created",
    ["Saleor-Domain"] = domain,
    ["Saleor-Api-Url"] = api_url,
    ["Saleor-Signature"] = item[1],
  }, item[2])
end


"""
)

BASELINE_LUA = (
    DONE_LUA
    + r"""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
function init(args)
  local f = io.open(args[1]); wrk.body = f:read("*l"); f:close()
  wrk.body = wrk.body:sub(wrk.body:find("\t", 1, true) + 1)
end
"""
)


def bench_app() -> Flask:
    """The real app plus a bare route, both served by the same server processes.

    The bare route is plain WSGI in front of the app, as the webhook route is
    (``saleor_sms_app/web/webhooks.py``): it reads the body and answers the
    same 200, so the baseline is what the server and the network cost, and the
    gap to it is the app's own work.
    """
    from saleor_sms_app.app import create_app

    app = create_app()
    served = app.wsgi_app
    answer = json.dumps({"success": True}).encode()

    def bare_or_app(environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO") != "/bench/ok":
            return served(environ, start_response)
        environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        start_response(
            "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(answer)))]
        )
        return [answer]

    app.wsgi_app = bare_or_app  # type: ignore[method-assign]
    return app


def ensure(program: str) -> str:
    result = subprocess.run(
        [str(ROOT / "scripts" / "ensure-system-package.sh"), program],
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout.strip().splitlines()[-1]


def wait_for(url: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def run_wrk(wrk: str, url: str, script: Path, seconds: int, *args: str) -> dict[str, Any]:
    command = [wrk, f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "-s", str(script)]
    command += [url, "--", *args]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    line = next(x for x in output.splitlines() if x.startswith("RESULT "))
    result: dict[str, Any] = json.loads(line[len("RESULT ") :])
    return result


def worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


def context_switches(pids: list[int]) -> int:
    """Voluntary + involuntary context switches of every thread of these processes so far.

    A worker that waits (for Redis, for the client) gives up its core and later
    takes one back; on a machine where other processes want the cores too, those
    switches cost CPU (and cold caches) that the request's own code does not show.
    """
    switches = 0
    for pid in pids:
        for status in Path(f"/proc/{pid}/task").glob("*/status"):
            try:
                lines = status.read_text().splitlines()
            except OSError:
                continue
            for line in lines:
                if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                    switches += int(line.split()[1])
    return switches


def report(label: str, r: dict[str, Any], web_cpu: float, redis_cpu: float, switches: int) -> None:
    n = r["requests"]
    print(
        f"{label:<34}{n / r['seconds']:7.0f}/s  p50 {r['p50_ms']:6.2f} ms"
        f"  p99 {r['p99_ms']:6.2f} ms  CPU/request: web {web_cpu / n * 1000:.2f} ms,"
        f" redis {redis_cpu / n * 1000:.3f} ms; web context switches/request {switches / n:.1f}"
        f"  ({n} requests, {r['non2xx']} non-2xx, {r['errors']} socket errors)"
    )


def server_configs() -> list[tuple[str, list[str]]]:
    """The server configurations to compare: (label, gunicorn command-line overrides).

    ``gunicorn`` is ``saleor_sms_app/gunicorn_conf.py`` as it is; the others
    override the worker class, count and threads on top of it (same bind,
    timeout and keepalive). ``BENCH_SERVERS`` picks them, e.g.
    ``gunicorn,sync:4,sync:cores,gthread:2x4,gthread:1x8``.
    """
    configs: list[tuple[str, list[str]]] = []
    for spec in os.environ.get("BENCH_SERVERS", "gunicorn,granian:4").split(","):
        spec = spec.strip()
        if spec == "gunicorn":
            configs.append((spec, []))
            continue
        if spec.startswith("granian"):
            configs.append((spec, [GRANIAN, spec.partition(":")[2] or str(os.cpu_count() or 1)]))
            continue
        worker_class, _, shape = spec.partition(":")
        workers, _, threads = shape.partition("x")
        if workers == "cores":
            workers = str(os.cpu_count() or 1)
        args = ["--worker-class", worker_class, "--workers", workers or "1"]
        if threads:
            args += ["--threads", threads]
        configs.append((spec, args))
    return configs


#: Marks a granian configuration among the gunicorn overrides: [GRANIAN, workers].
GRANIAN = "granian"


def server_command(overrides: list[str]) -> tuple[list[str], dict[str, str]]:
    """The command serving ``bench_app`` for a configuration, and its extra environment."""
    if overrides[:1] == [GRANIAN]:
        return (
            [str(ROOT / "scripts" / "web-granian.sh"), "bench_webhook_ingest:bench_app"],
            {
                "GRANIAN": str(Path(sys.executable).parent / "granian"),
                "WEB_CONCURRENCY": overrides[1],
                "PYTHONPATH": f"{ROOT}:{ROOT / 'bench'}",
            },
        )
    return (
        [str(Path(sys.executable).parent / "gunicorn")]
        + ["-c", str(ROOT / "saleor_sms_app" / "gunicorn_conf.py"), *overrides]
        + ["--pythonpath", str(ROOT / "bench"), "bench_webhook_ingest:bench_app()"],
        {},
    )


def describe(label: str, overrides: list[str], env: dict[str, str]) -> str:
    """Which worker class, processes and threads a configuration really runs."""
    if overrides[:1] == [GRANIAN]:
        return (
            f"{label}: granian (scripts/web-granian.sh, the Procfile's web), "
            f"{overrides[1]} processes, "
            "keep-alive (persistent connections, as Saleor's webhook client keeps them)"
        )
    import runpy

    saved = dict(os.environ)
    os.environ.update(env)
    try:
        conf = runpy.run_path(str(ROOT / "saleor_sms_app" / "gunicorn_conf.py"))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    options = dict(zip(overrides[::2], overrides[1::2], strict=True))
    worker_class = options.get("--worker-class", conf.get("worker_class", "sync"))
    workers = options.get("--workers", conf.get("workers", 1))
    threads = options.get("--threads", conf.get("threads", 1))
    keepalive = conf.get("keepalive", 2)
    connections = (
        f"keep-alive {keepalive} s (persistent connections, as Saleor's webhook client keeps them)"
        if worker_class != "sync"
        else "a new connection per request (sync workers close every connection)"
    )
    return (
        f"{label}: gunicorn {worker_class}, {workers} processes x {threads} threads, {connections}"
    )


def main() -> None:
    from tests.standin.saleor import SaleorStandin

    redis_bin = os.environ.get("REDIS_SERVER_BIN") or shutil.which("redis-server")
    if not redis_bin:
        sys.exit("redis-server not found: run with `make bench`")
    wrk = ensure("wrk")
    workdir = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    redis_process: subprocess.Popen[bytes] | None = None
    saleor = SaleorStandin()
    try:
        redis_port = free_port()
        redis_process = subprocess.Popen(
            [redis_bin, "--port", str(redis_port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no", "--dir", str(workdir)],
            stdout=subprocess.DEVNULL,
        )
        redis_url = f"redis://127.0.0.1:{redis_port}/0"
        database_url = f"sqlite:///{workdir / 'bench.db'}"
        upgrade(database_url)
        saleor.start()
        port = free_port()
        app_url = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "APP_URL": app_url,
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "SECRET_KEY": "bench-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
            "REDIS_URL": redis_url,
            "DATABASE_URL": database_url,
            "DATA_DIR": str(workdir),
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
        }
        ingest_lua = workdir / "ingest.lua"
        ingest_lua.write_text(LUA)
        baseline_lua = workdir / "baseline.lua"
        baseline_lua.write_text(BASELINE_LUA)
        data_file = workdir / "deliveries.tsv"
        print(
            f"wrk -t{THREADS} -c{CONNECTIONS} on 127.0.0.1, {os.cpu_count()} cores; "
            f"each server: bare route {BASELINE_SECONDS} s, then ingest {INGEST_SECONDS} s"
        )
        problems: list[str] = []
        for index, (label, overrides) in enumerate(server_configs()):
            print(describe(label, overrides, env))
            # Each server starts from an empty Redis, so it sees the same deliveries as new.
            Redis.from_url(redis_url).flushall()
            command, extra_env = server_command(overrides)
            server = subprocess.Popen(command, env={**env, **extra_env}, cwd=ROOT)
            try:
                wait_for(app_url + "/healthz")
                if index == 0:
                    saleor.install(app_url)
                    sign_deliveries(saleor, data_file)
                problems += [
                    f"{label}: {problem}"
                    for problem in measure(
                        wrk, app_url, redis_url, saleor, server.pid, redis_process.pid, data_file
                    )
                ]
            finally:
                server.terminate()
                try:
                    server.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    server.kill()
    finally:
        saleor.stop()
        if redis_process is not None:
            redis_process.terminate()
            redis_process.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)
    if problems:
        sys.exit("the figures above do not count: " + "; ".join(problems))


def sign_deliveries(saleor: Any, data_file: Path) -> None:
    """Distinct deliveries: the subscription's body for one order, with a new
    order id and number each time, signed like Saleor signs."""
    template = saleor.event_payload("ORDER_CREATED", {"order": saleor.make_order()})
    order_id = json.loads(template)["order"]["id"]
    started = time.perf_counter()
    lines = []
    for n in range(BODIES):
        new_id = saleor_global_id(uuid.uuid4())
        body = template.replace(order_id.encode(), new_id.encode()).replace(
            b'"number": "', f'"number": "{n}'.encode(), 1
        )
        lines.append(saleor.sign(body) + "\t" + body.decode())
    data_file.write_text("\n".join(lines) + "\n")
    print(f"  {BODIES} distinct deliveries signed in {time.perf_counter() - started:.1f} s")


def measure(
    wrk: str,
    app_url: str,
    redis_url: str,
    saleor: Any,
    master_pid: int,
    redis_pid: int,
    data_file: Path,
) -> list[str]:
    """Both routes on one running server, then the queue checked against what was accepted.

    Returns what makes the figures untrustworthy (failed requests, a key without
    its job), so the bench can end non-zero instead of printing them as results.
    """
    # Warm every worker (imports, tenant cache, parsed keys) on throwaway deliveries.
    warm = saleor.event_payload("ORDER_CREATED", {"order": saleor.make_order()})
    for _ in range(40):
        saleor.send_webhook(app_url, "ORDER_CREATED", body=warm)
        requests.post(app_url + "/bench/ok", data=warm, timeout=5)
    # The master too: granian's may do work a gunicorn master does not.
    workers = [master_pid, *worker_pids(master_pid)]
    web0, redis0, sw0 = cpu_seconds(workers), cpu_seconds([redis_pid]), context_switches(workers)
    baseline = run_wrk(
        wrk,
        app_url + "/bench/ok",
        data_file.parent / "baseline.lua",
        BASELINE_SECONDS,
        str(data_file),
    )
    web1, redis1, sw1 = cpu_seconds(workers), cpu_seconds([redis_pid]), context_switches(workers)
    client = Redis.from_url(redis_url)
    queue_before = client.llen(f"rq:queue:{QUEUE_NAME}")
    ingest = run_wrk(
        wrk,
        app_url + "/api/webhooks/order_created",
        data_file.parent / "ingest.lua",
        INGEST_SECONDS,
        str(data_file),
        str(THREADS),
        saleor.api_url,
        saleor.domain,
    )
    web2, redis2, sw2 = cpu_seconds(workers), cpu_seconds([redis_pid]), context_switches(workers)
    report("  baseline: bare 200 route", baseline, web1 - web0, redis1 - redis0, sw1 - sw0)
    report("  ingest: verify + dedupe + enqueue", ingest, web2 - web1, redis2 - redis1, sw2 - sw1)
    queued = client.llen(f"rq:queue:{QUEUE_NAME}") - queue_before
    accepted = ingest["requests"] - ingest["non2xx"]
    ratio = (ingest["requests"] / ingest["seconds"]) / (baseline["requests"] / baseline["seconds"])
    print(f"  ingest/baseline: {ratio:.2f}; jobs queued: {queued} for {accepted} accepted")
    # Requests still in flight when wrk stopped finish now; then every
    # de-duplication key must have its job (warm-up included on both sides).
    time.sleep(1)
    keys = sum(1 for _ in client.scan_iter("sms:webhook:*", 1000))
    jobs = client.llen(f"rq:queue:{QUEUE_NAME}")
    print(f"  de-duplication keys {keys}, jobs {jobs}: {'equal' if keys == jobs else 'MISMATCH'}")
    if queued < accepted:
        # Each wrk thread cycles through its own half of the bodies, and one
        # thread can outrun the other: its repeats are answered as duplicates.
        print(f"  ({accepted - queued} repeats of {BODIES} bodies: raise BENCH_WEBHOOKS)")
    problems = [
        f"{label}: {r['non2xx']} non-2xx answers, {r['errors']} socket errors"
        for label, r in (("baseline", baseline), ("ingest", ingest))
        if r["non2xx"] or r["errors"]
    ]
    if keys != jobs:
        problems.append(f"{keys} de-duplication keys but {jobs} jobs")
    return problems


def saleor_global_id(pk: object) -> str:
    from tests.standin.saleor import global_id

    return global_id("Order", pk)


if __name__ == "__main__":
    main()
