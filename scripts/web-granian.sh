#!/usr/bin/env bash
# The web process (the Procfile's `web`): the app factory on granian, a Rust HTTP
# server. It reads requests on its own I/O threads and hands a Python worker only a
# whole request, so idle or slow connections (a browser's preconnects, a scanner)
# never hold a worker: no buffering proxy is needed in front, unlike gunicorn's
# sync workers (saleor_sms_app/gunicorn_conf.py, the alternative behind such a
# proxy). bench/bench_webhook_ingest.py measures both side by side.
#
#   web: scripts/web-granian.sh
#
# HOST (default 0.0.0.0, where a platform routes; `make run` passes 127.0.0.1),
# PORT and WEB_CONCURRENCY (worker processes, default 2 per core). No control
# socket or other per-user file: copies on one host share nothing.
# One Python thread per worker, like a gunicorn sync worker: more only fight over
# the interpreter lock (measured 1,900 vs 2,003 webhooks/s with 4 workers).
# Access logs stay off: delivery-report URLs carry a tenant secret.
# Ctrl-C signals every worker as well as the main process, and granian 2.8 then
# waits forever for a worker that got the signal twice (seen with 4 workers):
# a worker still running 10 s after the stop is killed (a webhook takes ms).
# An optional argument names another WSGI factory (the benchmark's).
set -euo pipefail
cores=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1)
exec "${GRANIAN:-granian}" --interface wsgi --factory \
  --host "${HOST:-0.0.0.0}" --port "${PORT:-8000}" \
  --workers "${WEB_CONCURRENCY:-$((cores * 2))}" --blocking-threads 1 \
  --respawn-failed-workers --workers-kill-timeout 10 --no-access-log --log-level "$(echo "${LOG_LEVEL:-info}" | tr '[:upper:]' '[:lower:]')" \
  "${1:-saleor_sms_app.app:create_app}"
