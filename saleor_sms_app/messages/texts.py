"""One message's text and status: the part every composer shares.

Rules (:mod:`~saleor_sms_app.messages.rule_messages`), abandoned-checkout reminders
(:mod:`saleor_sms_app.checkouts.reminders`) and stock digests
(:mod:`saleor_sms_app.stock.alerts`) all render a template to a number with
:func:`compose_text` and describe what was not sent with :func:`not_sent`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from saleor_sms_app.config.model import ShopSettings
from saleor_sms_app.consent.marketing import with_opt_out
from saleor_sms_app.errors import InvalidPhoneNumber, TemplateError
from saleor_sms_app.message_templates.links import LinkMaker
from saleor_sms_app.message_templates.sandbox import render
from saleor_sms_app.models import MessageStatus
from saleor_sms_app.recipients.phones import staff_phone
from saleor_sms_app.segments import count_segments


def compose_text(
    settings: ShopSettings,
    phone: str,
    template: str,
    context: Mapping[str, Any],
    links: LinkMaker,
    *,
    marketing: bool,
    fix_hint: str,
) -> dict[str, Any]:
    """Body and status of one message to ``phone`` (E.164): rendered, the opt-out line
    of a marketing text, the dry run's test number; ``queued`` or why it is not sent.

    Shared by rules and the abandoned-checkout reminders.
    """
    try:
        body = render(template, context, links)
    except TemplateError as exc:
        return not_sent(
            MessageStatus.FAILED, "template_error", exc.message, phone=phone, hint=fix_hint
        )
    if not body:
        return not_sent(
            MessageStatus.SKIPPED,
            "empty_message",
            "The template produced no text for this order",
            phone=phone,
        )
    if marketing:
        body = with_opt_out(body, settings.opt_out_line)
    hint = None
    if settings.dry_run.enabled:
        try:
            test_number = staff_phone(settings.dry_run.number, settings)
        except InvalidPhoneNumber as exc:
            return not_sent(
                MessageStatus.FAILED,
                "dry_run_number_invalid",
                f"Dry run is on but its test number is unusable: {exc.message}",
                phone=phone,
                body=body,
            )
        hint = f"Dry run: sent to the test number instead of {phone}"
        phone = test_number
    info = count_segments(body)
    return {
        "phone": phone,
        "body": body,
        "segments": info.segments,
        "encoding": info.encoding,
        "status": MessageStatus.QUEUED.value,
        "error_hint": hint,
    }


def not_sent(
    status: MessageStatus,
    code: str,
    text: str,
    *,
    phone: str = "",
    body: str = "",
    hint: str | None = None,
) -> dict[str, Any]:
    return {
        "status": status.value,
        "error_code": code,
        "error_text": text,
        "error_hint": hint,
        "phone": phone[:64],
        "body": body,
    }
