"""The RQ worker class (``rq worker --worker-class saleor_sms_app.worker.SmsWorker``).

The worker does not fork a process per job: sending an SMS is a few
milliseconds of I/O, and forking would cost more than the job itself.
"""

from __future__ import annotations

from rq import SimpleWorker


class SmsWorker(SimpleWorker):
    """A non-forking worker; jobs share the process's pools and caches."""
