"""The Flask application factory (the Flask tutorial's ``create_app``)."""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter, Map

from saleor_sms_app.observability import configure
from saleor_sms_app.services import Services, set_services
from saleor_sms_app.settings import Settings


def create_app(settings: Settings | None = None, services: Services | None = None) -> Flask:
    """Build the web app. No I/O happens here beyond opening pools lazily."""
    settings = settings or (services.settings if services else Settings.from_env())
    services = services or Services.build(settings)
    set_services(services)

    configure(settings, "web")
    app = Flask(__name__, static_folder=None)
    app.url_map.converters["id"] = DatabaseId
    app.config["MAX_CONTENT_LENGTH"] = settings.max_webhook_bytes
    app.extensions["sms_app"] = services

    from saleor_sms_app.web import (
        dashboard,
        delivery_reports,
        headers,
        health,
        inbound,
        lifecycle,
        links,
        metrics,
        responses,
        suppressions_api,
        webhooks,
    )

    responses.init_app(app)
    headers.init_app(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(lifecycle.bp)
    app.register_blueprint(delivery_reports.bp)
    app.register_blueprint(inbound.bp)
    app.register_blueprint(links.bp)
    app.register_blueprint(dashboard.page)
    app.register_blueprint(dashboard.api)
    app.register_blueprint(metrics.bp)
    app.register_blueprint(suppressions_api.api)
    # Saleor's webhooks skip Flask (the one hot path; see web/webhooks.py).
    app.wsgi_app = webhooks.WebhookReceiver(services, app.wsgi_app)  # type: ignore[method-assign]
    return app


class DatabaseId(IntegerConverter):
    """``<id:name>``: a row id in URLs, 1 to 2³¹−1 (the INTEGER columns), else no match (404).

    ``<int:…>`` takes any digits, and an id past the column type made SQLite and
    PostgreSQL raise an overflow error, a 500 (found by fuzzing the message detail).
    """

    def __init__(self, url_map: Map) -> None:
        super().__init__(url_map, min=1, max=2**31 - 1)


def services_of(app: Flask) -> Services:
    services: Services = app.extensions["sms_app"]
    return services
