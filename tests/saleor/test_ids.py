"""Saleor global ids as the popups receive them (the Dashboard's ``customerIds``)."""

from __future__ import annotations

import pytest

from saleor_sms_app.saleor.ids import id_kind, is_customer_id


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("VXNlcjo2", ("User", "6")),  # from the real Dashboard's customer list URL
        ("VXNlcjoxMA==", ("User", "10")),
        ("VXNlcjoxMA", ("User", "10")),  # padding left off
        (
            "T3JkZXI6YTU5M2ZmYzktNmE4ZC00Y2E0LTk4ZjktOTg0ZWZmOWJjNGNi",
            ("Order", "a593ffc9-6a8d-4ca4-98f9-984eff9bc4cb"),
        ),
        ("", None),
        ("not-an-id", None),
        ("VXNlcg==", None),  # "User" with no key
        ("////", None),
        ("A" * 200, None),
    ],
)
def test_id_kind(value: str, kind: tuple[str, str] | None) -> None:
    assert id_kind(value) == kind


def test_only_a_users_numeric_id_is_a_customer_id() -> None:
    assert is_customer_id("VXNlcjo2")
    assert not is_customer_id("T3JkZXI6MQ==")  # Order:1
    assert not is_customer_id("VXNlcjp4")  # User:x
