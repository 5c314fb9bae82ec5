"""Process settings, read once from the environment.

Nothing else in the app reads ``os.environ``: the web factory and the worker
both call :meth:`Settings.from_env` and pass the result down. Every problem is
collected and reported together, naming the variable, so an operator fixes a
bad deployment in one go instead of one restart per mistake.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from saleor_sms_app.egress import EgressPolicy, parse_networks
from saleor_sms_app.errors import ConfigurationError

#: Admits only Saleors on this machine: safe for development, useless for a
#: public deployment, which must say which Saleors may install it.
DEFAULT_ALLOWED_SALEOR_API_URLS = r"https?://(localhost|127\.0\.0\.1|\[::1\])(:\d+)?/graphql/"

#: Saleor's own request limit is 2.5 MiB; a webhook payload for one order is a
#: few kB, so anything near this is not a webhook we subscribed to.
DEFAULT_MAX_WEBHOOK_BYTES = 512 * 1024

#: Messages one worker process hands to providers at the same time.
DEFAULT_SEND_CONCURRENCY = 8

#: Seconds a job may run before RQ stops it (RQ's own default); also how long a
#: job whose worker died stays "started" before RQ retries it (see worker.py).
DEFAULT_JOB_TIMEOUT = 180
#: Seconds a message may stay ``sending`` before the worker's maintenance
#: counts it as interrupted (``unknown``): longer than a job may run.
DEFAULT_SEND_LOCK_SECONDS = 300

#: The variables through which ``requests`` takes proxies from the environment.
PROXY_VARIABLES = tuple(
    name
    for base in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")
    for name in (base, base.upper())
)


#: Host-name suffixes that only a local network resolves (RFC 6761, RFC 6762,
#: RFC 8375, and the ``.internal`` names cloud platforms give private addresses).
LOCAL_ONLY_SUFFIXES = (".localhost", ".local", ".internal", ".home.arpa", ".lan", ".localdomain")


def host_is_public(host: str) -> bool:
    """Whether ``host`` (a URL's host name or address literal) is reachable from the internet."""
    host = host.strip().rstrip(".").lower()
    if not host:
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        # A numeric host that is not a dotted quad (``127.1``) is still an address
        # to a resolver; never call it public.
        numeric = all(part.isdigit() for part in host.split("."))
        return (
            not numeric
            and host != "localhost"
            and "." in host
            and not host.endswith(LOCAL_ONLY_SUFFIXES)
        )
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global


@dataclass(frozen=True)
class Settings:
    """Everything the web process and the worker need to start."""

    app_url: str
    data_dir: Path
    secret_keys: tuple[str, ...] = field(repr=False)
    redis_url: str
    database_url: str
    allowed_saleor_api_urls: re.Pattern[str]
    sandbox_outbox: Path
    port: int = 8000
    max_webhook_bytes: int = DEFAULT_MAX_WEBHOOK_BYTES
    #: Where the built dashboard page lives; tests point it elsewhere.
    dashboard_dist: Path = Path(__file__).resolve().parent.parent / "dashboard_ui" / "dist"
    log_level: str = "INFO"
    send_concurrency: int = DEFAULT_SEND_CONCURRENCY
    job_timeout: int = DEFAULT_JOB_TIMEOUT
    send_lock_seconds: int = DEFAULT_SEND_LOCK_SECONDS
    #: Whether outgoing HTTP must honour proxy variables of the environment.
    #: ``requests`` looks them up on every call (about half a millisecond with
    #: a large environment), so it only does when one of them is set.
    http_proxy_from_environment: bool = False
    #: The CA bundle ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` name, read once.
    http_ca_bundle: str | None = None
    #: ``text`` (one readable line) or ``json`` (one JSON object a line, with
    #: tenant, event, message and job ids) for the app's log lines.
    log_format: str = "text"
    #: Bearer token ``/metrics`` requires; None switches the endpoint off.
    metrics_token: str | None = field(default=None, repr=False)
    #: prometheus_client's shared folder for web and worker processes (it reads
    #: ``PROMETHEUS_MULTIPROC_DIR`` itself; checked here so a bad one stops the start).
    prometheus_multiproc_dir: Path | None = None
    #: Errors go to Sentry when set (needs the ``sentry`` extra).
    sentry_dsn: str | None = field(default=None, repr=False)
    #: Base of tracked links (``<base>/s/<code>``): ``SHORT_LINK_URL``, a shorter
    #: domain the operator points at this app, else empty for ``APP_URL``.
    short_link_url: str = ""

    @property
    def short_link_base(self) -> str:
        """Where tracked links start; ``/s/<code>`` follows."""
        return self.short_link_url or self.app_url

    #: Where provider calls may go (``ALLOW_PRIVATE_PROVIDER_URLS``; see egress.py).
    provider_egress: EgressPolicy = field(default_factory=EgressPolicy)
    #: Origins besides the Saleor API's own from which the dashboard may frame
    #: the page (``ALLOWED_DASHBOARD_ORIGINS``, matched entirely); see web/headers.py.
    allowed_dashboard_origins: re.Pattern[str] | None = None

    @property
    def app_url_is_public(self) -> bool:
        """Whether providers on the internet could reach our callbacks.

        An address literal is judged by :mod:`ipaddress`'s own classification
        (``is_global``): private, shared, link-local, loopback, unique-local,
        documentation and unspecified ranges are not reachable from a provider,
        and an IPv4-mapped IPv6 address is judged as the IPv4 address it carries.
        A host name is public unless it is one only a local network resolves
        (``localhost``, a name without a dot, or a local-only suffix); the app
        does not look names up, since the answer here may differ from the
        provider's.
        """
        return host_is_public(urlsplit(self.app_url).hostname or "")

    def with_overrides(self, **changes: object) -> Settings:
        """A copy with some fields replaced (tests and benchmarks use this)."""
        return replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read and validate every variable; raise one error naming all bad ones."""
        env = dict(os.environ if environ is None else environ)
        problems: list[str] = []

        data_dir = Path(env.get("DATA_DIR") or ".data").resolve()

        app_url = env.get("APP_URL", "").strip().rstrip("/")
        if not app_url:
            problems.append("APP_URL is missing: set it to the public base URL of this app")
        elif urlsplit(app_url).scheme not in {"http", "https"} or not urlsplit(app_url).netloc:
            problems.append(f"APP_URL must be an http(s) URL, got {app_url!r}")

        short_link_url = env.get("SHORT_LINK_URL", "").strip().rstrip("/")
        if short_link_url and (
            urlsplit(short_link_url).scheme not in {"http", "https"}
            or not urlsplit(short_link_url).netloc
            or urlsplit(short_link_url).path not in ("", "/")
        ):
            problems.append(
                f"SHORT_LINK_URL must be an http(s) URL without a path, got {short_link_url!r}"
            )

        port = 8000
        raw_port = env.get("PORT", "8000")
        try:
            port = int(raw_port)
            if not 0 < port < 65536:
                raise ValueError
        except ValueError:
            problems.append(f"PORT must be a TCP port number, got {raw_port!r}")

        # SECRET_KEY may hold several comma-separated keys: the first encrypts,
        # all decrypt, which is how a key is rotated without losing secrets.
        keys = tuple(k.strip() for k in env.get("SECRET_KEY", "").split(",") if k.strip())
        if not keys:
            problems.append("SECRET_KEY is missing: set it to a long random string")
        for key in keys:
            if len(key) < 32:
                problems.append("SECRET_KEY must be at least 32 characters long")
                break

        redis_url = env.get("REDIS_URL", "").strip()
        if not redis_url:
            problems.append("REDIS_URL is missing, e.g. redis://127.0.0.1:6379/0")
        elif urlsplit(redis_url).scheme not in {"redis", "rediss", "unix"}:
            problems.append(
                f"REDIS_URL must start with redis://, rediss:// or unix://, got {redis_url!r}"
            )

        database_url = env.get("DATABASE_URL", "").strip() or f"sqlite:///{data_dir / 'app.db'}"
        if database_url.startswith("postgres://"):
            # Heroku still hands out the old scheme, which SQLAlchemy 2 refuses.
            database_url = "postgresql+psycopg://" + database_url[len("postgres://") :]
        elif database_url.startswith("postgresql://"):
            database_url = "postgresql+psycopg://" + database_url[len("postgresql://") :]
        if not database_url.startswith(("sqlite:", "postgresql+psycopg:")):
            problems.append(
                f"DATABASE_URL must be a sqlite:/// or postgresql:// URL, got {database_url!r}"
            )

        pattern = env.get("ALLOWED_SALEOR_API_URLS", "").strip() or DEFAULT_ALLOWED_SALEOR_API_URLS
        allowed = re.compile(r"(?!)")
        try:
            allowed = re.compile(pattern)
        except re.error as exc:
            problems.append(f"ALLOWED_SALEOR_API_URLS is not a valid regular expression: {exc}")

        outbox = Path(env.get("SMS_SANDBOX_OUTBOX") or data_dir / "sandbox-outbox.jsonl")

        max_bytes = DEFAULT_MAX_WEBHOOK_BYTES
        raw_max = env.get("MAX_WEBHOOK_BYTES", str(DEFAULT_MAX_WEBHOOK_BYTES))
        try:
            max_bytes = int(raw_max)
            if max_bytes < 1024:
                raise ValueError
        except ValueError:
            problems.append(f"MAX_WEBHOOK_BYTES must be a number of bytes >= 1024, got {raw_max!r}")

        send_concurrency = DEFAULT_SEND_CONCURRENCY
        raw_concurrency = env.get("SEND_CONCURRENCY", str(DEFAULT_SEND_CONCURRENCY))
        try:
            send_concurrency = int(raw_concurrency)
            if not 1 <= send_concurrency <= 64:
                raise ValueError
        except ValueError:
            problems.append(
                f"SEND_CONCURRENCY must be a whole number from 1 to 64, got {raw_concurrency!r}"
            )

        provider_egress = EgressPolicy()
        try:
            provider_egress = EgressPolicy(
                parse_networks(env.get("ALLOW_PRIVATE_PROVIDER_URLS", ""))
            )
        except ValueError as exc:
            problems.append(f"ALLOW_PRIVATE_PROVIDER_URLS must list IP networks: {exc}")

        dashboard_origins = None
        if env.get("ALLOWED_DASHBOARD_ORIGINS", "").strip():
            try:
                dashboard_origins = re.compile(env["ALLOWED_DASHBOARD_ORIGINS"].strip())
            except re.error as exc:
                problems.append(
                    f"ALLOWED_DASHBOARD_ORIGINS is not a valid regular expression: {exc}"
                )

        # Shortened only by the chaos suite (tests/chaos), so that a killed
        # worker's job and messages are recovered in seconds, not minutes.
        job_timeout = _whole_seconds(env, "JOB_TIMEOUT", DEFAULT_JOB_TIMEOUT, problems)
        send_lock = _whole_seconds(env, "SEND_LOCK_SECONDS", DEFAULT_SEND_LOCK_SECONDS, problems)
        if send_lock <= job_timeout:
            problems.append(
                f"SEND_LOCK_SECONDS ({send_lock}) must be longer than JOB_TIMEOUT ({job_timeout}): "
                "a message still being sent would be marked unknown"
            )

        log_level = env.get("LOG_LEVEL", "INFO").upper()
        if log_level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            problems.append(f"LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, got {log_level!r}")

        log_format = env.get("LOG_FORMAT", "text").strip().lower() or "text"
        if log_format not in {"text", "json"}:
            problems.append(f"LOG_FORMAT must be text or json, got {log_format!r}")

        metrics_token = env.get("METRICS_TOKEN", "").strip() or None
        if metrics_token is not None and len(metrics_token) < 16:
            problems.append("METRICS_TOKEN must be at least 16 characters long")

        multiproc_dir = None
        if env.get("PROMETHEUS_MULTIPROC_DIR", "").strip():
            multiproc_dir = Path(env["PROMETHEUS_MULTIPROC_DIR"].strip())
            if not multiproc_dir.is_dir() or not os.access(multiproc_dir, os.W_OK):
                problems.append(
                    f"PROMETHEUS_MULTIPROC_DIR must be an existing writable folder, "
                    f"got {str(multiproc_dir)!r}"
                )

        sentry_dsn = env.get("SENTRY_DSN", "").strip() or None
        if sentry_dsn is not None and urlsplit(sentry_dsn).scheme not in {"http", "https"}:
            problems.append("SENTRY_DSN must be the https:// DSN from your Sentry project")

        if problems:
            raise ConfigurationError(
                "The app cannot start; fix these environment variables:\n  - "
                + "\n  - ".join(problems)
            )
        settings = cls(
            app_url=app_url,
            data_dir=data_dir,
            secret_keys=keys,
            redis_url=redis_url,
            database_url=database_url,
            allowed_saleor_api_urls=allowed,
            sandbox_outbox=outbox,
            port=port,
            max_webhook_bytes=max_bytes,
            log_level=log_level,
            send_concurrency=send_concurrency,
            job_timeout=job_timeout,
            send_lock_seconds=send_lock,
            http_proxy_from_environment=any(env.get(name) for name in PROXY_VARIABLES),
            http_ca_bundle=env.get("REQUESTS_CA_BUNDLE") or env.get("CURL_CA_BUNDLE") or None,
            log_format=log_format,
            metrics_token=metrics_token,
            prometheus_multiproc_dir=multiproc_dir,
            sentry_dsn=sentry_dsn,
            short_link_url=short_link_url,
            provider_egress=provider_egress,
            allowed_dashboard_origins=dashboard_origins,
        )
        if env.get("DASHBOARD_DIST"):
            settings = settings.with_overrides(dashboard_dist=Path(env["DASHBOARD_DIST"]))
        return settings


def _whole_seconds(env: Mapping[str, str], name: str, default: int, problems: list[str]) -> int:
    """A positive whole number of seconds from ``env[name]``, or ``default``; bad values noted."""
    raw = env.get(name, str(default))
    try:
        value = int(raw)
        if value < 1:
            raise ValueError
    except ValueError:
        problems.append(f"{name} must be a whole number of seconds (1 or more), got {raw!r}")
        return default
    return value


def generate_secret_key() -> str:
    """A fresh key for development (`make run` keeps one in the data folder)."""
    return secrets.token_urlsafe(48)
