"""Jobs queued by an older deploy must still be found by the worker of a newer one.

RQ keeps a queued job's function as a dotted path in Redis (``job.func_name``),
so a job queued (or scheduled by ``enqueue_in``) before a deploy is looked up
by the path the *old* code wrote, with :func:`rq.utils.import_attribute`. The
database keeps only a scheduled run's ``kind``; the handler it names is found
through :data:`saleor_sms_app.scheduler.runner.HANDLERS` of the running code.

Every job function lives in :mod:`saleor_sms_app.jobs`, which the layout move
(``docs/ARCHITECTURE.md``, "Persisted dotted paths") left in place, so no
legacy module was needed. :data:`PERSISTED` pins the paths deployed code has
queued; a test fails if one stops resolving, or if the code starts queueing a
path that is not pinned here (add it, and keep it importable from then on).
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest
from rq.utils import import_attribute

from saleor_sms_app.scheduler.runner import HANDLERS

PACKAGE = Path(__file__).resolve().parent.parent / "saleor_sms_app"

#: Job functions by the dotted path RQ stored for them, as queued by every
#: deployed version so far (``main`` before and after the layout move).
PERSISTED = (
    "saleor_sms_app.jobs.handle_webhook",
    "saleor_sms_app.jobs.send_message",
    "saleor_sms_app.jobs.send_messages",
    "saleor_sms_app.jobs.run_scheduled",
    "saleor_sms_app.jobs.check_balances",
    "saleor_sms_app.jobs.sync_webhooks",
)

#: What ``scheduled_runs.kind`` holds in the database: every kind stored so far.
STORED_KINDS = ("rule", "checkout", "stock_digest", "campaign", "daily_send")


def _dotted_literals() -> set[str]:
    """Every string constant of the package that is a whole dotted path into it."""
    found: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and node.value.startswith("saleor_sms_app.")
                and node.value.replace(".", "").replace("_", "").isalnum()
            ):
                found.add(node.value)
    return found


@pytest.mark.parametrize("path", PERSISTED)
def test_a_job_queued_by_older_code_still_resolves(path: str) -> None:
    assert callable(import_attribute(path))


def test_the_code_queues_only_pinned_job_paths() -> None:
    queued = {p for p in _dotted_literals() if p.startswith("saleor_sms_app.jobs.")}
    assert queued, "no job path found: the scan itself is broken"
    assert queued <= set(PERSISTED), f"pin these in PERSISTED: {sorted(queued - set(PERSISTED))}"


def test_every_dotted_path_the_code_names_resolves() -> None:
    """Job names, scheduler handlers, logger and module names written as strings."""
    literals = _dotted_literals()
    assert set(HANDLERS.values()) <= literals
    broken = []
    for path in sorted(literals):
        try:
            import_attribute(path)
        except (ImportError, AttributeError, ValueError):
            try:
                importlib.import_module(path)  # a module named as a string (the cli's prog)
            except ImportError:
                broken.append(path)
    assert broken == []


@pytest.mark.parametrize("kind", STORED_KINDS)
def test_a_stored_run_kind_still_has_its_handler(kind: str) -> None:
    assert callable(import_attribute(HANDLERS[kind]))
