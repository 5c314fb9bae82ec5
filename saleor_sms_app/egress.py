"""Where provider calls may go: no server-side request forgery.

Provider base URLs and the generic provider's URL are typed by merchants. In a
shared deployment a merchant could otherwise make the app call the operator's
own network (a database's HTTP port, the cloud metadata service at
169.254.169.254, an admin panel on loopback) and read the answer back in the
message log. So a provider call may only go to a public address over HTTPS,
unless the operator allows some networks (``ALLOW_PRIVATE_PROVIDER_URLS``,
read by :mod:`saleor_sms_app.settings`; plain ``http://`` is accepted only to
those networks).

Two checks, one rule (:meth:`EgressPolicy.refusal`):

* at save time, :meth:`EgressPolicy.url_problem` resolves the host once and
  names the field's problem (early feedback for the merchant);
* at connect time, :class:`GuardedAdapter` checks the address the socket is
  actually connected to, after DNS, for every connection and every redirect.
  A host that resolved to a public address at save time and to 127.0.0.1 now
  (DNS rebinding) is refused here, because the check looks at the peer of the
  open socket, not at a name. A refusal raises :class:`EgressRefused`, which
  ``requests`` passes through untouched; the provider layer turns it into a
  permanent error with the reason.

Behind an operator's proxy (``HTTPS_PROXY``) the proxy makes the connection,
so the connect-time check cannot see the provider's address: the proxy's own
egress rules apply there. Saleor calls never go through this adapter (the
Saleor API URL has its own allow-list, ``ALLOWED_SALEOR_API_URLS``).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.poolmanager import PoolManager

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
#: ``socket.getaddrinfo``'s shape; tests hand in a stub where DNS is not the subject.
Resolver = Callable[..., Sequence[tuple[Any, ...]]]

#: Addresses of cloud metadata services (AWS, GCP, Azure, Alibaba, ECS task roles).
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200")
)
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class EgressRefused(Exception):
    """A provider call would reach an address the operator has not allowed.

    Deliberately not an ``OSError``: urllib3 and requests would wrap that into a
    retryable connection error, and this refusal must stay permanent.
    """


def address_class(ip: IPAddress) -> str | None:
    """Why ``ip`` is not a public internet address (None when it is one)."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return address_class(embedded)
    if ip in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if ip.is_unspecified:
        return "an unspecified address"
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT:
        return "a carrier-grade NAT (shared) address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_reserved:
        return "a reserved address"
    if ip.is_private:
        return "a private address"
    if not ip.is_global:
        return "a reserved address"
    return None


def parse_networks(text: str) -> tuple[IPNetwork, ...]:
    """``127.0.0.0/8, ::1`` → networks; ValueError naming the bad item."""
    networks = []
    for item in text.replace(",", " ").split():
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"{item!r} is not an IP address or network") from None
    return tuple(networks)


@dataclass(frozen=True)
class EgressPolicy:
    """Which addresses provider calls may reach."""

    #: Networks the operator allows although they are not public (plain http too).
    allowed_networks: tuple[IPNetwork, ...] = ()

    def allows(self, ip: IPAddress) -> bool:
        return any(ip in network for network in self.allowed_networks)

    def refusal(self, ip: IPAddress, *, tls: bool) -> str | None:
        """Why a connection to ``ip`` is refused (None when it may go ahead)."""
        if self.allows(ip):
            return None
        kind = address_class(ip)
        if kind is not None:
            return (
                f"{ip} is {kind}; provider URLs must point at public addresses "
                "(the operator can allow networks with ALLOW_PRIVATE_PROVIDER_URLS)"
            )
        if not tls:
            return f"{ip} is reached over plain http://; provider URLs must use https://"
        return None

    def url_problem(self, url: str, resolve: Resolver = socket.getaddrinfo) -> str | None:
        """What is wrong with a merchant's provider URL, for a field message.

        A host that does not resolve now is let through (DNS may be down, and
        the connect-time check still guards the call); one that resolves to any
        refused address is not.
        """
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            return f"is not a valid URL: {exc}"
        host = parts.hostname or ""
        if parts.scheme not in {"http", "https"} or not host:
            return "must be an https:// URL"
        if "{" in host or "}" in host:
            return "the host name cannot contain placeholders"
        tls = parts.scheme == "https"
        addresses = _addresses(host, port or (443 if tls else 80), resolve)
        if not addresses and not tls:
            return "must be an https:// URL"
        for ip in addresses:
            reason = self.refusal(ip, tls=tls)
            if reason is not None:
                return f"{host} resolves to {reason}" if str(ip) != host else reason
        return None


def _addresses(host: str, port: int, resolve: Resolver) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = resolve(host, port, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return []
    return [_peer_ip(info[4][0]) for info in infos]


def _peer_ip(text: str) -> IPAddress:
    # An IPv6 link-local peer may carry a zone (fe80::1%eth0).
    return ipaddress.ip_address(text.split("%", 1)[0])


def _check_peer(conn: HTTPConnection, sock: socket.socket, policy: EgressPolicy, tls: bool) -> None:
    if conn.proxy is not None:
        return  # the operator's proxy connects onwards and applies its own rules
    peer = _peer_ip(str(sock.getpeername()[0]))
    reason = policy.refusal(peer, tls=tls)
    if reason is not None:
        sock.close()
        raise EgressRefused(f"refused to connect to {conn.host}: {reason}")


class _GuardedHTTPConnection(HTTPConnection):
    def __init__(self, *args: Any, egress_policy: EgressPolicy, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.egress_policy = egress_policy

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _check_peer(self, sock, self.egress_policy, tls=False)
        return sock


class _GuardedHTTPSConnection(HTTPSConnection):
    def __init__(self, *args: Any, egress_policy: EgressPolicy, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.egress_policy = egress_policy

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _check_peer(self, sock, self.egress_policy, tls=True)
        return sock


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class _GuardedPoolManager(PoolManager):
    def __init__(self, policy: EgressPolicy, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.policy = policy
        self.pool_classes_by_scheme = {"http": _GuardedHTTPPool, "https": _GuardedHTTPSPool}

    def _new_pool(
        self,
        scheme: str,
        host: str,
        port: int,
        request_context: dict[str, Any] | None = None,
    ) -> HTTPConnectionPool:
        pool = super()._new_pool(scheme, host, port, request_context)
        # Pools hand conn_kw to every connection they open.
        pool.conn_kw["egress_policy"] = self.policy
        return pool


class GuardedAdapter(HTTPAdapter):
    """A ``requests`` adapter whose every connection passes :meth:`EgressPolicy.refusal`."""

    def __init__(self, policy: EgressPolicy, **kwargs: Any) -> None:
        self.policy = policy  # init_poolmanager, called by HTTPAdapter.__init__, needs it
        super().__init__(**kwargs)

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        self._pool_connections = connections
        self._pool_maxsize = maxsize
        self._pool_block = block
        self.poolmanager = _GuardedPoolManager(
            self.policy, num_pools=connections, maxsize=maxsize, block=block, **pool_kwargs
        )


def url_problems(items: Iterable[tuple[str, str]], policy: EgressPolicy) -> dict[str, str]:
    """Field path → problem for ``(path, url)`` pairs (the configuration store's check)."""
    found = {}
    for path, url in items:
        problem = policy.url_problem(url)
        if problem is not None:
            found[path] = problem
    return found
