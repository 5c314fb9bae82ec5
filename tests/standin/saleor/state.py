"""What the mixins of :class:`~tests.standin.saleor.server.SaleorStandin` share.

``SigningKeys``, ``OrderActions``, ``CheckoutActions``, ``StockActions`` and
``AppProtocol`` each hold one part of the stand-in's methods and use state (and
a few methods) that only the combined class defines. This base declares them so
the type checker can follow each mixin on its own. It adds nothing at run time:
the attributes are bare annotations (the dataclass fields and ``__post_init__``
of ``SaleorStandin`` set them) and the methods exist only for the type checker.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import requests

    from tests.standin.saleor_webhooks import WebhookRegistry


class StandinState:
    """The state of one stand-in Saleor, as its mixins see it."""

    version: str
    orders: dict[str, dict[str, Any]]
    checkouts: dict[str, dict[str, Any]]
    #: The installed app's token and id (None before install / after uninstall).
    token: str | None
    app_id: str | None
    app_private_metadata: dict[str, str]
    app_metadata: dict[str, str]
    app_permissions: list[str]
    http: requests.Session
    webhook_registry: WebhookRegistry
    _next_app_pk: int

    if TYPE_CHECKING:

        @property
        def manifest(self) -> dict[str, Any] | None: ...

        @manifest.setter
        def manifest(self, manifest: dict[str, Any] | None) -> None: ...

        @property
        def domain(self) -> str: ...

        @property
        def api_url(self) -> str: ...

        def app_object(self) -> dict[str, Any]: ...

        def sign(self, body: bytes) -> str: ...

        def _subscribed(
            self, events: list[tuple[str, dict[str, Any]]]
        ) -> list[tuple[str, bytes]]: ...
