"""Fixtures of the daily-send tests: the campaigns' (loopback Saleor with customers, the
app installed, a clock the test moves)."""

from __future__ import annotations

from tests.campaigns.conftest import add_customer, clock
from tests.pipeline.conftest import immediate_retries, saleor, scripted, store, tenant

__all__ = ["add_customer", "clock", "immediate_retries", "saleor", "scripted", "store", "tenant"]
