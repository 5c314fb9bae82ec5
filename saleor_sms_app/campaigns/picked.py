"""Customers ticked in Saleor's customer list: the ids the "Send SMS" popup was opened with.

The Dashboard hands the popup the ticked rows as ``customerIds``; the popup sends
them as ``customer_ids``, and they become a campaign's audience
(:attr:`~saleor_sms_app.campaigns.audience.Audience.customer_ids`). Checked here,
so a mangled id or too many of them is a 400 naming ``customer_ids`` rather than
Saleor's GraphQL error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from saleor_sms_app.errors import BadRequest
from saleor_sms_app.saleor.ids import is_customer_id

#: Most customers ticked and texted at once: the Dashboard's largest page of the list
#: is 100 rows (and one page of ours, too).
MAX_PICKED = 100


def picked_ids(body: Mapping[str, Any]) -> tuple[str, ...]:
    """The ``customer_ids`` of a request, de-duplicated in order (empty when none)."""
    value = body.get("customer_ids")
    if value in (None, "", []):
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadRequest(
            "customer_ids must be a list of Saleor customer ids",
            details={"customer_ids": "a list of ids"},
        )
    ids = tuple(dict.fromkeys(v.strip() for v in value if v.strip()))
    if len(ids) > MAX_PICKED:
        raise BadRequest(
            f"customer_ids: at most {MAX_PICKED} customers at once ({len(ids)} were ticked)",
            code="too_many_customers",
            details={"customer_ids": f"at most {MAX_PICKED}"},
        )
    bad = [v for v in ids if not is_customer_id(v)]
    if bad:
        raise BadRequest(
            f"customer_ids: {bad[0][:80]!r} is not a Saleor customer id",
            details={"customer_ids": f"not a customer id: {bad[0][:80]}"},
        )
    return ids
