"""A small GraphQL client for one Saleor, authenticated with the app token.

Plain ``requests`` with an injected session (tests and benchmarks hand in their
own). Failures are classified for the caller: network errors, timeouts and 5xx
are :class:`SaleorUnavailable` (retry later); a 401/403 or GraphQL permission
error means the token is gone or too weak (permanent).
"""

from __future__ import annotations

import json
from typing import Any

import requests

from saleor_sms_app import __version__
from saleor_sms_app.errors import PermanentError, SaleorUnavailable, Unauthorized
from saleor_sms_app.saleor import documents

USER_AGENT = f"saleor-sms-app/{__version__}"


class SaleorGraphQLError(PermanentError):
    """Saleor answered with GraphQL ``errors`` (or mutation ``errors``)."""

    code = "saleor_graphql_error"


class SaleorClient:
    def __init__(
        self,
        api_url: str,
        token: str | None,
        *,
        session: requests.Session | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.api_url = api_url
        self.token = token
        self.session = session or requests.Session()
        self.timeout = timeout

    def execute(self, document: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Run a named document from ``graphql/`` and return its ``data``."""
        return self.execute_text(documents.load(document), variables)

    def execute_text(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            response = self.session.post(
                self.api_url,
                data=json.dumps({"query": query, "variables": variables or {}}),
                headers=headers,
                timeout=self.timeout,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise SaleorUnavailable(f"Saleor at {self.api_url} did not answer: {exc}") from exc
        if response.status_code in (401, 403):
            raise Unauthorized(
                f"Saleor refused the app token ({response.status_code})",
                code="saleor_token_refused",
            )
        if response.status_code >= 500 or response.status_code == 429:
            raise SaleorUnavailable(f"Saleor answered {response.status_code}")
        try:
            payload = response.json()
        except ValueError as exc:
            raise SaleorUnavailable(
                f"Saleor answered {response.status_code} with something that is not JSON"
            ) from exc
        if not isinstance(payload, dict):
            raise SaleorGraphQLError("Saleor answered JSON that is not an object")
        errors = payload.get("errors")
        if errors:
            messages = "; ".join(str(e.get("message", e)) for e in errors if isinstance(e, dict))
            raise SaleorGraphQLError(f"Saleor GraphQL error: {messages or errors}", details=errors)
        data = payload.get("data")
        if not isinstance(data, dict):
            raise SaleorGraphQLError("Saleor answered without data")
        return data
