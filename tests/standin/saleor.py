"""A Saleor on loopback HTTP that speaks the App protocol like the real one.

What makes it trustworthy as a test partner:

* ``/graphql/`` is real GraphQL: the executable schema is built from the real
  Saleor 3.23.28 schema (``graphql/schema.graphql``) and every document
  is validated against it before it runs over in-memory dict data. A document
  the real Saleor would reject is rejected here, and every answer is
  schema-shaped.
* Webhooks go only to the webhooks it registered (the manifest's at install,
  then the app's own ``webhookCreate``/``Update``/``Delete``,
  ``tests/standin/saleor_webhooks.py``); each is built by executing that
  webhook's subscription for the event and signed like Saleor signs them
  (detached RS256 JWS with an unencoded payload), with the header set captured
  from a real Saleor.
* It has its own RSA key, serves it as a JWKS (kid = RFC 7638 thumbprint) and
  can rotate it; dashboard tokens are minted with the same key and the claims
  of real ones.

Tests can count requests (:attr:`SaleorStandin.requests`) and make any path
fail with a status or hang past the caller's timeout (:meth:`fail_next`,
:meth:`hang_next`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import string
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import jwt
import requests
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from graphql import (
    GraphQLError,
    GraphQLResolveInfo,
    GraphQLSchema,
    build_schema,
    default_field_resolver,
    execute,
    parse,
    validate,
)
from tests.conftest import SCHEMA_PATH
from tests.standin.saleor_webhooks import WebhookRegistry, subscription_problems

SALEOR_VERSION = "3.23.28"
SCHEMA_VERSION = "3.23"
USER_AGENT = f"Saleor/{SCHEMA_VERSION}"


@cache
def saleor_schema() -> GraphQLSchema:
    """The real Saleor schema, built once per process (it takes about two seconds)."""
    return build_schema(SCHEMA_PATH.read_text())


def validate_document(text: str) -> list[str]:
    """The schema's complaints about a document (empty when Saleor would accept it)."""
    try:
        document = parse(text)
    except GraphQLError as exc:
        return [exc.message]
    return [error.message for error in validate(saleor_schema(), document)]


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _int_b64(value: int) -> str:
    return _b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def jwk_thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638 thumbprint of an RSA JWK: what Saleor uses as ``kid``."""
    canonical = json.dumps(
        {"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}, separators=(",", ":"), sort_keys=True
    )
    return _b64url(hashlib.sha256(canonical.encode()).digest())


def global_id(type_name: str, pk: object) -> str:
    """Saleor's global object id: base64 of ``Type:pk``."""
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def event_type_name(event: str) -> str:
    """``ORDER_CREATED`` / ``order_created`` → ``OrderCreated`` (the subscription type)."""
    return "".join(part.capitalize() for part in event.lower().split("_"))


class InstallationFailed(Exception):
    """The app refused an install step, as the real Saleor would report it."""

    def __init__(self, message: str, response: requests.Response | None = None) -> None:
        super().__init__(message)
        self.response = response


# --------------------------------------------------------------------------- data


def money(amount: float, currency: str) -> dict[str, Any]:
    digits = 0 if currency in {"JPY", "KRW"} else 2
    return {
        "__typename": "Money",
        "amount": round(float(amount), digits),
        "currency": currency,
        "fractionalAmount": int(round(float(amount) * 10**digits)),
        "fractionDigits": digits,
    }


def taxed_money(gross: float, currency: str, tax_rate: float = 0.0) -> dict[str, Any]:
    net = round(gross / (1 + tax_rate), 2)
    return {
        "__typename": "TaxedMoney",
        "currency": currency,
        "gross": money(gross, currency),
        "net": money(net, currency),
        "tax": money(round(gross - net, 2), currency),
    }


COUNTRY_NAMES = {
    "US": "United States of America",
    "PL": "Poland",
    "GB": "United Kingdom",
    "DE": "Germany",
    "FR": "France",
    "BR": "Brazil",
    "IN": "India",
}


def country(code: str) -> dict[str, Any]:
    return {"__typename": "CountryDisplay", "code": code, "country": COUNTRY_NAMES.get(code, code)}


def address(
    *,
    first_name: str = "Jane",
    last_name: str = "Doe",
    phone: str | None = "+12025550123",
    country_code: str = "US",
    city: str = "WASHINGTON",
    street: str = "1600 Pennsylvania Ave NW",
    postal_code: str = "20500",
) -> dict[str, Any]:
    return {
        "__typename": "Address",
        "id": global_id("Address", uuid.uuid4().int % 100000),
        "firstName": first_name,
        "lastName": last_name,
        "companyName": "",
        "streetAddress1": street,
        "streetAddress2": "",
        "city": city,
        "cityArea": "",
        "postalCode": postal_code,
        "country": country(country_code),
        "countryArea": "DC" if country_code == "US" else "",
        "phone": phone,
        "isDefaultShippingAddress": None,
        "isDefaultBillingAddress": None,
        "metadata": [],
        "privateMetadata": [],
    }


def channel(
    slug: str = "default-channel",
    *,
    name: str = "Default Channel",
    currency: str = "USD",
    country_code: str = "US",
) -> dict[str, Any]:
    return {
        "__typename": "Channel",
        "id": global_id("Channel", abs(hash(slug)) % 1000),
        "slug": slug,
        "name": name,
        "isActive": True,
        "currencyCode": currency,
        "hasOrders": True,
        "defaultCountry": country(country_code),
        "metadata": [],
        "privateMetadata": [],
    }


def metadata_items(values: Mapping[str, str] | None) -> list[dict[str, str]]:
    return [{"__typename": "MetadataItem", "key": k, "value": v} for k, v in (values or {}).items()]


def fulfillment(
    *,
    tracking_number: str = "",
    status: str = "FULFILLED",
    number: int = 1,
    created: datetime | None = None,
) -> dict[str, Any]:
    """A ``Fulfillment`` dict (what ``FulfillmentCreated.fulfillment`` carries)."""
    return {
        "__typename": "Fulfillment",
        "id": global_id("Fulfillment", uuid.uuid4().int % 1000000),
        "fulfillmentOrder": number,
        "status": status,
        "statusDisplay": status.capitalize(),
        "trackingNumber": tracking_number,
        "created": (created or datetime.now(UTC)).isoformat(),
        "lines": [],
        "warehouse": None,
        "metadata": [],
        "privateMetadata": [],
    }


_order_numbers = iter(range(1001, 10**9))


def make_order(
    *,
    number: int | str | None = None,
    status: str = "UNFULFILLED",
    channel_slug: str = "default-channel",
    channel_name: str = "Default Channel",
    currency: str = "USD",
    country_code: str = "US",
    phone: str | None = "+12025550123",
    shipping_phone: str | None = None,
    email: str = "jane.doe@example.com",
    first_name: str = "Jane",
    last_name: str = "Doe",
    registered: bool = True,
    customer_id: int | None = None,
    user_metadata: Mapping[str, str] | None = None,
    lines: Iterable[tuple[str, int, float]] = (("Apple Juice", 2, 3.0), ("Monospace Tee", 1, 21.0)),
    shipping: float = 5.0,
    shipping_method_name: str | None = "DHL",
    tracking_numbers: Iterable[str] = (),
    metadata: Mapping[str, str] | None = None,
    language: str = "EN_US",
    payment_status: str = "NOT_CHARGED",
    customer_note: str = "",
    created: datetime | None = None,
) -> dict[str, Any]:
    """An ``Order`` dict shaped like Saleor's, for the stand-in's data and for webhooks.

    ``phone`` goes on the billing address, ``shipping_phone`` (default: the same)
    on the shipping address; pass ``None`` for an order without a phone.
    Orders made with the same ``customer_id`` belong to one registered customer
    (``User.orders`` lists them); without one every order has its own customer.
    """
    created = created or datetime.now(UTC) - timedelta(minutes=1)
    order_uuid = uuid.uuid4()
    line_dicts = []
    subtotal = 0.0
    for index, (name, quantity, unit) in enumerate(lines, start=1):
        subtotal += quantity * unit
        line_dicts.append(
            {
                "__typename": "OrderLine",
                "id": global_id("OrderLine", uuid.uuid4()),
                "productName": name,
                "variantName": "",
                "productSku": f"SKU-{index:04d}",
                "productVariantId": global_id("ProductVariant", 100 + index),
                "isShippingRequired": True,
                "quantity": quantity,
                "quantityFulfilled": 0,
                "quantityToFulfill": quantity,
                "taxRate": 0.0,
                "unitPrice": taxed_money(unit, currency),
                "undiscountedUnitPrice": taxed_money(unit, currency),
                "totalPrice": taxed_money(quantity * unit, currency),
                "undiscountedTotalPrice": taxed_money(quantity * unit, currency),
                "translatedProductName": name,
                "translatedVariantName": "",
                "metadata": [],
                "privateMetadata": [],
            }
        )
    total = subtotal + shipping
    user = None
    if registered:
        user = {
            "__typename": "User",
            "id": global_id(
                "User", customer_id if customer_id is not None else uuid.uuid4().int % 100000
            ),
            "email": email,
            "firstName": first_name,
            "lastName": last_name,
            "isStaff": False,
            "isActive": True,
            "isConfirmed": True,
            "languageCode": language,
            "metadata": metadata_items(user_metadata),
            "privateMetadata": [],
        }
    billing = address(
        first_name=first_name, last_name=last_name, phone=phone, country_code=country_code
    )
    shipping_address = address(
        first_name=first_name,
        last_name=last_name,
        phone=shipping_phone if shipping_phone is not None else phone,
        country_code=country_code,
    )
    fulfillments = [
        fulfillment(tracking_number=t, number=i) for i, t in enumerate(tracking_numbers, start=1)
    ]
    return {
        "__typename": "Order",
        "id": global_id("Order", order_uuid),
        "number": str(number if number is not None else next(_order_numbers)),
        "status": status,
        "statusDisplay": status.replace("_", " ").capitalize(),
        "created": created.isoformat(),
        "updatedAt": datetime.now(UTC).isoformat(),
        "userEmail": email,
        "user": user,
        "billingAddress": billing,
        "shippingAddress": shipping_address,
        "channel": channel(
            channel_slug, name=channel_name, currency=currency, country_code=country_code
        ),
        "total": taxed_money(total, currency),
        "undiscountedTotal": taxed_money(total, currency),
        "subtotal": taxed_money(subtotal, currency),
        "shippingPrice": taxed_money(shipping, currency),
        "undiscountedShippingPrice": money(shipping, currency),
        "totalCharged": money(total if payment_status == "FULLY_CHARGED" else 0.0, currency),
        "shippingMethodName": shipping_method_name,
        "collectionPointName": None,
        "lines": line_dicts,
        "fulfillments": fulfillments,
        "metadata": metadata_items(metadata),
        "privateMetadata": [],
        "languageCode": language.lower().replace("_", "-"),
        "languageCodeEnum": language,
        "paymentStatus": payment_status,
        "paymentStatusDisplay": payment_status.replace("_", " ").capitalize(),
        "isPaid": payment_status == "FULLY_CHARGED",
        "totalRefunded": money(total if payment_status == "FULLY_REFUNDED" else 0.0, currency),
        "chargeStatus": "FULL" if payment_status == "FULLY_CHARGED" else "NONE",
        "authorizeStatus": "NONE",
        "origin": "CHECKOUT",
        "customerNote": customer_note,
        "isShippingRequired": True,
        "displayGrossPrices": True,
        "externalReference": None,
        "trackingClientId": "",
        "token": str(order_uuid),
        "events": [],
        "discounts": [],
        "invoices": [],
        "giftCards": [],
        "transactions": [],
        "errors": [],
    }


# --------------------------------------------------------------------------- resolvers


def _permission_denied(permission: str) -> GraphQLError:
    return GraphQLError(
        f"To access this path, you need one of the following permissions: {permission}",
        extensions={"exception": {"code": "PermissionDenied"}},
    )


def _metadata_value(items: list[dict[str, str]], key: str) -> str | None:
    for item in items:
        if item["key"] == key:
            return item["value"]
    return None


def _field_resolver(source: Any, info: GraphQLResolveInfo, **args: Any) -> Any:
    """Dict data plus the metadata lookups every ``ObjectWithMetadata`` offers."""
    name = info.field_name
    if isinstance(source, dict) and name not in source:
        if name in {"metafield", "privateMetafield"}:
            items = source.get("metadata" if name == "metafield" else "privateMetadata", [])
            return _metadata_value(items, args["key"])
        if name in {"metafields", "privateMetafields"}:
            items = source.get("metadata" if name == "metafields" else "privateMetadata", [])
            keys = args.get("keys")
            return {i["key"]: i["value"] for i in items if keys is None or i["key"] in keys}
        if name == "orders" and source.get("__typename") == "User":
            # ``User.orders``: the stand-in's orders of this customer, where-filtered
            # by status as Saleor's CustomerOrderWhereInput does.
            return info.root_value["_user_orders"](source["id"], args)
    return default_field_resolver(source, info, **args)


# --------------------------------------------------------------------------- the server


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class _Failure:
    path: str
    status: int | None
    hang_seconds: float
    remaining: int


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


def serve_in_thread(wsgi_app: Callable[..., Any]) -> BaseWSGIServer:
    """A threaded werkzeug server on a free loopback port, already serving."""
    server = make_server("127.0.0.1", 0, wsgi_app, threaded=True, request_handler=_QuietHandler)
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    return server


@dataclass
class Installation:
    app_id: str
    token: str
    manifest: dict[str, Any]
    response: requests.Response


@dataclass
class SaleorStandin:
    """One Saleor with one app slot. Start with :meth:`start`, stop with :meth:`stop`."""

    shop_name: str = "Saleor e-commerce"
    version: str = SALEOR_VERSION
    orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[RecordedRequest] = field(default_factory=list)
    #: The installed app's token and id (None before install / after uninstall).
    token: str | None = None
    app_id: str | None = None
    app_private_metadata: dict[str, str] = field(default_factory=dict)
    app_metadata: dict[str, str] = field(default_factory=dict)
    app_permissions: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._key = _fresh_key()
        self._failures: list[_Failure] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: BaseWSGIServer | None = None
        self._next_app_pk = 1
        self.http = requests.Session()
        #: The webhooks Saleor holds (this app's and any other's); events go only to these.
        self.webhook_registry = WebhookRegistry()
        self._manifest: dict[str, Any] | None = None

    @property
    def manifest(self) -> dict[str, Any] | None:
        """The manifest the app was installed from (None before install)."""
        return self._manifest

    @manifest.setter
    def manifest(self, manifest: dict[str, Any] | None) -> None:
        """Installing from ``manifest``: the app's webhooks become exactly its webhooks."""
        self._manifest = manifest
        self.webhook_registry.install(self.app_id, manifest)

    # ----------------------------------------------------------------- lifecycle

    def start(self) -> SaleorStandin:
        self._server = serve_in_thread(self._wsgi)
        return self

    def stop(self) -> None:
        already_stopped = self._stopping.is_set()
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        self.http.close()
        if not already_stopped:
            _release_key(self._key)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``: the Saleor origin."""
        assert self._server is not None, "start() the stand-in first"
        return f"http://127.0.0.1:{self._server.server_port}"

    @property
    def domain(self) -> str:
        return self.url.split("://", 1)[1]

    @property
    def api_url(self) -> str:
        return self.url + "/graphql/"

    # ----------------------------------------------------------------- keys

    @property
    def kid(self) -> str:
        return jwk_thumbprint(self._public_jwk_numbers())

    def _public_jwk_numbers(self) -> dict[str, str]:
        numbers = self._key.public_key().public_numbers()
        return {"kty": "RSA", "n": _int_b64(numbers.n), "e": _int_b64(numbers.e)}

    def jwks(self) -> dict[str, Any]:
        """The JWKS as Saleor serves it: the one current key."""
        jwk = self._public_jwk_numbers()
        return {
            "keys": [
                {
                    "kty": "RSA",
                    "key_ops": ["verify"],
                    "n": jwk["n"],
                    "e": jwk["e"],
                    "use": "sig",
                    "kid": jwk_thumbprint(jwk),
                    "alg": "RS256",
                }
            ]
        }

    def rotate_key(self) -> str:
        """Replace the signing key (the operator changed RSA_PRIVATE_KEY); returns the new kid."""
        self._key = _fresh_key()
        return self.kid

    def sign(self, body: bytes) -> str:
        """``Saleor-Signature`` for a raw body: detached JWS, unencoded payload (RFC 7797)."""
        header = {"alg": "RS256", "b64": False, "crit": ["b64"], "kid": self.kid, "typ": "JWT"}
        encoded_header = _b64url(json.dumps(header, separators=(",", ":")).encode())
        signature = self._key.sign(
            encoded_header.encode() + b"." + body, padding.PKCS1v15(), hashes.SHA256()
        )
        return f"{encoded_header}..{_b64url(signature)}"

    def dashboard_token(
        self,
        app_id: str | None = None,
        *,
        permissions: Iterable[str] = ("MANAGE_ORDERS",),
        user_permissions: Iterable[str] | None = None,
        exp_in: int = 300,
        iss: str | None = None,
        app: str | None = None,
        email: str = "admin@example.com",
        is_staff: bool = True,
        key: rsa.RSAPrivateKey | None = None,
        kid: str | None = None,
    ) -> str:
        """A dashboard (App Bridge) token with the claims of a real one.

        ``app`` overrides the ``app`` claim (for tokens of another app);
        ``exp_in`` may be negative for an expired token; ``key`` signs with a
        key that is not in the JWKS (a forged token); ``kid`` names a key the
        JWKS does not hold.
        """
        now = int(time.time())
        permissions = list(permissions)
        claims = {
            "iat": now,
            "owner": "saleor",
            "iss": iss if iss is not None else self.api_url,
            "exp": now + exp_in,
            "token": secrets.token_urlsafe(9),
            "email": email,
            "type": "thirdparty",
            "user_id": global_id("User", 21),
            "is_staff": is_staff,
            "app": app if app is not None else (app_id or self.app_id),
            "permissions": permissions,
            "user_permissions": (
                list(user_permissions) if user_permissions is not None else permissions
            ),
        }
        return self.sign_jwt(claims, key=key, kid=kid)

    def sign_jwt(
        self,
        claims: Mapping[str, Any],
        *,
        key: rsa.RSAPrivateKey | None = None,
        kid: str | None = None,
    ) -> str:
        """An RS256 JWT of arbitrary ``claims`` with this Saleor's key (for malformed tokens)."""
        return jwt.encode(
            dict(claims),
            key or self._key,
            algorithm="RS256",
            headers={"kid": kid if kid is not None else self.kid, "typ": "JWT"},
        )

    # ----------------------------------------------------------------- failures

    def fail_next(self, path: str = "/graphql/", *, status: int = 500, times: int = 1) -> None:
        """Answer the next ``times`` requests to ``path`` with ``status``."""
        with self._lock:
            self._failures.append(_Failure(path, status, 0.0, times))

    def hang_next(self, path: str = "/graphql/", *, seconds: float = 5.0, times: int = 1) -> None:
        """Sit on the next ``times`` requests to ``path`` (client timeouts), then answer 504."""
        with self._lock:
            self._failures.append(_Failure(path, 504, seconds, times))

    def _take_failure(self, path: str) -> _Failure | None:
        with self._lock:
            for failure in self._failures:
                if failure.path == path and failure.remaining > 0:
                    failure.remaining -= 1
                    return failure
        return None

    def count(self, path: str | None = None, *, operation: str | None = None) -> int:
        """How many requests arrived (for ``path``; for GraphQL, naming ``operation``)."""
        total = 0
        for request in list(self.requests):
            if path is not None and request.path != path:
                continue
            if operation is not None:
                try:
                    query = request.json().get("query", "")
                except ValueError:
                    continue
                if operation not in query:
                    continue
            total += 1
        return total

    # ----------------------------------------------------------------- data

    def make_order(self, **kwargs: Any) -> dict[str, Any]:
        """Create and store an order (see :func:`make_order`); the dict is live data."""
        order = make_order(**kwargs)
        self.orders[order["id"]] = order
        return order

    def add_order(self, order: dict[str, Any]) -> dict[str, Any]:
        self.orders[order["id"]] = order
        return order

    # ----------------------------------------------------------------- what Saleor does

    def fulfil(
        self, order: dict[str, Any], *, tracking_number: str = "", notify_customer: bool = True
    ) -> list[tuple[str, bytes]]:
        """``orderFulfill`` of every line: a new fulfilment, and the webhooks Saleor 3.23 sends.

        As Saleor's ``create_fulfillments`` (``saleor/order/actions.py``): it calls
        ``tracking_number_updated`` right after creating a fulfilment that has a
        number, inside its transaction, and ``order_fulfilled`` then sends
        ORDER_UPDATED, FULFILLMENT_CREATED and, the order being fulfilled now,
        ORDER_FULFILLED. So the tracking webhook usually comes first. Returns
        (event, body) in that order, only for events the app subscribed to;
        deliver them in any order with :meth:`deliver`.
        """
        new = fulfillment(tracking_number=tracking_number, number=len(order["fulfillments"]) + 1)
        order["fulfillments"].append(new)
        order["status"] = "FULFILLED"
        for line in order["lines"]:
            line["quantityFulfilled"], line["quantityToFulfill"] = line["quantity"], 0
        fields = {"order": order, "fulfillment": new}
        events: list[tuple[str, dict[str, Any]]] = []
        if tracking_number:
            events.append(("FULFILLMENT_TRACKING_NUMBER_UPDATED", fields))
        events += [
            ("ORDER_UPDATED", {"order": order}),
            ("FULFILLMENT_CREATED", {**fields, "notifyCustomer": notify_customer}),
            ("ORDER_FULFILLED", {"order": order}),
        ]
        return self._subscribed(events)

    def update_tracking(
        self, order: dict[str, Any], fulfillment_id: str, tracking_number: str
    ) -> list[tuple[str, bytes]]:
        """``orderFulfillmentUpdateTracking``: FULFILLMENT_TRACKING_NUMBER_UPDATED and
        ORDER_UPDATED, never FULFILLMENT_CREATED (seen on a real Saleor 3.23)."""
        (found,) = [f for f in order["fulfillments"] if f["id"] == fulfillment_id]
        found["trackingNumber"] = tracking_number
        return self._subscribed(
            [
                ("FULFILLMENT_TRACKING_NUMBER_UPDATED", {"order": order, "fulfillment": found}),
                ("ORDER_UPDATED", {"order": order}),
            ]
        )

    def refund(self, order: dict[str, Any], amount: float) -> list[tuple[str, bytes]]:
        """A refund of ``amount`` (``transactionUpdate`` of the charge with a refund).

        As Saleor's ``order_refunded``: ORDER_REFUNDED, ORDER_UPDATED, and
        ORDER_FULLY_REFUNDED once the refunds reach the order's total (a real
        Saleor 3.23 sent ORDER_REFUNDED and ORDER_FULLY_REFUNDED for a full refund).
        """
        gross = order["total"]["gross"]
        refunded = round(order["totalRefunded"]["amount"] + amount, 2)
        order["totalRefunded"] = money(refunded, gross["currency"])
        events: list[tuple[str, dict[str, Any]]] = [
            ("ORDER_REFUNDED", {"order": order}),
            ("ORDER_UPDATED", {"order": order}),
        ]
        if refunded >= gross["amount"]:
            events.append(("ORDER_FULLY_REFUNDED", {"order": order}))
        return self._subscribed(events)

    def mark_paid(self, order: dict[str, Any]) -> list[tuple[str, bytes]]:
        """``orderMarkAsPaid``: the order is fully charged; ORDER_FULLY_PAID and ORDER_UPDATED
        (Saleor's ``mark_order_as_paid_with_transaction``)."""
        gross = order["total"]["gross"]
        order["totalCharged"] = money(gross["amount"], gross["currency"])
        order.update(paymentStatus="FULLY_CHARGED", isPaid=True, chargeStatus="FULL")
        return self._subscribed(
            [("ORDER_FULLY_PAID", {"order": order}), ("ORDER_UPDATED", {"order": order})]
        )

    def _subscribed(self, events: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, bytes]]:
        """The bodies of the events the installed app subscribed to (Saleor sends no others)."""
        subscribed = self.webhook_registry.events_of(self.app_id)
        return [(e, self.event_payload(e, f)) for e, f in events if e in subscribed]

    def deliver(
        self, app_base_url: str, deliveries: Iterable[tuple[str, bytes]]
    ) -> list[requests.Response]:
        """Send prepared webhooks (from :meth:`fulfil` and the like), signed, in the given order."""
        return [self.send_webhook(app_base_url, event, body=body) for event, body in deliveries]

    def app_object(self) -> dict[str, Any]:
        manifest = self.manifest or {}
        return {
            "__typename": "App",
            "id": self.app_id,
            "identifier": manifest.get("id"),
            "name": manifest.get("name"),
            "version": manifest.get("version"),
            "isActive": True,
            "type": "THIRDPARTY",
            "appUrl": manifest.get("appUrl"),
            "permissions": [
                {"__typename": "Permission", "code": p, "name": p.replace("_", " ").capitalize()}
                for p in self.app_permissions
            ],
            "metadata": metadata_items(self.app_metadata),
            "privateMetadata": metadata_items(self.app_private_metadata),
            "extensions": [],
            "breakerState": "CLOSED",
            "webhooks": self.webhook_registry.of_app(self.app_id),
        }

    def shop_object(self) -> dict[str, Any]:
        return {
            "__typename": "Shop",
            "id": global_id("Shop", 1),
            "name": self.shop_name,
            "version": self.version,
            "schemaVersion": SCHEMA_VERSION,
            "domain": {"host": self.domain, "sslEnabled": False, "url": self.url + "/"},
            "defaultCountry": country("US"),
            "channelCurrencies": sorted(
                {o["channel"]["currencyCode"] for o in self.orders.values()}
            ),
            "metadata": [],
            "privateMetadata": [],
        }

    # ----------------------------------------------------------------- GraphQL

    def execute_graphql(
        self,
        query: str,
        variables: Mapping[str, Any] | None = None,
        *,
        operation_name: str | None = None,
        authenticated: bool = True,
    ) -> dict[str, Any]:
        """Validate and run a document as Saleor would; returns ``{"data", "errors"?}``."""
        try:
            document = parse(query)
        except GraphQLError as exc:
            return {"errors": [exc.formatted]}
        errors = validate(saleor_schema(), document)
        if errors:
            return {"errors": [e.formatted for e in errors]}
        result = execute(
            saleor_schema(),
            document,
            root_value=self._root(),
            context_value={"app": authenticated},
            variable_values=dict(variables or {}),
            operation_name=operation_name,
            field_resolver=_field_resolver,
        )
        body: dict[str, Any] = {"data": result.data}
        if result.errors:
            body["errors"] = [e.formatted for e in result.errors]
        return body

    def _root(self) -> dict[str, Any]:
        def need_app(info: GraphQLResolveInfo, permission: str) -> None:
            if not info.context["app"]:
                raise _permission_denied(permission)

        def app(info: GraphQLResolveInfo, id: str | None = None) -> dict[str, Any] | None:
            need_app(info, "AUTHENTICATED_APP")
            if id is not None and id != self.app_id:
                return None
            return self.app_object()

        def order(
            info: GraphQLResolveInfo, id: str | None = None, externalReference: str | None = None
        ) -> dict[str, Any] | None:
            need_app(info, "MANAGE_ORDERS")
            if id is not None:
                return self.orders.get(id)
            for candidate in self.orders.values():
                if externalReference and candidate.get("externalReference") == externalReference:
                    return candidate
            return None

        def orders(info: GraphQLResolveInfo, **args: Any) -> dict[str, Any]:
            need_app(info, "MANAGE_ORDERS")
            items = sorted(self.orders.values(), key=lambda o: o["created"], reverse=True)
            wanted = (args.get("where") or {}).get("ids")
            if wanted is not None:
                # Saleor's ``where: {ids: [...]}``: the orders it has of those, newest first.
                items = [o for o in items if o["id"] in set(wanted)]
            start = int(base64.b64decode(args["after"]).decode()) + 1 if args.get("after") else 0
            first = args.get("first") or 100
            page = items[start : start + first]
            edges = [
                {"cursor": base64.b64encode(str(start + i).encode()).decode(), "node": node}
                for i, node in enumerate(page)
            ]
            return {
                "edges": edges,
                "totalCount": len(items),
                "pageInfo": {
                    "hasNextPage": start + first < len(items),
                    "hasPreviousPage": start > 0,
                    "startCursor": edges[0]["cursor"] if edges else None,
                    "endCursor": edges[-1]["cursor"] if edges else None,
                },
            }

        def current_app(info: GraphQLResolveInfo) -> str:
            need_app(info, "AUTHENTICATED_APP")
            assert self.app_id is not None
            return self.app_id

        def target(id: str) -> tuple[dict[str, Any] | None, bool]:
            """(the object with this id, whether it is the app itself)."""
            if id == self.app_id:
                return self.app_object(), True
            return self.orders.get(id), False

        def metadata_mutation(private: bool, delete: bool) -> Callable[..., dict[str, Any]]:
            mutation = (
                ("delete" if delete else "update") + ("Private" if private else "") + "Metadata"
            )

            def resolve(info: GraphQLResolveInfo, id: str, **args: Any) -> dict[str, Any]:
                need_app(info, "MANAGE_ORDERS")
                obj, is_app = target(id)
                if obj is None:
                    return {
                        "__typename": mutation[0].upper() + mutation[1:],
                        "item": None,
                        "errors": [
                            {
                                "__typename": "MetadataError",
                                "field": "id",
                                "message": f"Couldn't resolve to a node: {id}",
                                "code": "NOT_FOUND",
                            }
                        ],
                    }
                if is_app:
                    store = self.app_private_metadata if private else self.app_metadata
                    if delete:
                        for key in args["keys"]:
                            store.pop(key, None)
                    else:
                        for item in args["input"]:
                            store[item["key"]] = item["value"]
                    obj = self.app_object()
                else:
                    key_name = "privateMetadata" if private else "metadata"
                    current = {i["key"]: i["value"] for i in obj[key_name]}
                    if delete:
                        for key in args["keys"]:
                            current.pop(key, None)
                    else:
                        current.update({i["key"]: i["value"] for i in args["input"]})
                    obj[key_name] = metadata_items(current)
                return {"item": obj, "errors": []}

            return resolve

        def user_orders(user_id: str, args: Mapping[str, Any]) -> dict[str, Any]:
            status = ((args.get("where") or {}).get("status")) or {}
            allowed = status.get("oneOf") or ([status["eq"]] if status.get("eq") else None)
            mine = [
                o
                for o in self.orders.values()
                if (o.get("user") or {}).get("id") == user_id
                and (allowed is None or o["status"] in allowed)
            ]
            first = args.get("first") or 100
            return {
                "totalCount": len(mine),
                "edges": [{"cursor": str(i), "node": o} for i, o in enumerate(mine[:first])],
                "pageInfo": {
                    "hasNextPage": len(mine) > first,
                    "hasPreviousPage": False,
                    "startCursor": None,
                    "endCursor": None,
                },
            }

        return {
            "_user_orders": user_orders,
            "app": app,
            "shop": lambda info: self.shop_object(),
            "order": order,
            "orders": orders,
            "me": None,
            "updatePrivateMetadata": metadata_mutation(private=True, delete=False),
            "deletePrivateMetadata": metadata_mutation(private=True, delete=True),
            "updateMetadata": metadata_mutation(private=False, delete=False),
            "deleteMetadata": metadata_mutation(private=False, delete=True),
            **self.webhook_registry.resolvers(
                current_app, lambda query: subscription_problems(saleor_schema(), query)
            ),
        }

    # ----------------------------------------------------------------- HTTP

    def _wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        body = request.get_data()
        self.requests.append(
            RecordedRequest(request.method, request.path, dict(request.headers), body)
        )
        failure = self._take_failure(request.path)
        if failure is not None:
            if failure.hang_seconds:
                self._stopping.wait(failure.hang_seconds)
            response = Response(
                json.dumps({"errors": [{"message": "stand-in failure"}]}),
                status=failure.status or 500,
                content_type="application/json",
            )
        elif request.path == "/.well-known/jwks.json" and request.method == "GET":
            response = Response(json.dumps(self.jwks()), content_type="application/json")
        elif request.path == "/graphql/" and request.method == "POST":
            response = self._graphql_http(request, body)
        else:
            response = Response("Not Found", status=404)
        return response(environ, start_response)

    def _graphql_http(self, request: Request, body: bytes) -> Response:
        try:
            payload = json.loads(body)
            query = payload["query"]
            if not isinstance(query, str):
                raise TypeError
        except (ValueError, KeyError, TypeError):
            return _json_response(
                {"errors": [{"message": "Must provide a query string."}]}, status=400
            )
        authorization = request.headers.get("Authorization", "")
        authenticated = self.token is not None and authorization == f"Bearer {self.token}"
        result = self.execute_graphql(
            query,
            payload.get("variables") or {},
            operation_name=payload.get("operationName"),
            authenticated=authenticated,
        )
        # Saleor answers 400 to documents that do not parse or validate.
        status = 400 if "data" not in result else 200
        return _json_response(result, status=status)

    # ----------------------------------------------------------------- the App protocol

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


def _rebase(target_url: str, app_base_url: str) -> str:
    """The targetUrl's path on the app's real base URL."""
    path = "/" + target_url.split("://", 1)[-1].split("/", 1)[-1]
    return app_base_url.rstrip("/") + path


def _json_response(body: Any, *, status: int = 200) -> Response:
    return Response(json.dumps(body), status=status, content_type="application/json")


#: Keys of stopped stand-ins, handed to the next ones: generating a key costs
#: 50-150 ms and most tests start a stand-in. A key is only here while no running
#: stand-in holds it, so two live Saleors never share a key.
_spare_keys: list[rsa.RSAPrivateKey] = []
_spare_keys_lock = threading.Lock()


def _fresh_key() -> rsa.RSAPrivateKey:
    """A 2048-bit RSA key no running stand-in holds, like the one Saleor generates."""
    with _spare_keys_lock:
        if _spare_keys:
            return _spare_keys.pop()
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _release_key(key: rsa.RSAPrivateKey) -> None:
    with _spare_keys_lock:
        _spare_keys.append(key)
