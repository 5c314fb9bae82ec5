"""The chaos suite's size and its table.

``CHAOS_SIZE=full`` (``make chaos``) runs the full scenarios; otherwise the
short ones run (inside ``make test``; select them with ``-m chaos``). The table
of every scenario that ran is printed at the end of the session and, with
``CHAOS_TABLE=<file>``, written there as Markdown. ``CHAOS_LOGS=<folder>`` keeps
each scenario's logs, database and Redis files there.
"""

from __future__ import annotations

import os
import platform
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.chaos.scenarios import FULL, RESULTS, SHORT, Row, Size, seed

HEADER = (
    "| scenario | database | orders | texts expected | delivered once | duplicated | lost "
    "| unknown | p50 / p99 webhook → provider | secrets in plain text |"
)


@pytest.fixture
def workdir(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """Where a scenario keeps its database, Redis files and every process's log:
    ``CHAOS_LOGS/<test>`` when set (``make chaos`` keeps them in ``.data/chaos``)."""
    base = os.environ.get("CHAOS_LOGS")
    if not base:
        return tmp_path
    folder = Path(base).resolve() / str(request.node.name)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


@pytest.fixture(scope="session")
def chaos_size() -> Size:
    return FULL if os.environ.get("CHAOS_SIZE") == "full" else SHORT


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f} ms"


def table(rows: list[Row]) -> str:
    lines = [HEADER, "|" + "---|" * 10]
    for r in rows:
        lines.append(
            f"| {r.scenario} | {r.database} | {r.orders:,} | {r.expected:,} | "
            f"{r.delivered_once:,} | {r.duplicated} | {r.lost} | {r.unknown} | "
            f"{_ms(r.p50_ms)} / {_ms(r.p99_ms)} | {r.secrets_found} of {r.secrets_checked} |"
        )
    notes = [f"- {r.scenario}: {'; '.join(r.notes)}" for r in rows if r.notes]
    return "\n".join(lines + [""] + notes)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not RESULTS:
        return
    size = "full" if os.environ.get("CHAOS_SIZE") == "full" else "short"
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    title = f"chaos ({size}), {when}, {platform.node()}, {os.cpu_count()} cores, seed {seed()}"
    text = table(RESULTS)
    terminalreporter.write_sep("=", title)
    terminalreporter.write_line(text)
    target = os.environ.get("CHAOS_TABLE")
    if target:
        Path(target).write_text(f"{title}\n\n{text}\n")
