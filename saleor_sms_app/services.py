"""The long-lived things a process needs, built once from :class:`Settings`.

The web app keeps its instance on ``app.extensions["sms_app"]``; the worker
builds one per process (:func:`get_services`). Jobs receive ids, never these
objects, and look them up here, which keeps job code free of Flask.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from http.cookiejar import DefaultCookiePolicy

import requests
from redis import Redis
from rq import Queue
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from saleor_sms_app.crypto import SecretBox
from saleor_sms_app.db import make_engine, make_session_factory
from saleor_sms_app.egress import GuardedAdapter
from saleor_sms_app.providers.base import ProviderContext
from saleor_sms_app.settings import Settings

#: The one RQ queue: webhook processing and sends share it, ordered by arrival.
QUEUE_NAME = "saleor-sms"


@dataclass
class Services:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    redis: Redis
    queue: Queue
    secret_box: SecretBox
    #: Shared HTTP session (connection pooling) for Saleor calls.
    http: requests.Session
    #: The same for provider calls, every connection checked by ``settings.provider_egress``.
    provider_http: requests.Session

    @classmethod
    def build(cls, settings: Settings) -> Services:
        engine = make_engine(settings.database_url)
        redis = Redis.from_url(
            settings.redis_url, socket_timeout=5, socket_connect_timeout=2, health_check_interval=30
        )
        http = http_session(
            settings, requests.adapters.HTTPAdapter(pool_connections=20, pool_maxsize=50)
        )
        provider_http = http_session(
            settings,
            GuardedAdapter(settings.provider_egress, pool_connections=20, pool_maxsize=50),
        )
        return cls(
            settings=settings,
            engine=engine,
            sessions=make_session_factory(engine),
            redis=redis,
            queue=Queue(QUEUE_NAME, connection=redis, default_timeout=settings.job_timeout),
            secret_box=SecretBox(settings.secret_keys),
            http=http,
            provider_http=provider_http,
        )

    def provider_context(self) -> ProviderContext:
        """What provider adapters get: the guarded session and the sandbox outbox."""
        return ProviderContext(
            session=self.provider_http, sandbox_outbox=self.settings.sandbox_outbox
        )

    def close(self) -> None:
        self.http.close()
        self.provider_http.close()
        self.redis.close()
        self.engine.dispose()


def http_session(settings: Settings, adapter: requests.adapters.HTTPAdapter) -> requests.Session:
    """A pooled session over ``adapter`` that honours the settings' proxy and CA bundle."""
    http = requests.Session()
    # What requests would otherwise read from the environment on every call.
    http.trust_env = settings.http_proxy_from_environment
    if settings.http_ca_bundle:
        http.verify = settings.http_ca_bundle
    # One session serves every tenant: a cookie one shop's provider (or a
    # generic HTTP API with login sessions) sets must never ride along on
    # another shop's request to the same host, so none is ever kept.
    http.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
    http.mount("http://", adapter)
    http.mount("https://", adapter)
    return http


_lock = threading.Lock()
_current: Services | None = None


def get_services() -> Services:
    """This process's services, built from the environment on first use."""
    global _current
    with _lock:
        if _current is None:
            _current = Services.build(Settings.from_env())
        return _current


def set_services(services: Services | None) -> None:
    """Install (or clear) the process's services; the web factory and tests use this."""
    global _current
    with _lock:
        _current = services
