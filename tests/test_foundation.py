"""Settings, encryption, segment counting and the health check."""

from __future__ import annotations

import re
from typing import Any

import pytest

from saleor_sms_app.crypto import DecryptionError, SecretBox
from saleor_sms_app.errors import ConfigurationError
from saleor_sms_app.segments import GSM7, UCS2, count_segments, transliterate
from saleor_sms_app.settings import Settings


def test_settings_name_every_bad_variable() -> None:
    with pytest.raises(ConfigurationError) as info:
        Settings.from_env({"PORT": "x", "ALLOWED_SALEOR_API_URLS": "(", "SECRET_KEY": "short"})
    message = str(info.value)
    for name in ("APP_URL", "PORT", "SECRET_KEY", "REDIS_URL", "ALLOWED_SALEOR_API_URLS"):
        assert name in message


def test_settings_default_allowlist_admits_only_loopback() -> None:
    s = Settings.from_env(
        {"APP_URL": "http://localhost:8000", "SECRET_KEY": "k" * 40, "REDIS_URL": "redis://x"}
    )
    assert s.allowed_saleor_api_urls.fullmatch("http://127.0.0.1:8000/graphql/")
    assert s.allowed_saleor_api_urls.fullmatch("http://localhost:8000/graphql/")
    assert not s.allowed_saleor_api_urls.fullmatch("https://evil.example/graphql/")
    assert not s.allowed_saleor_api_urls.fullmatch("http://127.0.0.1.evil.example/graphql/")
    assert s.database_url.startswith("sqlite:///")


def test_postgres_urls_are_normalised() -> None:
    s = Settings.from_env(
        {
            "APP_URL": "https://sms.example.com",
            "SECRET_KEY": "k" * 40,
            "REDIS_URL": "redis://x",
            "DATABASE_URL": "postgres://u:p@db/sms",
        }
    )
    assert s.database_url == "postgresql+psycopg://u:p@db/sms"
    assert s.app_url_is_public


BASE_ENV = {"APP_URL": "http://localhost:8000", "SECRET_KEY": "k" * 40, "REDIS_URL": "redis://x"}


@pytest.mark.parametrize("raw", ["0", "65", "eight", "2.5"])
def test_send_concurrency_must_be_a_sensible_whole_number(raw: str) -> None:
    with pytest.raises(ConfigurationError, match="SEND_CONCURRENCY"):
        Settings.from_env({**BASE_ENV, "SEND_CONCURRENCY": raw})
    assert Settings.from_env({**BASE_ENV, "SEND_CONCURRENCY": "3"}).send_concurrency == 3
    assert Settings.from_env(BASE_ENV).send_concurrency == 8


def test_job_timeout_and_send_lock_are_whole_seconds_and_in_order() -> None:
    defaults = Settings.from_env(BASE_ENV)
    assert (defaults.job_timeout, defaults.send_lock_seconds) == (180, 300)
    short = Settings.from_env({**BASE_ENV, "JOB_TIMEOUT": "10", "SEND_LOCK_SECONDS": "15"})
    assert (short.job_timeout, short.send_lock_seconds) == (10, 15)
    with pytest.raises(ConfigurationError, match="JOB_TIMEOUT must be a whole number"):
        Settings.from_env({**BASE_ENV, "JOB_TIMEOUT": "0"})
    # A message still being sent within its job must never count as interrupted.
    with pytest.raises(ConfigurationError, match=r"SEND_LOCK_SECONDS \(60\) must be longer"):
        Settings.from_env({**BASE_ENV, "JOB_TIMEOUT": "60", "SEND_LOCK_SECONDS": "60"})


def test_outgoing_http_honours_proxy_variables_only_when_set() -> None:
    from saleor_sms_app.services import Services

    plain = Settings.from_env(BASE_ENV)
    proxied = Settings.from_env({**BASE_ENV, "HTTPS_PROXY": "http://proxy.internal:3128"})
    bundle = Settings.from_env({**BASE_ENV, "CURL_CA_BUNDLE": "/etc/ssl/corp.pem"})
    assert not plain.http_proxy_from_environment and plain.http_ca_bundle is None
    assert proxied.http_proxy_from_environment
    assert bundle.http_ca_bundle == "/etc/ssl/corp.pem"
    for settings, trust_env, verify in (
        (plain, False, True),
        (proxied, True, True),
        (bundle, False, "/etc/ssl/corp.pem"),
    ):
        services = Services.build(settings)
        try:
            assert services.http.trust_env is trust_env and services.http.verify == verify
        finally:
            services.close()


def test_the_shared_http_session_keeps_no_cookies() -> None:
    """One shop's provider session cookie must not reach another shop's request."""
    import threading

    from werkzeug.serving import make_server
    from werkzeug.wrappers import Request, Response

    from saleor_sms_app.services import Services

    @Request.application
    def api(request: Request) -> Response:
        if request.path == "/login":
            response = Response("ok")
            response.set_cookie("session", "shop-a-session", path="/")
            return response
        return Response(request.headers.get("Cookie", "none"))

    server = make_server("127.0.0.1", 0, api)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    services = Services.build(Settings.from_env(BASE_ENV))
    try:
        url = f"http://127.0.0.1:{server.server_port}"
        login = services.http.get(url + "/login", timeout=5)
        assert "shop-a-session" in login.headers["Set-Cookie"]  # the server did set it
        assert services.http.get(url + "/echo", timeout=5).text == "none"
        assert len(services.http.cookies) == 0
    finally:
        services.close()
        server.shutdown()


def test_secret_box_rotation() -> None:
    old = SecretBox(["o" * 40])
    stored = old.encrypt("token-123")
    assert "token-123" not in stored and stored.startswith("v1:")
    both = SecretBox(["n" * 40, "o" * 40])
    assert both.decrypt(stored) == "token-123"
    rotated = both.rotate(stored)
    assert SecretBox(["n" * 40]).decrypt(rotated) == "token-123"
    with pytest.raises(DecryptionError):
        SecretBox(["n" * 40]).decrypt(stored)
    with pytest.raises(DecryptionError):
        old.decrypt(stored[:-4] + "AAAA")


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("", GSM7, 0, 0),
        ("a" * 160, GSM7, 160, 1),
        ("a" * 161, GSM7, 161, 2),
        ("a" * 306, GSM7, 306, 2),
        ("a" * 307, GSM7, 307, 3),
        ("€" * 80, GSM7, 160, 1),
        ("€" * 81, GSM7, 162, 2),
        # 152 plain + one escape pair must not be split: the pair moves on.
        ("a" * 152 + "€" + "a" * 10, GSM7, 164, 2),
        ("ą" * 70, UCS2, 70, 1),
        ("ą" * 71, UCS2, 71, 2),
        ("€ą", UCS2, 2, 1),
        ("😀" * 35, UCS2, 70, 1),
        ("😀" * 36, UCS2, 72, 2),
    ],
)
def test_segment_counting(text: str, encoding: str, units: int, segments: int) -> None:
    info = count_segments(text)
    assert (info.encoding, info.units, info.segments) == (encoding, units, segments)


def test_segment_split_keeps_escape_pairs_whole() -> None:
    # 152 septets then an escape pair: 154 > 153, the pair starts segment two.
    info = count_segments("a" * 152 + "€" + "a" * 152)
    assert info.segments == 3


def test_unicode_characters_are_named_and_transliterated() -> None:
    text = "Zamówienie “123” gotowe – dziękujemy!"
    info = count_segments(text)
    assert info.encoding == UCS2
    assert set(info.unicode_characters) == {"ó", "“", "”", "–", "ę"}
    plain = transliterate(text)
    assert plain == 'Zamowienie "123" gotowe - dziekujemy!'
    assert count_segments(plain).encoding == GSM7
    assert transliterate("Café Müller") == "Café Müller"


def test_healthz_answers_when_db_and_redis_answer(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["checks"] == {"database": "ok", "redis": "ok"}


def test_healthz_is_503_when_redis_is_down(app, services) -> None:  # type: ignore[no-untyped-def]
    from redis import Redis

    services.redis = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["redis"].startswith("error")


@pytest.mark.parametrize(
    "app_url",
    [
        "http://localhost:8000",
        "http://app.localhost:8000",
        "http://127.0.0.1:8000",
        "http://127.1:8000",
        "http://10.1.2.3",
        "http://172.16.0.1",  # 172.16.0.0/12, first and last block
        "http://172.31.255.254",
        "http://192.168.1.10",
        "http://169.254.169.254",  # link-local (cloud metadata)
        "http://100.64.0.1",  # shared address space (carrier-grade NAT)
        "http://0.0.0.0:8000",
        "http://192.0.2.5",  # documentation
        "http://[::1]:8000",
        "http://[::]:8000",
        "http://[fc00::1]",  # unique-local fc00::/7, both halves
        "http://[fd12:3456::1]",
        "http://[fe80::1]",
        "http://[::ffff:127.0.0.1]:8000",  # IPv4-mapped loopback
        "http://[::ffff:10.0.0.1]",
        "http://[::ffff:172.16.0.1]",
        "http://sms-app",  # a name without a dot: only a local network resolves it
        "http://printer.local",
        "http://web.internal:8000",
        "http://box.home.arpa",
    ],
)
def test_addresses_providers_cannot_reach_are_not_public(app_url: str) -> None:
    assert not Settings.from_env({**BASE_ENV, "APP_URL": app_url}).app_url_is_public


@pytest.mark.parametrize(
    "app_url",
    [
        "https://sms.example.com",
        "https://abc123.ngrok-free.app",
        "http://8.8.8.8",
        "http://172.32.0.1",  # just past 172.16.0.0/12
        "http://172.15.255.255",  # just before it
        "https://[2606:4700::1111]",
        "http://[::ffff:8.8.8.8]",
    ],
)
def test_addresses_on_the_internet_are_public(app_url: str) -> None:
    assert Settings.from_env({**BASE_ENV, "APP_URL": app_url}).app_url_is_public


def test_every_id_in_a_url_is_a_database_id(app: Any, client: Any) -> None:
    """An id past a 64-bit integer is a 404, never the database's overflow error (a 500)."""
    rules = [r.rule for r in app.url_map.iter_rules() if "<int:" in r.rule or "<id:" in r.rule]
    assert rules and not [r for r in rules if "<int:" in r], rules
    for rule in rules:
        path = re.sub(r"<id:[^>]+>", str(2**31), re.sub(r"<[^:>]+>", "x", rule))
        for method in ("GET", "POST"):
            assert client.open(path, method=method).status_code in (404, 405), (method, path)


def test_postgres_plans_every_query_for_its_values(services: Any) -> None:
    """psycopg would prepare a statement on the server after its fifth run, and PostgreSQL
    would then plan it once for any LIMIT, keyset bound or LIKE pattern (the message log
    ran 2-3x slower on those plans): the engine turns that off."""
    from sqlalchemy import text

    if services.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only (CI's `make test-postgres` sets TEST_DATABASE_URL)")
    with services.engine.connect() as connection:
        for limit in range(8):
            connection.execute(text("SELECT 1 FROM tenants LIMIT :n"), {"n": limit})
        prepared = connection.scalar(text("SELECT count(*) FROM pg_prepared_statements"))
    assert prepared == 0
