"""RQ settings module (``rq worker --config saleor_sms_app.rq_config``).

Reading it validates every environment variable at worker start, exactly as
the web app does, so a misconfigured worker fails loudly instead of idling.
"""

from __future__ import annotations

from saleor_sms_app.services import QUEUE_NAME
from saleor_sms_app.settings import Settings

REDIS_URL = Settings.from_env().redis_url
QUEUES = [QUEUE_NAME]
