"""Gunicorn settings, for running the web process on gunicorn instead of the Procfile's granian.

Only behind a proxy that buffers whole requests (nginx and the like): a sync
worker is held by every connection it accepts until the request has arrived,
so a few idle connections (a browser's preconnects) leave no worker for a
webhook. The Procfile's ``web`` is ``scripts/web-granian.sh``, which reads
requests without a worker per connection and needs no proxy
(``tests/test_web_servers.py`` holds 32 idle connections against it).
``bench/bench_webhook_ingest.py`` measures both.
"""

import multiprocessing
import os

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
# Sync workers: each request is short (verify, enqueue, answer) and CPU-bound.
# bench/bench_webhook_ingest.py compared them with gthread workers and keep-alive
# (2 processes x 2-16 threads, connections kept open as Saleor's webhook client keeps
# them): no more ingest per second, and the bare route's p99 four to six times worse
# (threads handing the GIL to each other), so sync stays. Two per core rather than one:
# a dashboard call waiting up to 10 s on Saleor, or a JWKS fetch, holds a whole sync
# worker meanwhile. (On the bench VM one per core measured faster, because wrk and
# redis-server run on the same two cores; set WEB_CONCURRENCY where that holds.)
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
worker_class = "sync"
timeout = 30
# Saleor's webhook client keeps connections open; sync workers close them anyway
# (this applies to other worker classes, which the bench passes on the command line).
keepalive = 2
accesslog = "-" if os.environ.get("ACCESS_LOG") else None
# Gunicorn 25+ opens a control socket for ``gunicornc`` in the home folder, one path
# for every copy on the host (a second copy takes over the first one's). Nothing
# here uses it.
control_socket_disable = True
