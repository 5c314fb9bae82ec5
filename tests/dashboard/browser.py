"""The dashboard page in headless Chromium, shared by every browser test of the page.

One browser per session (Playwright's sync API allows one per thread, so the
fixtures live here, imported once by ``tests/dashboard/conftest.py``); the
Flask app serving the built page and the API on loopback; a host page on
another origin (localhost vs 127.0.0.1) that plays the Saleor Dashboard, so
postMessage crosses origins as it does in production. The screenshots land in
docs/screenshots/ with ``UPDATE_SCREENSHOTS=1``.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from werkzeug.wrappers import Request, Response

from saleor_sms_app.services import Services
from tests.standin.saleor import SaleorStandin, saleor_schema, serve_in_thread

ROOT = Path(__file__).resolve().parents[2]
DIST = ROOT / "dashboard_ui" / "dist"
#: The committed screenshots are refreshed with UPDATE_SCREENSHOTS=1; ordinary runs
#: write to test-artifacts/ so `make test` leaves the work tree clean.
SCREENSHOTS = ROOT / (
    "docs/screenshots" if os.environ.get("UPDATE_SCREENSHOTS") else "test-artifacts/screenshots"
)
HOST_PAGE = (Path(__file__).parent / "host_page.html").read_text()
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def serve(app: Any) -> Iterator[str]:
    server = serve_in_thread(app)
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not (DIST / "index.html").is_file():
        pytest.fail("the dashboard page is not built: run the tests with `make test`")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=os.environ["CHROMIUM_PATH"], args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def served_app(app: Flask, services: Services) -> Iterator[str]:
    services.settings = services.settings.with_overrides(dashboard_dist=DIST)
    yield from serve(app)


@pytest.fixture
def dashboard(
    served_app: str,
    saleor: SaleorStandin,
    tenant_id: int,
    make_token: Callable[..., str],
    services: Services,
) -> Iterator[dict[str, Any]]:
    """The host page's origin (``localhost``) with a tenant installed at the loopback Saleor."""
    # The host page plays a Dashboard on another host than the Saleor API (localhost
    # vs 127.0.0.1), so the operator names its origin, as for a self-hosted Dashboard.
    services.settings = services.settings.with_overrides(
        allowed_dashboard_origins=re.compile(r"http://localhost:\d+")
    )

    # The staff member's permissions in the tokens the host page hands over (None: all);
    # a test changes them before opening the page.
    staff: dict[str, Any] = {"permissions": None}

    def host(environ: Any, start_response: Any) -> Any:
        request = Request(environ)
        if request.path == "/token":
            ttl = int(request.args.get("ttl", "300"))
            token = make_token(ttl=ttl, permissions=staff["permissions"])
            return Response(token)(environ, start_response)
        return Response(HOST_PAGE, mimetype="text/html")(environ, start_response)

    # The loopback Saleor builds the real schema once per process, which takes seconds
    # on a busy machine: build it now, before the page's first GraphQL call could
    # time out waiting for it.
    saleor_schema()
    for base in serve(host):
        yield {
            "host": base.replace("127.0.0.1", "localhost"),
            "app_url": served_app + "/app",
            "saleor": saleor,
            "tenant_id": tenant_id,
            "staff": staff,
        }


def open_dashboard(
    browser: Any,
    dashboard: dict[str, Any],
    theme: str,
    *,
    path: str = "/app",
    params: dict[str, str] | None = None,
    ready: Callable[[Any], Any] | None = None,
    viewport: tuple[int, int] = (1280, 900),
) -> tuple[Any, Any]:
    """The host page with the app in its iframe; ``path`` and ``params`` open an extension
    (``/app/send-sms`` with ``orderId``) the way the Dashboard opens a popup."""
    width, height = viewport
    page = browser.new_page(viewport={"width": width, "height": height}, accept_downloads=True)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    config = {
        "appUrl": dashboard["app_url"].removesuffix("/app") + path,
        "params": params or {},
        "saleorApiUrl": dashboard["saleor"].api_url,
        "appId": dashboard["saleor"].app_id,
        "theme": theme,
    }
    page.goto(dashboard["host"] + "/#" + quote(json.dumps(config)))
    frame = page.frame_locator("#app")
    page.on("console", lambda msg: errors.append(f"console {msg.type}: {msg.text}"))
    try:
        (ready or (lambda f: f.get_by_role("tab", name="Providers")))(frame).wait_for(timeout=15000)
    except Exception:
        page.screenshot(path="/tmp/dashboard-failed.png")
        raise AssertionError("the page did not start: " + "\n".join(errors)) from None
    page.set_default_timeout(10000)
    return page, frame


def shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_timeout(300)  # let the last render and fonts settle
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)


def inner(page: Any) -> Any:
    """The app's own frame (cross-origin: its document is not reachable from the host)."""
    return next(f for f in page.frames if "/app?" in f.url)


def actions(page: Any, kind: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = page.evaluate(
        f"window.__actions.filter(a => a.type === {json.dumps(kind)})"
    )
    return found
