"""The Python segment counter against the cases the page's TypeScript mirror is tested on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from saleor_sms_app.segments import GSM7, count_segments, transliterate

CASES_FILE = Path(__file__).resolve().parents[2] / "dashboard_ui" / "src" / "segments.cases.json"
CASES: list[dict[str, Any]] = json.loads(CASES_FILE.read_text())["cases"]


@pytest.mark.parametrize("case", CASES, ids=[repr(c["text"][:30]) for c in CASES])
def test_same_answer_as_the_page(case: dict[str, Any]) -> None:
    info = count_segments(case["text"])
    assert info.encoding == case["encoding"]
    assert info.units == case["units"]
    assert info.segments == case["segments"]
    assert info.remaining == case["remaining"]
    assert list(info.unicode_characters) == case["unicode_characters"]
    assert transliterate(case["text"]) == case["transliterated"]
    assert count_segments(case["transliterated"]).encoding == GSM7


def test_the_cases_cover_the_edges() -> None:
    """Guard against someone trimming the shared file to the easy cases."""
    kinds = {(c["encoding"], c["segments"]) for c in CASES}
    assert {("GSM-7", 1), ("GSM-7", 2), ("GSM-7", 3), ("UCS-2", 1), ("UCS-2", 2)} <= kinds
    assert any("😀" in c["text"] for c in CASES)
    assert any("€" in c["text"] for c in CASES)
