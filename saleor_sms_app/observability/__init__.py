"""What an operator watches: metrics, log lines, errors.

* :mod:`.logs` — plain or JSON log lines, each carrying the tenant, event,
  message and job ids bound for the request or job at hand;
* :mod:`.metrics` — Prometheus counters and histograms (multiprocess mode when
  ``PROMETHEUS_MULTIPROC_DIR`` is set, so every web and worker process adds to
  the same figures) and the token-protected ``/metrics`` page;
* :mod:`.sentry` — errors to Sentry when ``SENTRY_DSN`` is set.

:func:`configure` is called once per process: by the web app factory and by
the worker's settings module.
"""

from __future__ import annotations

from saleor_sms_app.observability.logs import configure_logging
from saleor_sms_app.observability.sentry import init_sentry
from saleor_sms_app.settings import Settings


def configure(settings: Settings, process: str) -> None:
    """Logging and Sentry for this process (``web`` or ``worker``)."""
    configure_logging(settings)
    init_sentry(settings, process)
