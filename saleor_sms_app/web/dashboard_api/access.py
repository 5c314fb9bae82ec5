"""What every dashboard API view shares: services, the verified user and its shop's
configuration, the permission check.

Thin on purpose: every view authenticates the dashboard token
(:mod:`saleor_sms_app.saleor.dashboard_auth`), checks the one permission it
needs, and hands plain values to framework-free code. Errors are raised as the
classes of :mod:`saleor_sms_app.errors`; ``web/responses.py`` turns them into JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec, TypeVar

from flask import Response, current_app, g, jsonify, request

from saleor_sms_app.config.model import AppConfig
from saleor_sms_app.config.store import ConfigStore
from saleor_sms_app.errors import BadRequest, PayloadTooLarge
from saleor_sms_app.saleor.dashboard_auth import DashboardUser, bearer_token, verify_dashboard_token
from saleor_sms_app.services import Services

P = ParamSpec("P")
R = TypeVar("R")


def services() -> Services:
    found: Services = current_app.extensions["sms_app"]
    return found


def current_user() -> DashboardUser:
    user: DashboardUser = g.dashboard_user
    return user


def tenant_config() -> AppConfig:
    """The verified user's shop configuration, as the views that act on it read it
    (cached by :class:`ConfigStore`; the configuration screen reads it fresh itself)."""
    return ConfigStore(services()).load(current_user().tenant)


def requires(permission: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Verify the dashboard token and require ``permission`` before the view runs."""

    def decorator(view: Callable[P, R]) -> Callable[P, R]:
        @wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            user = verify_dashboard_token(
                services(),
                bearer_token(request.headers),
                request.headers.get("Saleor-Api-Url", "").strip(),
            )
            user.require(permission)
            g.dashboard_user = user
            return view(*args, **kwargs)

        return wrapper

    return decorator


def json_body() -> dict[str, Any]:
    """The request's JSON object. A NUL character anywhere in it is refused, naming
    the field: it means nothing to any screen, and PostgreSQL refuses it in a row."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    where = _nul_in(body)
    if where is not None:
        raise BadRequest(
            f"{where} holds a NUL character",
            code="invalid_body",
            details={where: "holds a NUL character"},
        )
    return body


def stored_answer(answer: dict[str, Any], created: bool) -> Response:
    """The answer to a request that stores something once per idempotency key (a
    campaign, a daily send): 201 when this request made it, 200 for the one an
    earlier request with the same key made."""
    return Response(
        response=jsonify(answer).get_data(),
        status=201 if created else 200,
        mimetype="application/json",
    )


def _nul_in(body: dict[str, Any]) -> str | None:
    """The path of the first key or string holding a NUL character, or None.

    Iterative, not recursive: a deeply nested body must not exhaust the stack.
    """
    pending: list[tuple[str, object]] = [("", body)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return path or "body"
        elif isinstance(value, dict):
            for key, item in value.items():
                name = f"{path}.{key}" if path else str(key)
                if "\x00" in name:
                    return name.replace("\x00", "\\x00")
                pending.append((name, item))
        elif isinstance(value, list):
            pending.extend((f"{path}[{i}]", item) for i, item in enumerate(value))
    return None


#: Room for a multipart form's boundaries and headers around an uploaded file.
UPLOAD_OVERHEAD = 64 * 1024


def uploaded_file(max_bytes: int) -> bytes | None:
    """The ``file`` of a form upload, read up to one byte past ``max_bytes`` (so
    :func:`upload_text` can tell "too large" without reading a huge file), or None.

    Call it before anything reads the body: it raises this request's body limit
    from the app's (sized for webhooks, 512 KB) to the upload's own, which
    otherwise refused every list larger than that with "request body is too large".
    """
    request.max_content_length = max_bytes + UPLOAD_OVERHEAD
    upload = request.files.get("file")
    return upload.read(max_bytes + 1) if upload is not None else None


def upload_text(data: bytes, max_bytes: int, field: str) -> str:
    """Uploaded or pasted bytes as text, refused with a reason naming ``field`` when
    larger than ``max_bytes``, not UTF-8, or holding a NUL character (which no CSV
    holds and PostgreSQL refuses in a row). A spreadsheet's UTF-8 BOM is dropped."""
    if len(data) > max_bytes:
        size = f"{max_bytes / (1024 * 1024):g} MB"
        raise PayloadTooLarge(
            f"the file is larger than {size}; split it", details={field: f"larger than {size}"}
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadRequest(
            "the file is not UTF-8 text", details={field: "save it as CSV (UTF-8)"}
        ) from None
    if "\x00" in text:
        raise BadRequest(
            "the file holds NUL characters: it is not a CSV",
            details={field: "save it as CSV (UTF-8)"},
        )
    return text
