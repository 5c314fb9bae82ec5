"""A campaign's audience: the merchant's filters on the shop's customers.

:class:`Audience` is what the merchant asked for (date joined, number of
orders, last order, country of the default address, a metadata key equal to
a value, or customers ticked in Saleor's list), checked field by field. The
filters are sent to Saleor as ``customers(where: …)`` (3.22+) to read fewer
pages, and checked again here on every customer (:meth:`Audience.admits`),
because Saleor's filters are wider than the merchant's words:
``addresses.country`` matches any address, not the default one, and
``placedOrdersAt`` any order, not the last. :class:`Narrowing` adds a daily
send's "whose date is today". Reading and judging the customers is
:mod:`saleor_sms_app.campaigns.customers`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from saleor_sms_app.campaigns.picked import picked_ids
from saleor_sms_app.errors import BadRequest
from saleor_sms_app.recipients.phones import metadata_dict

#: What :attr:`Narrowing.check` answers for a customer whose occurrence it is.
MATCHES = ""


def _day(body: Mapping[str, Any], name: str) -> date | None:
    value = body.get(name)
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise BadRequest(
            f"audience.{name} must be a date (YYYY-MM-DD)", details={f"audience.{name}": "a date"}
        ) from None


def _count(body: Mapping[str, Any], name: str) -> int | None:
    value = body.get(name)
    if value in (None, ""):
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise BadRequest(
            f"audience.{name} must be a whole number", details={f"audience.{name}": "a number"}
        )
    try:
        number = int(value)
    except ValueError:
        raise BadRequest(
            f"audience.{name} must be a whole number", details={f"audience.{name}": "a number"}
        ) from None
    if number < 0:
        raise BadRequest(f"audience.{name} must be 0 or more", details={f"audience.{name}": ">= 0"})
    return number


def _text(body: Mapping[str, Any], name: str, limit: int = 255) -> str:
    value = body.get(name)
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > limit:
        raise BadRequest(
            f"audience.{name} must be text of at most {limit} characters",
            details={f"audience.{name}": "text"},
        )
    return value.strip()


@dataclass(frozen=True)
class Audience:
    """The merchant's filters; each empty one lets everybody through."""

    joined_from: date | None = None
    joined_to: date | None = None
    orders_min: int | None = None
    orders_max: int | None = None
    last_order_from: date | None = None
    last_order_to: date | None = None
    #: Two-letter code of the default (shipping, else billing) address's country.
    country: str = ""
    metadata_key: str = ""
    metadata_value: str = ""
    #: Customers ticked in Saleor's customer list (empty: everybody the filters let through).
    customer_ids: tuple[str, ...] = ()

    @property
    def picked(self) -> bool:
        """Whether these are customers a staff member ticked in Saleor (a text sent by hand)."""
        return bool(self.customer_ids)

    @classmethod
    def from_json(cls, body: object) -> Audience:
        """The filters of a request body; :class:`BadRequest` naming the field that is wrong."""
        if body is None:
            return cls()
        if not isinstance(body, Mapping):
            raise BadRequest("audience must be an object", details={"audience": "an object"})
        country = _text(body, "country", 2).upper()
        if country and not (len(country) == 2 and country.isascii() and country.isalpha()):
            raise BadRequest(
                "audience.country must be a two-letter country code",
                details={"audience.country": "a code such as PL"},
            )
        found = cls(
            joined_from=_day(body, "joined_from"),
            joined_to=_day(body, "joined_to"),
            orders_min=_count(body, "orders_min"),
            orders_max=_count(body, "orders_max"),
            last_order_from=_day(body, "last_order_from"),
            last_order_to=_day(body, "last_order_to"),
            country=country,
            metadata_key=_text(body, "metadata_key"),
            metadata_value=_text(body, "metadata_value"),
            customer_ids=picked_ids(body),
        )
        for low, high in (
            ("joined_from", "joined_to"),
            ("orders_min", "orders_max"),
            ("last_order_from", "last_order_to"),
        ):
            a, b = getattr(found, low), getattr(found, high)
            if a is not None and b is not None and a > b:
                raise BadRequest(
                    f"audience.{low} is after audience.{high}",
                    details={f"audience.{high}": f"not before {low}"},
                )
        if found.metadata_value and not found.metadata_key:
            raise BadRequest(
                "audience.metadata_key is needed with a metadata value",
                details={"audience.metadata_key": "required"},
            )
        return found

    def as_json(self) -> dict[str, Any]:
        return {
            "joined_from": self.joined_from.isoformat() if self.joined_from else None,
            "joined_to": self.joined_to.isoformat() if self.joined_to else None,
            "orders_min": self.orders_min,
            "orders_max": self.orders_max,
            "last_order_from": self.last_order_from.isoformat() if self.last_order_from else None,
            "last_order_to": self.last_order_to.isoformat() if self.last_order_to else None,
            "country": self.country,
            "metadata_key": self.metadata_key,
            "metadata_value": self.metadata_value,
            **({"customer_ids": list(self.customer_ids)} if self.customer_ids else {}),
        }

    def where(self, zone: ZoneInfo) -> dict[str, Any]:
        """Saleor's ``CustomerWhereInput`` for these filters (a superset of the audience)."""
        where: dict[str, Any] = {}
        if self.customer_ids:
            where["ids"] = list(self.customer_ids)
        joined = _range(self.joined_from, self.joined_to, zone)
        if joined:
            where["dateJoined"] = joined
        if self.orders_min is not None or self.orders_max is not None:
            bounds = {"gte": self.orders_min, "lte": self.orders_max}
            where["numberOfOrders"] = {"range": {k: v for k, v in bounds.items() if v is not None}}
        placed = _range(self.last_order_from, self.last_order_to, zone)
        if placed:
            where["placedOrdersAt"] = placed
        if self.country:
            where["addresses"] = {"country": {"eq": self.country}}
        if self.metadata_key:
            value = {"value": {"eq": self.metadata_value}} if self.metadata_value else {}
            where["metadata"] = {"key": self.metadata_key, **value}
        return where

    def admits(self, customer: Mapping[str, Any], zone: ZoneInfo) -> bool:
        """Whether a customer Saleor returned meets every filter as the merchant meant it."""
        if self.customer_ids and customer.get("id") not in self.customer_ids:
            return False
        if not _within(
            parse_time(customer.get("dateJoined")), self.joined_from, self.joined_to, zone
        ):
            return False
        orders = customer.get("orders") if isinstance(customer.get("orders"), Mapping) else {}
        assert isinstance(orders, Mapping)
        count = int(orders.get("totalCount") or 0)
        if self.orders_min is not None and count < self.orders_min:
            return False
        if self.orders_max is not None and count > self.orders_max:
            return False
        if self.last_order_from or self.last_order_to:
            edges = orders.get("edges") or []
            newest = edges[0].get("node", {}).get("created") if edges else None
            last = parse_time(newest)
            if last is None or not _within(last, self.last_order_from, self.last_order_to, zone):
                return False
        if self.country and default_country(customer) != self.country:
            return False
        if self.metadata_key:
            meta = metadata_dict(customer.get("metadata"))
            if self.metadata_key not in meta:
                return False
            if self.metadata_value and meta[self.metadata_key] != self.metadata_value:
                return False
        return True


@dataclass(frozen=True)
class Narrowing:
    """More than the audience's filters: a daily send's "whose date is today".

    ``where`` is added to Saleor's ``CustomerWhereInput`` (a range the
    audience also sets is narrowed to both); ``check`` answers for each
    customer the audience admits: None (not theirs today: left out of the
    page), :data:`MATCHES`, or a key of
    :data:`~saleor_sms_app.campaigns.customers.LEFT_OUT_REASONS` (a date that
    is not a date).
    """

    where: Mapping[str, Any]
    check: Callable[[Mapping[str, Any]], str | None]

    def merged(self, where: dict[str, Any]) -> dict[str, Any]:
        found = dict(where)
        for key, value in self.where.items():
            mine = found.get(key)
            if mine is None:
                found[key] = value
            elif isinstance(mine, Mapping) and isinstance(value, Mapping) and key != "metadata":
                # Two date ranges (ISO times, compared as times): the later start, the earlier end.
                bounds = dict(mine)
                for edge, pick in (("gte", max), ("lte", min)):
                    if edge in value:
                        bounds[edge] = (
                            pick(bounds[edge], value[edge], key=_as_time)
                            if edge in bounds
                            else value[edge]
                        )
                found[key] = bounds
            # Any other filter the audience sets stays; ``check`` looks at every customer.
        return found


def _range(low: date | None, high: date | None, zone: ZoneInfo) -> dict[str, str]:
    found = {}
    if low is not None:
        found["gte"] = datetime.combine(low, time.min, zone).isoformat()
    if high is not None:
        found["lte"] = datetime.combine(high + timedelta(days=1), time.min, zone).isoformat()
    return found


def _as_time(value: object) -> datetime:
    return parse_time(value) or datetime.min.replace(tzinfo=UTC)


def parse_time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _within(when: datetime | None, low: date | None, high: date | None, zone: ZoneInfo) -> bool:
    """Whether ``when`` is on a day from ``low`` to ``high`` (both included) in the shop's zone."""
    if low is None and high is None:
        return True
    if when is None:
        return False
    day = when.astimezone(zone).date() if when.tzinfo else when.date()
    return (low is None or day >= low) and (high is None or day <= high)


def _address(customer: Mapping[str, Any]) -> Mapping[str, Any]:
    for name in ("defaultShippingAddress", "defaultBillingAddress"):
        found = customer.get(name)
        if isinstance(found, Mapping):
            return found
    return {}


def default_country(customer: Mapping[str, Any]) -> str:
    """Two-letter code of the default shipping (else billing) address's country, or ""."""
    country = _address(customer).get("country")
    return str(country.get("code") or "").upper() if isinstance(country, Mapping) else ""
