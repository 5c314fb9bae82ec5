"""GraphQL documents, kept as ``.graphql`` files in the top-level ``graphql/`` folder.

A document may use fragments from ``graphql/fragments/``; they are appended by
name (transitively) when the document is loaded, so every file stays small and
a fragment is written once.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

GRAPHQL_DIR = Path(__file__).resolve().parent.parent.parent / "graphql"
_SPREAD = re.compile(r"\.\.\.\s*([A-Za-z_][A-Za-z0-9_]*)")
_KINDS = ("subscriptions", "queries", "mutations")


def _find(name: str) -> Path:
    for kind in _KINDS:
        path = GRAPHQL_DIR / kind / f"{name}.graphql"
        if path.exists():
            return path
    raise KeyError(f"no GraphQL document named {name!r} in {GRAPHQL_DIR}")


@cache
def fragment(name: str) -> str:
    path = GRAPHQL_DIR / "fragments" / f"{name}.graphql"
    if not path.exists():
        raise KeyError(f"no GraphQL fragment named {name!r}")
    return path.read_text()


def _with_fragments(text: str) -> str:
    seen: list[str] = []
    pending = list(_SPREAD.findall(text))
    while pending:
        name = pending.pop(0)
        if name in seen or name == "on":
            continue
        try:
            body = fragment(name)
        except KeyError:
            continue  # an inline fragment's type condition, not a named fragment
        seen.append(name)
        pending.extend(_SPREAD.findall(body))
    return "\n".join([text.strip(), *(fragment(n).strip() for n in seen)]) + "\n"


@cache
def load(name: str) -> str:
    """The full text of a query, mutation or subscription, with its fragments."""
    return _with_fragments(_find(name).read_text())


def all_documents() -> dict[str, str]:
    """Every operation document by name (tests validate each against the schema)."""
    names = sorted(p.stem for kind in _KINDS for p in (GRAPHQL_DIR / kind).glob("*.graphql"))
    return {name: load(name) for name in names}


def with_fragments(text: str) -> str:
    """A document written in code (e.g. one field repeated under aliases) with the
    fragments it uses appended, as :func:`load` does for files."""
    return _with_fragments(text)
