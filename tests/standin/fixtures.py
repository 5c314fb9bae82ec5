"""Pytest fixtures for the stand-ins (registered globally by tests/conftest.py).

* ``saleor_standin``: a started :class:`~tests.standin.saleor.SaleorStandin`.
* ``live_app``: the real Flask app from ``create_app(services=...)`` on a real
  loopback HTTP server in a thread; its settings' ``APP_URL`` is that server's
  URL, so the manifest it serves points back at it. ``.url``, ``.services``.
* ``installed``: the stand-in has installed ``live_app`` over HTTP (manifest
  fetch + register), exactly as Saleor does; ``.saleor``, ``.app``, ``.tenant``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
from flask import Flask

from saleor_sms_app.saleor.tenants import TenantRecord, clear_cache, get_tenant
from saleor_sms_app.services import Services

if TYPE_CHECKING:
    from tests.standin.saleor import Installation, SaleorStandin


@dataclass
class LiveApp:
    """The app served on loopback: where it listens and the services it runs on."""

    url: str
    services: Services
    flask_app: Flask


@dataclass
class Installed:
    """A stand-in Saleor with the live app installed into it."""

    saleor: SaleorStandin
    app: LiveApp
    tenant: TenantRecord
    installation: Installation


@pytest.fixture
def saleor_standin() -> Iterator[SaleorStandin]:
    from tests.standin.saleor import SaleorStandin, saleor_schema

    # Built before the first request rather than inside it: on a loaded machine the
    # build alone can outlast the app's 10-second timeout for Saleor calls.
    saleor_schema()
    standin = SaleorStandin().start()
    yield standin
    standin.stop()


@pytest.fixture
def live_app(services: Services) -> Iterator[LiveApp]:
    from saleor_sms_app.app import create_app
    from tests.standin.saleor import serve_in_thread

    # The port must be known before the app is built (APP_URL goes into the
    # manifest), so the server starts with a dispatcher filled in afterwards.
    target: list[Callable[..., Any]] = []

    def dispatch(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        return target[0](environ, start_response)

    server = serve_in_thread(dispatch)
    url = f"http://127.0.0.1:{server.server_port}"
    services.settings = services.settings.with_overrides(app_url=url)
    flask_app = create_app(services=services)
    target.append(flask_app.wsgi_app)
    clear_cache(services)
    yield LiveApp(url=url, services=services, flask_app=flask_app)
    server.shutdown()
    server.server_close()
    clear_cache(services)


@pytest.fixture
def installed(saleor_standin: SaleorStandin, live_app: LiveApp) -> Installed:
    installation = saleor_standin.install(live_app.url)
    tenant = get_tenant(live_app.services, saleor_standin.api_url)
    assert tenant is not None, "the register step stored no tenant"
    return Installed(saleor_standin, live_app, tenant, installation)
