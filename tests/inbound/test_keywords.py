"""STOP, START and HELP are whole-text keywords, whatever the case and spacing."""

from __future__ import annotations

import pytest

from saleor_sms_app.inbound.keywords import Keyword, keyword_of


@pytest.mark.parametrize(
    "text",
    [
        "STOP",
        "stop",
        " Stop ",
        "STOP!",
        "stopall",
        "STOP ALL",
        "Unsubscribe",
        "cancel",
        "END",
        "quit.",
        "nie",
        "NIE",
        "Nie!",
        "stop\n",
        "ＳＴＯＰ",
    ],
)
def test_stop_words(text: str) -> None:
    assert keyword_of(text) == Keyword.STOP


@pytest.mark.parametrize("text", ["START", "start", " Unstop "])
def test_start_words(text: str) -> None:
    assert keyword_of(text) == Keyword.START


@pytest.mark.parametrize("text", ["HELP", "help?", "Info", "pomoc"])
def test_help_words(text: str) -> None:
    assert keyword_of(text) == Keyword.HELP


@pytest.mark.parametrize(
    "text",
    ["", "please don't stop", "STOP sending me this", "nie wiem", "thanks", "STOPP", "s t o p"],
)
def test_other_texts_are_no_keyword(text: str) -> None:
    assert keyword_of(text) is None
