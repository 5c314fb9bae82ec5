"""Every route of the app is fuzzed or named here with the reason it is not, so a
new route cannot be forgotten (issue 11 item 5). The webhook route is plain WSGI
in front of Flask (not in its URL map) and has its own target."""

from __future__ import annotations

from typing import Any

#: URL-map rule prefix → the fuzz target covering it.
FUZZED = {
    "/api/dashboard/": "test_fuzz_dashboard.py (each route its own target)",
    "/api/delivery-reports/": "test_fuzz_delivery_reports.py",
    "/api/inbound/": "test_fuzz_inbound.py",
}
#: Rules outside issue 11 item 5's list, and why each is left to its own tests.
NOT_FUZZED = {
    "/api/manifest": "no input: the same JSON for every request",
    "/api/register": "Saleor's install call: tests/saleor (allow-list, token check)",
    "/app": "the page's HTML, no input",
    "/app/": "the page's HTML, no input",
    "/app/send-sms": "the same HTML (the Send SMS popup), no input",
    "/app/assets/<path:name>": "static files (Flask's send_from_directory)",
    "/healthz": "no input",
    "/logo.png": "no input",
    "/metrics": "a bearer token only: tests/test_observability.py",
    "/s/<code>": "a short link's code: tests/links",
}


def test_every_route_is_fuzzed_or_named(app: Any) -> None:
    rules = {rule.rule for rule in app.url_map.iter_rules()} - {"/static/<path:filename>"}
    unaccounted = sorted(
        rule
        for rule in rules
        if rule not in NOT_FUZZED and not any(rule.startswith(p) for p in FUZZED)
    )
    assert not unaccounted, f"fuzz these routes or say why not in NOT_FUZZED: {unaccounted}"
    gone = sorted(set(NOT_FUZZED) - rules)
    assert not gone, f"these routes no longer exist: {gone}"
