"""Log lines: readable text, or one JSON object per line with the ids that matter.

Every line carries what is *bound* for the request or job being handled — the
tenant, the Saleor event, the message and the RQ job — through a context
variable, so code deep in the send path does not pass ids around just to log
them. :func:`log_scope` opens a fresh set for one request or job (the web's
WSGI entry, the worker's ``perform_job``) and :func:`bind` adds to it.

Nothing secret goes into a line: the app never logs credentials, and as a
last guard the formatter blanks the secret part of delivery-report URLs
(``/api/delivery-reports/<tenant>/<provider>/<secret>``) wherever it appears.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from saleor_sms_app.settings import Settings

#: The ids a JSON line carries (``None`` when not bound).
FIELDS = ("tenant", "event", "message_id", "job_id", "provider")

_bound: contextvars.ContextVar[dict[str, object] | None] = contextvars.ContextVar(
    "sms_log_fields", default=None
)

#: A delivery-report URL's last segment is the tenant's callback secret.
_REPORT_SECRET = re.compile(r"(/api/delivery-reports/[^/\s]+/[^/\s]+/)[^\s?\"']+")


@contextmanager
def log_scope(**fields: object) -> Iterator[None]:
    """A fresh set of bound ids for one request or job, dropped when it ends."""
    token = _bound.set({k: v for k, v in fields.items() if v is not None})
    try:
        yield
    finally:
        _bound.reset(token)


def bind(**fields: object) -> None:
    """Add ids to the current scope (a no-op outside one, so library use is safe)."""
    current = _bound.get()
    if current is None:
        return
    _bound.set({**current, **{k: v for k, v in fields.items() if v is not None}})


def bound() -> dict[str, object]:
    return dict(_bound.get() or {})


_base_factory = logging.getLogRecordFactory()


def _record_with_ids(*args: object, **kwargs: object) -> logging.LogRecord:
    """Every record takes the ids bound when it is made (a handler may format it later)."""
    record = _base_factory(*args, **kwargs)
    record.sms_bound = _bound.get() or {}
    return record


if not getattr(_base_factory, "_sms_app", False):
    _record_with_ids._sms_app = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(_record_with_ids)


def scrub(text: str) -> str:
    return _REPORT_SECRET.sub(r"\1***", text)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the bound ids, the error."""

    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, object] = getattr(record, "sms_bound", None) or bound()
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": scrub(record.getMessage()),
        }
        for name in FIELDS:
            value = getattr(record, name, None)
            line[name] = value if value is not None else fields.get(name)
        if record.exc_info:
            line["error"] = scrub(self.formatException(record.exc_info))
        return json.dumps(line, default=str, ensure_ascii=False)


class ScrubbingFormatter(logging.Formatter):
    """The plain format, with the same last guard against secrets in URLs."""

    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))


def configure_logging(settings: Settings) -> None:
    """The root handler for this process: text or JSON (``LOG_FORMAT``), at ``LOG_LEVEL``.

    Replaces handlers set up before (the RQ command line sets its own on its
    loggers, which then propagate here), so each line is written once.
    """
    handler = logging.StreamHandler()
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(ScrubbingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "_sms_app", False):
            root.removeHandler(old)
    handler._sms_app = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    # urllib3 logs every request line at DEBUG, query string included, and some
    # providers (Vonage, Mocean) take their API secret in the query: LOG_LEVEL=DEBUG
    # must not write provider secrets to the log (web and worker alike).
    logging.getLogger("urllib3").setLevel(
        max(logging.INFO, logging.getLevelName(settings.log_level))
    )
    if settings.log_format == "json":
        # RQ's worker logs through its own handler; in JSON mode one format rules.
        for name in ("rq.worker", "rq.scheduler"):
            logger = logging.getLogger(name)
            for old in list(logger.handlers):
                logger.removeHandler(old)
            logger.propagate = True
