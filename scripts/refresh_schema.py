"""Refresh ``graphql/schema.graphql`` from a running Saleor's introspection (``make schema``).

Usage: ``python scripts/refresh_schema.py http://localhost:8001/graphql/``. The schema is what
every document the app ships, and the loopback Saleor stand-in of the tests, are checked against;
refresh it when the app moves to a newer Saleor, then run ``make test``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import requests
from graphql import build_client_schema, get_introspection_query, print_schema

TARGET = Path(__file__).resolve().parent.parent / "graphql" / "schema.graphql"


def main(api_url: str) -> int:
    answer = requests.post(api_url, json={"query": get_introspection_query()}, timeout=60)
    answer.raise_for_status()
    body = answer.json()
    if body.get("errors") or not body.get("data"):
        print(f"introspection failed: {body.get('errors')}", file=sys.stderr)
        return 1
    TARGET.write_text(print_schema(build_client_schema(body["data"])) + "\n")
    print(f"wrote {TARGET} from {api_url}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1]))
