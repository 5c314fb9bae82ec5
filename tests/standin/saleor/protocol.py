"""The Saleor App protocol as the stand-in plays it: install (manifest, register),
signed webhook deliveries built from the registered subscriptions, uninstall.
"""

from __future__ import annotations

import json
import secrets
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests
from graphql import (
    ExecutionResult,
    execute,
    parse,
)

from tests.standin.saleor.http import _rebase
from tests.standin.saleor.schema import (
    SCHEMA_VERSION,
    USER_AGENT,
    _field_resolver,
    event_type_name,
    global_id,
    saleor_schema,
    validate_document,
)
from tests.standin.saleor.state import StandinState


class InstallationFailed(Exception):
    """The app refused an install step, as the real Saleor would report it."""

    def __init__(self, message: str, response: requests.Response | None = None) -> None:
        super().__init__(message)
        self.response = response


@dataclass
class Installation:
    app_id: str
    token: str
    manifest: dict[str, Any]
    response: requests.Response


class AppProtocol(StandinState):
    """The App-protocol methods of :class:`~tests.standin.saleor.server.SaleorStandin`."""

    def _subscribed(self, events: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, bytes]]:
        """The bodies of the events the installed app subscribed to (Saleor sends no others)."""
        subscribed = self.webhook_registry.events_of(self.app_id)
        return [(e, self.event_payload(e, f)) for e, f in events if e in subscribed]

    def deliver(
        self, app_base_url: str, deliveries: Iterable[tuple[str, bytes]]
    ) -> list[requests.Response]:
        """Send prepared webhooks (from :meth:`fulfil` and the like), signed, in the given order."""
        return [self.send_webhook(app_base_url, event, body=body) for event, body in deliveries]

    def store_installation(self, services: Any, *, token: str = "app-token-0123456789") -> Any:
        """Record this Saleor as installed, as registration would, without the HTTP step.

        For tests and benchmarks whose subject is not registration: the stand-in
        accepts ``token`` from now on, and the app's tenant row points here.
        """
        from saleor_sms_app.saleor.tenants import save_tenant

        self.token, self.app_id = token, global_id("App", 1)
        return save_tenant(
            services,
            saleor_api_url=self.api_url,
            saleor_domain=self.domain,
            app_id=self.app_id,
            token=self.token,
            jwks={},
        )

    def install(
        self,
        app_base_url: str,
        *,
        manifest_path: str = "/api/manifest",
        permissions: Iterable[str] | None = None,
    ) -> Installation:
        """Install the app the way Saleor does: fetch and check the manifest, then register.

        Raises :class:`InstallationFailed` (with the app's ``error.message``) when
        the app answers anything but 2xx; Saleor then removes the app, and so
        does the stand-in (its token stops working).
        """
        response = self.http.get(
            app_base_url.rstrip("/") + manifest_path,
            headers={
                "User-Agent": USER_AGENT,
                "Accept-Encoding": "gzip, deflate",
                "Accept": "*/*",
                "Connection": "keep-alive",
                "Saleor-Schema-Version": SCHEMA_VERSION,
                "Host": "127.0.0.1",
            },
            allow_redirects=False,
            timeout=(2, 18),
        )
        if response.status_code != 200:
            raise InstallationFailed(f"manifest fetch answered {response.status_code}", response)
        manifest = response.json()
        for required in ("id", "name", "version"):
            if not manifest.get(required):
                raise InstallationFailed(f"manifest has no {required!r}", response)
        for webhook in manifest.get("webhooks", []):
            problems = validate_document(webhook["query"])
            if problems:
                raise InstallationFailed(
                    f"Subscription query of webhook {webhook['name']!r} is not valid: {problems}",
                    response,
                )
        if not manifest.get("tokenTargetUrl"):
            raise InstallationFailed("manifest has no tokenTargetUrl", response)

        token = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(30))
        self.app_id = global_id("App", self._next_app_pk)
        self._next_app_pk += 1
        self.token = token
        self.manifest = manifest
        self.app_permissions = list(
            permissions if permissions is not None else manifest.get("permissions", [])
        )
        self.app_private_metadata = {}
        self.app_metadata = {}
        body = json.dumps({"auth_token": token})
        register = self.http.post(
            manifest["tokenTargetUrl"],
            data=body.encode(),
            headers={
                "User-Agent": USER_AGENT,
                "Accept-Encoding": "gzip, deflate",
                "Accept": "*/*",
                "Connection": "keep-alive",
                "Content-Type": "application/json",
                "X-Saleor-Domain": self.domain,
                "Saleor-Domain": self.domain,
                "Saleor-Api-Url": self.api_url,
                "Saleor-Schema-Version": SCHEMA_VERSION,
                "Host": "127.0.0.1",
            },
            allow_redirects=False,
            timeout=(2, 18),
        )
        if not 200 <= register.status_code < 300:
            self.token = None
            self.manifest = None
            self.app_id = None
            try:
                message = register.json()["error"]["message"]
            except (ValueError, KeyError, TypeError):
                message = f"the app answered {register.status_code}"
            raise InstallationFailed(message, register)
        return Installation(self.app_id, token, manifest, register)

    def webhook_for(self, event: str) -> dict[str, Any]:
        """The registered webhook subscribed to ``event`` (as Saleor would pick it):
        ``name``, ``query``, ``targetUrl``. Registered at install or by the app's own
        mutations since, not what the app's manifest says today."""
        if self.manifest is None:
            raise LookupError("the app is not installed")
        name = event.upper()
        webhook = self.webhook_registry.for_event(self.app_id, name)
        if webhook is None:
            raise LookupError(f"the app does not subscribe to {name}")
        return webhook

    def event_payload(self, event: str, payload: Mapping[str, Any] | None = None) -> bytes:
        """The raw body Saleor would send: the webhook's subscription run over the data.

        ``payload`` holds the event's own fields, e.g. ``{"order": order}``,
        ``{"order": o, "fulfillment": f, "notifyCustomer": True}``; an ``Order``
        dict alone means ``{"order": it}``. ``APP_DELETED`` defaults to the app.
        """
        webhook = self.webhook_for(event)
        fields = dict(payload or {})
        if fields.get("__typename") == "Order":
            fields = {"order": fields}
        if event.upper().startswith("APP_") and "app" not in fields:
            fields["app"] = self.app_object()
        data = {
            "__typename": event_type_name(event),
            "issuedAt": datetime.now(UTC).isoformat(),
            "version": self.version,
            "issuingPrincipal": None,
            "recipient": self.app_object(),
            **fields,
        }
        result = execute(
            saleor_schema(),
            parse(webhook["query"]),
            root_value={"event": data},
            field_resolver=_field_resolver,
        )
        # Every resolver of the stand-in is synchronous: the result is never awaitable.
        assert isinstance(result, ExecutionResult)
        if result.errors or not result.data:
            raise ValueError(f"the subscription for {event} did not run: {result.errors}")
        return json.dumps(result.data["event"]).encode()

    def webhook_headers(self, event: str, body: bytes) -> dict[str, str]:
        """The header set of a real delivery (captures/webhook-*.json), signed."""
        signature = self.sign(body)
        header_event = event.lower()
        return {
            "User-Agent": USER_AGENT,
            "Accept-Encoding": "gzip, deflate",
            "Accept": "*/*",
            "Connection": "keep-alive",
            "Content-Type": "application/json",
            "X-Saleor-Event": header_event,
            "X-Saleor-Domain": self.domain,
            "X-Saleor-Signature": signature,
            "Saleor-Event": header_event,
            "Saleor-Domain": self.domain,
            "Saleor-Signature": signature,
            "Saleor-Api-Url": self.api_url,
            "Host": "127.0.0.1",
        }

    def send_webhook(
        self,
        app_base_url: str,
        event: str,
        payload: Mapping[str, Any] | None = None,
        *,
        body: bytes | None = None,
        headers: Mapping[str, str | None] | None = None,
        timeout: float = 20.0,
    ) -> requests.Response:
        """Deliver one signed webhook to the manifest's targetUrl for ``event``.

        ``body`` replaces the generated body (it is still signed); ``headers``
        overrides or, with ``None``, removes headers (forged or missing
        signatures). ``app_base_url`` is where the app really listens; the path
        comes from the manifest's targetUrl.
        """
        webhook = self.webhook_for(event)
        raw = body if body is not None else self.event_payload(event, payload)
        all_headers: dict[str, str] = self.webhook_headers(event, raw)
        for name, value in (headers or {}).items():
            if value is None:
                all_headers.pop(name, None)
            else:
                all_headers[name] = value
        return self.http.post(
            _rebase(webhook["targetUrl"], app_base_url),
            data=raw,
            headers=all_headers,
            allow_redirects=False,
            timeout=timeout,
        )

    def uninstall(self, app_base_url: str) -> requests.Response | None:
        """Remove the app: its token stops working, then APP_DELETED is delivered if subscribed."""
        self.token = None
        try:
            self.webhook_for("APP_DELETED")
        except LookupError:
            return None
        return self.send_webhook(app_base_url, "APP_DELETED")
