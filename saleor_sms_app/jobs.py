"""RQ job functions: plain functions taking ids and strings, no Flask.

The web process enqueues :func:`handle_webhook` by dotted path (see
``docs/ARCHITECTURE.md``, "Webhook → job"); it enqueues :func:`send_message`
per logged message; the worker enqueues :func:`sync_webhooks`. All find the
process's services with :func:`get_services`, so a job can be run by hand
(``python -c``) exactly as the worker runs it.
"""

from __future__ import annotations

from saleor_sms_app.checkouts import reminders
from saleor_sms_app.message_log.personal_data import erase_customer
from saleor_sms_app.messages import composing, dispatching
from saleor_sms_app.observability.logs import bind
from saleor_sms_app.provider_checks.balance import check_tenant_balances
from saleor_sms_app.saleor import webhook_sync
from saleor_sms_app.saleor.events import BY_NAME
from saleor_sms_app.scheduler import runner
from saleor_sms_app.services import get_services
from saleor_sms_app.stock import alerts


def handle_webhook(saleor_api_url: str, event: str, payload: str, dedupe_key: str) -> list[int]:
    """Log (and queue) every message one Saleor webhook calls for; ids of new log rows.

    Raises :class:`~saleor_sms_app.errors.SaleorUnavailable` when Saleor cannot
    be reached, so RQ retries the job with the ``Retry`` it was enqueued with.
    """
    bind(event=event)
    subject = BY_NAME[event].subject if event in BY_NAME else ""
    if subject == "customer":
        erase_customer(get_services(), saleor_api_url, payload)
        return []
    if subject == "checkout":
        reminders.process_checkout_event(get_services(), saleor_api_url, event, payload)
        return []
    if subject == "stock":
        alerts.process_stock_event(get_services(), saleor_api_url, event, payload)
        return []
    return composing.process_event(
        get_services(), saleor_api_url, event, payload, dedupe_key
    ).created


def send_message(message_id: int) -> str:
    """Send one logged message if it is still queued; its status afterwards.

    Raises on a temporary provider failure so RQ tries again with backoff.
    """
    bind(message_id=message_id)
    return dispatching.send_message(get_services(), message_id)


def send_messages(message_ids: list[int]) -> dict[str, int]:
    """Send several logged messages, each as :func:`send_message` would; status → count.

    A message that fails temporarily is handed to its own ``send_message`` job
    with the remaining retries; the batch itself fails only if it cannot run.
    """
    return dispatching.send_messages(get_services(), message_ids)


def run_scheduled(run_ids: list[int]) -> dict[str, int]:
    """Carry out scheduled runs a tick claimed (delayed rules ...); state afterwards → count.

    Runs already started by another job are left alone, so RQ running this
    job twice does nothing the second time.
    """
    return runner.run_scheduled(get_services(), run_ids)


def check_balances(tenant_id: int) -> int:
    """Check one tenant's provider balances; how many crossed below the threshold."""
    return check_tenant_balances(tenant_id)


def sync_webhooks(tenant_id: int) -> str:
    """Bring one tenant's Saleor webhooks in line with this version's manifest; what happened.

    Saleor not answering raises (RQ retries); Saleor refusing is logged with the
    reason and returned, never raised (retrying the same request cannot help).
    """
    return webhook_sync.run_sync_job(get_services(), tenant_id)
