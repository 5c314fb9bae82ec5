"""RQ settings module and worker class (``rq worker --config saleor_sms_app.worker``).

The worker does not fork a process per job: sending an SMS is a few
milliseconds of I/O, and forking would cost more than the job itself.
SIGTERM (a Procfile platform stopping the dyno) lets the current job finish.
"""

from __future__ import annotations

from rq import SimpleWorker

from saleor_sms_app.services import QUEUE_NAME
from saleor_sms_app.settings import Settings

# Validates every variable at worker start, like the web app does.
REDIS_URL = Settings.from_env().redis_url
QUEUES = [QUEUE_NAME]


class SmsWorker(SimpleWorker):
    """A non-forking worker; jobs share the process's pools and caches."""
