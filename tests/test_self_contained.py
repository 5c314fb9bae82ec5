"""The repository stands alone: a lone clone has everything the tests and the app read."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DATA_DIR, ROOT, SCHEMA_PATH


def test_reference_data_lives_in_the_repository() -> None:
    assert SCHEMA_PATH.is_relative_to(ROOT)
    assert "type Query" in SCHEMA_PATH.read_text()
    captures = {p.name for p in (DATA_DIR / "saleor").iterdir()}
    assert {"jwks.json", "dashboard-postmessages.jsonl", "webhook-order_created.json"} <= captures
    # Every capture is described where it came from.
    readme = (DATA_DIR / "README.md").read_text()
    for name in captures:
        assert name in readme or name.split(".")[0].replace("webhook-", "") in readme, name


def test_the_test_session_refuses_to_read_beside_the_repository(tmp_path: Path) -> None:
    beside = ROOT.parent / "shared" / "schema.graphql"  # self-contained: the guard itself
    with pytest.raises(PermissionError, match="copy it into the repository"):
        open(beside)  # noqa: SIM115


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def test_lint_check_names_code_that_reads_outside(tmp_path: Path) -> None:
    repo = tmp_path / "clone"
    (repo / "scripts").mkdir(parents=True)
    shutil.copy(ROOT / "scripts" / "check_self_contained.py", repo / "scripts")
    _git(repo, "init", "-q")
    (repo / "ok.py").write_text('SCHEMA = "graphql/schema.graphql"\n')
    check = [sys.executable, str(repo / "scripts" / "check_self_contained.py")]
    assert subprocess.run(check, capture_output=True).returncode == 0
    bad = 'SCHEMA = ROOT.parent / "shared" / "schema.graphql"\n'  # self-contained: the guard itself
    (repo / "bad.py").write_text(bad)
    result = subprocess.run(check, capture_output=True, text=True)
    assert result.returncode == 1
    assert "bad.py:1" in result.stderr
