"""Gunicorn settings for the web process (the Procfile's ``web``)."""

import multiprocessing
import os

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"
# Sync workers: each request is short (verify, enqueue, answer) and CPU-bound.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
worker_class = "sync"
timeout = 30
# Saleor's webhook client keeps connections open; sync workers close them anyway.
keepalive = 2
accesslog = "-" if os.environ.get("ACCESS_LOG") else None
