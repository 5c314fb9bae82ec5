"""No server-side request forgery: provider calls reach public HTTPS addresses only.

The address rules are checked on their own, then on real loopback connections
through the adapter the app's provider session uses (so what is checked is the
peer of the open socket), then end to end: the dashboard refuses to save such a
URL and a stored one fails its send with the reason in the log.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.wrappers import Request, Response

from saleor_sms_app.config.model import AppConfig
from saleor_sms_app.config.store import CONFIG_KEY
from saleor_sms_app.egress import EgressPolicy, EgressRefused, GuardedAdapter, address_class
from saleor_sms_app.provider_checks.testmessage import send_test_message
from saleor_sms_app.saleor.tenants import get_tenant_by_id
from saleor_sms_app.services import Services
from tests.dashboard.conftest import Headers
from tests.providers.conftest import generic_config, use_config
from tests.standin.provider import StandinProvider
from tests.standin.saleor import SaleorStandin

LOOPBACK_ONLY = EgressPolicy((ipaddress.ip_network("127.0.0.1/32"),))


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("2002:7f00:1::", "loopback"),  # 6to4 around 127.0.0.1
        ("10.1.2.3", "private"),
        ("172.16.5.4", "private"),
        ("192.168.1.1", "private"),
        ("fd12:3456::1", "private"),
        ("64:ff9b::a00:1", "private"),  # NAT64 around 10.0.0.1
        ("169.254.169.254", "cloud metadata"),
        ("fd00:ec2::254", "cloud metadata"),
        ("100.100.100.200", "cloud metadata"),
        ("169.254.10.20", "link-local"),
        ("fe80::1", "link-local"),
        ("100.64.0.1", "carrier-grade NAT"),
        ("100.127.255.254", "carrier-grade NAT"),
        ("224.0.0.251", "multicast"),
        ("239.1.2.3", "multicast"),
        ("ff02::1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
    ],
)
def test_every_non_public_address_class_is_named(address: str, kind: str) -> None:
    found = address_class(ipaddress.ip_address(address))
    assert found is not None and kind in found
    reason = EgressPolicy().refusal(ipaddress.ip_address(address), tls=True)
    assert reason is not None and kind in reason and "ALLOW_PRIVATE_PROVIDER_URLS" in reason


@pytest.mark.parametrize("address", ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"])
def test_public_addresses_pass_over_https_only(address: str) -> None:
    ip = ipaddress.ip_address(address)
    assert address_class(ip) is None
    assert EgressPolicy().refusal(ip, tls=True) is None
    refused = EgressPolicy().refusal(ip, tls=False)
    assert refused is not None and "https://" in refused


def _resolver(table: dict[str, str]) -> Any:
    def resolve(host: str, port: int, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "not found")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (table[host], port))]

    return resolve


def test_url_problems_at_save_time() -> None:
    policy = EgressPolicy()
    names = _resolver({"sms.example": "93.184.216.34", "inside.example": "10.0.0.5"})
    assert policy.url_problem("https://sms.example/api", names) is None
    assert "https://" in (policy.url_problem("http://sms.example/api", names) or "")
    assert "private" in (policy.url_problem("https://inside.example/api", names) or "")
    assert "inside.example resolves to" in (
        policy.url_problem("https://inside.example", names) or ""
    )
    assert "loopback" in (policy.url_problem("https://127.0.0.1:8443/", names) or "")
    assert "metadata" in (policy.url_problem("https://169.254.169.254/latest/", names) or "")
    assert "https://" in (policy.url_problem("ftp://sms.example/", names) or "")
    assert "placeholders" in (policy.url_problem("https://{secret}.sms.example/", names) or "")
    assert "not a valid URL" in (policy.url_problem("https://sms.example:99999/", names) or "")
    # A name that does not resolve now is left to the connect-time check.
    assert policy.url_problem("https://gone.example/", names) is None
    assert "https://" in (policy.url_problem("http://gone.example/", names) or "")
    # The operator's allowed networks admit plain http too.
    assert LOOPBACK_ONLY.url_problem("http://127.0.0.1:8080/send", names) is None
    assert "loopback" in (LOOPBACK_ONLY.url_problem("https://127.0.0.2/", names) or "")


def test_localhost_is_refused_through_the_real_resolver() -> None:
    problem = EgressPolicy().url_problem("https://localhost:8443/send")
    assert problem is not None and "localhost resolves to" in problem and "loopback" in problem


# --- connect time: the address the socket is connected to -------------------------


def _serve(host: str, app: Any) -> BaseWSGIServer:
    server = make_server(host, 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}).start()
    return server


@pytest.fixture
def second_loopback() -> Iterator[tuple[str, list[str]]]:
    """A server on 127.0.0.2 (loopback, but outside LOOPBACK_ONLY) recording its requests."""
    seen: list[str] = []

    def app(environ: Any, start_response: Any) -> Any:
        seen.append(Request(environ).path)
        return Response("inside")(environ, start_response)

    server = _serve("127.0.0.2", app)
    yield f"http://127.0.0.2:{server.server_port}", seen
    server.shutdown()
    server.server_close()


def _session(policy: EgressPolicy) -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    session.mount("http://", GuardedAdapter(policy))
    session.mount("https://", GuardedAdapter(policy))
    return session


def test_connections_are_checked_at_the_peer_address(standin_provider: StandinProvider) -> None:
    port = standin_provider.url.rsplit(":", 1)[1]
    strict = _session(EgressPolicy())
    with pytest.raises(EgressRefused, match="127.0.0.1 is a loopback address"):
        strict.post(standin_provider.url + "/send", json={}, timeout=5)
    # https:// to loopback: refused right after the TCP connect, before TLS.
    with pytest.raises(EgressRefused, match="loopback"):
        strict.post(f"https://127.0.0.1:{port}/send", json={}, timeout=5)
    # A host name that resolves to loopback is refused for the address it reached.
    with pytest.raises(EgressRefused, match="refused to connect to localhost: .* loopback"):
        strict.post(f"https://localhost:{port}/send", json={}, timeout=5)
    assert standin_provider.requests == []
    # Allowed by the operator: the same call goes through.
    allowed = _session(LOOPBACK_ONLY)
    answer = allowed.post(standin_provider.url + "/send", json={"to": "+1"}, timeout=5)
    assert answer.status_code == 200 and len(standin_provider.requests) == 1


def test_a_redirect_to_a_refused_address_is_not_followed(
    second_loopback: tuple[str, list[str]],
) -> None:
    inside, seen = second_loopback

    def redirecting(environ: Any, start_response: Any) -> Any:
        return Response("", status=302, headers={"Location": inside + "/admin"})(
            environ, start_response
        )

    server = _serve("127.0.0.1", redirecting)
    try:
        with pytest.raises(EgressRefused, match="127.0.0.2 is a loopback address"):
            _session(LOOPBACK_ONLY).get(f"http://127.0.0.1:{server.server_port}/", timeout=5)
    finally:
        server.shutdown()
        server.server_close()
    assert seen == []
    # The same server is reachable when its network is allowed (the check is the cause).
    wide = EgressPolicy((ipaddress.ip_network("127.0.0.0/8"),))
    assert _session(wide).get(inside + "/admin", timeout=5).text == "inside"


def test_dns_rebinding_is_caught_at_connect_time(
    standin_provider: StandinProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The name resolves to a public address when saved and to loopback when called."""
    name = "rebinding.example"
    policy = EgressPolicy()
    port = int(standin_provider.url.rsplit(":", 1)[1])
    url = f"https://{name}:{port}/send"
    assert policy.url_problem(url, _resolver({name: "93.184.216.34"})) is None

    real = socket.getaddrinfo

    def rebound(host: Any, *args: Any, **kwargs: Any) -> Any:
        return real("127.0.0.1" if host == name else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebound)
    with pytest.raises(EgressRefused, match="rebinding.example: 127.0.0.1 is a loopback"):
        _session(policy).post(url, json={}, timeout=5)
    assert standin_provider.requests == []


# --- end to end: the dashboard and a send ----------------------------------------


def test_the_dashboard_refuses_to_save_private_provider_urls(
    production_egress: Services,
    client: Any,
    auth: Headers,
    saleor: SaleorStandin,
    standin_provider: StandinProvider,
) -> None:
    loaded = client.get("/api/dashboard/config", headers=auth()).get_json()["config"]
    before = dict(saleor.app_private_metadata)
    config = dict(loaded)
    config["providers"] = [
        *loaded["providers"],
        generic_config("g", "https://169.254.169.254/latest").model_dump(mode="json"),
        {
            "type": "twilio",
            "sender": "+15005550006",
            "secrets": {"auth_token": "t0k3n-x"},
            "options": {"account_sid": "AC1", "base_url": standin_provider.url},
        },
    ]
    answer = client.put(
        "/api/dashboard/config",
        json={"revision": loaded["revision"], "config": config},
        headers=auth(),
    )
    assert answer.status_code == 422, answer.get_json()
    details = answer.get_json()["error"]["details"]
    n = len(loaded["providers"])
    assert "cloud metadata" in details[f"providers.{n}.spec.url"]
    assert "loopback" in details[f"providers.{n + 1}.base_url"]
    assert saleor.app_private_metadata == before
    assert CONFIG_KEY not in before or "169.254" not in before[CONFIG_KEY]

    checked = client.post(
        "/api/dashboard/providers/check",
        json={"provider": config["providers"][-1]},
        headers=auth(),
    ).get_json()
    assert checked["ok"] is False and "loopback" in checked["fields"]["base_url"]
    assert standin_provider.requests == []


def test_a_stored_private_url_fails_its_send_with_the_reason_logged(
    production_egress: Services,
    tenant_id: int,
    standin_provider: StandinProvider,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A configuration saved before the policy (or by another app version) is still refused."""
    services = production_egress
    tenant = get_tenant_by_id(services, tenant_id)
    assert tenant is not None
    use_config(services, tenant, AppConfig(providers=[generic_config("g", standin_provider.url)]))
    with caplog.at_level(logging.WARNING):
        result = send_test_message(services, tenant_id, "g", "+48500100200", "Hello")
    assert not result.ok and result.error is not None
    assert result.error["temporary"] is False
    assert "refused to connect to 127.0.0.1" in result.error["message"]
    assert "ALLOW_PRIVATE_PROVIDER_URLS" in result.error["hint"]
    assert any("refused" in r.getMessage() and "loopback" in r.getMessage() for r in caplog.records)
    assert standin_provider.requests == []
