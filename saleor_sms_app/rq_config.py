"""RQ settings module (``rq worker --config saleor_sms_app.rq_config``).

Reading it validates every environment variable at worker start, exactly as
the web app does, so a misconfigured worker fails loudly instead of idling.
"""

from __future__ import annotations

from saleor_sms_app.observability import configure
from saleor_sms_app.services import QUEUE_NAME
from saleor_sms_app.settings import Settings

_settings = Settings.from_env()
# Log format and Sentry for the worker process, as create_app does for the web.
configure(_settings, "worker")
REDIS_URL = _settings.redis_url
QUEUES = [QUEUE_NAME]
