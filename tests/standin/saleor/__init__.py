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

The package keeps one module per part: ``schema`` (the real schema, validation),
``keys`` (signing), ``data`` (money, addresses, channels), ``orders``,
``graphql_api`` (root resolvers), ``protocol`` (install, webhooks), ``http`` and
``server`` (:class:`SaleorStandin`). Everything tests use is importable from here.
"""

from tests.standin.saleor.data import (
    COUNTRY_NAMES,
    address,
    channel,
    country,
    metadata_items,
    money,
    taxed_money,
)
from tests.standin.saleor.http import RecordedRequest, _QuietHandler, serve_in_thread
from tests.standin.saleor.keys import jwk_thumbprint
from tests.standin.saleor.orders import fulfillment, make_order
from tests.standin.saleor.protocol import Installation, InstallationFailed
from tests.standin.saleor.schema import (
    SALEOR_VERSION,
    SCHEMA_VERSION,
    USER_AGENT,
    event_type_name,
    global_id,
    saleor_schema,
    validate_document,
)
from tests.standin.saleor.server import SaleorStandin

__all__ = [
    "COUNTRY_NAMES",
    "SALEOR_VERSION",
    "SCHEMA_VERSION",
    "USER_AGENT",
    "Installation",
    "InstallationFailed",
    "RecordedRequest",
    "SaleorStandin",
    "_QuietHandler",
    "address",
    "channel",
    "country",
    "event_type_name",
    "fulfillment",
    "global_id",
    "jwk_thumbprint",
    "make_order",
    "metadata_items",
    "money",
    "saleor_schema",
    "serve_in_thread",
    "taxed_money",
    "validate_document",
]
