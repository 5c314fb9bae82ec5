"""What a customer's text asks for: the keyword lookup table.

A text is a keyword only when it is the keyword alone (case, spaces and
trailing punctuation aside): "STOP" and " stop! " opt out, "please don't stop"
does not. Carriers and providers (Twilio, AWS) match the same way, and a
whole-text match is what keeps a customer's ordinary reply from unsubscribing
them by accident.
"""

from __future__ import annotations

import enum
import unicodedata


class Keyword(enum.StrEnum):
    STOP = "stop"
    START = "start"
    HELP = "help"


#: Keyword text (upper case, as normalised) → what it asks for. English words
#: are the US carriers' and Twilio's set; NIE and STOP are the Polish ones.
KEYWORDS: dict[str, Keyword] = {
    **dict.fromkeys(
        (
            "STOP",
            "STOPALL",
            "STOP ALL",
            "UNSUBSCRIBE",
            "CANCEL",
            "END",
            "QUIT",
            "OPTOUT",
            "OPT OUT",
            "OPT-OUT",
            "REVOKE",
            "NIE",
        ),
        Keyword.STOP,
    ),
    **dict.fromkeys(
        ("START", "UNSTOP", "SUBSCRIBE"),
        Keyword.START,
    ),
    **dict.fromkeys(("HELP", "INFO", "POMOC"), Keyword.HELP),
}

_TRAILING = ".!?,;:'\"()"


def normalised(text: str) -> str:
    """Upper case, inner spaces collapsed, outer spaces and punctuation dropped."""
    text = unicodedata.normalize("NFKC", text)
    return " ".join(text.split()).strip(_TRAILING + " ").upper()


def keyword_of(text: str) -> Keyword | None:
    """The keyword ``text`` is, or None for any other text."""
    return KEYWORDS.get(normalised(text))
