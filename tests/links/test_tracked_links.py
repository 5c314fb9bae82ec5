"""Tracked links: made by the template helper, stored with their message, followed
over real HTTP with a 302 that counts, and nothing else redirects."""

from __future__ import annotations

import re
import string

import pytest
import requests
from sqlalchemy import select

from saleor_sms_app.config.model import (
    AppConfig,
    ProviderConfig,
    QuietHours,
    Recipients,
    Rule,
    ShopSettings,
)
from saleor_sms_app.errors import TemplateError
from saleor_sms_app.message_log import queries
from saleor_sms_app.message_templates import links, order_tokens, sandbox
from saleor_sms_app.models import Message, ShortLink
from saleor_sms_app.segments import count_segments
from saleor_sms_app.settings import Settings
from tests.conftest import drain_queue
from tests.pipeline.support import outbox
from tests.providers.conftest import use_config
from tests.standin.fixtures import Installed

SALE = "https://shop.example/black-friday?utm_source=sms"
TEMPLATE = 'Hi {{ customer.first_name }}, 30% off: {{ short_link("' + SALE + '") }}'
OPT_OUT = "Reply STOP to opt out"


def test_codes_are_long_random_and_checked() -> None:
    codes = {links.new_code() for _ in range(2000)}
    assert len(codes) == 2000  # no repeats in 2,000 draws of 62^10
    assert all(len(c) == 10 and set(c) <= set(string.ascii_letters + string.digits) for c in codes)
    assert links.is_code("aB3dE5gH7j")
    assert not links.is_code("aB3dE5gH7") and not links.is_code("../../etc/x")


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "//evil.example/x", "ftp://shop.example/f", "shop.example", ""]
)
def test_only_web_addresses_become_links(url: str) -> None:
    with pytest.raises(TemplateError) as info:
        sandbox.render('{{ short_link("' + url + '") }}', order_tokens.sample_context())
    assert info.value.code == "short_link_url"


def test_preview_counts_the_real_link_length(settings: Settings) -> None:
    maker = links.PreviewLinks("https://sms.shop.example")
    result = order_tokens.preview(TEMPLATE, links=maker, opt_out_line=OPT_OUT)
    assert result.problems == []
    link = "https://sms.shop.example/s/" + "x" * links.CODE_LENGTH
    assert result.text == f"Hi Anna, 30% off: {link}\n{OPT_OUT}"
    assert result.segments == count_segments(result.text)
    collector = links.LinkCollector("https://sms.shop.example")
    real = sandbox.render(TEMPLATE, order_tokens.sample_context(), collector)
    # A real link is exactly as long as the preview's placeholder.
    assert len(real) + len("\n" + OPT_OUT) == len(result.text)
    assert collector.made[0][1] == SALE


def test_short_domain_from_the_environment() -> None:
    env = {
        "APP_URL": "https://sms.example.com",
        "SECRET_KEY": "k" * 40,
        "REDIS_URL": "redis://127.0.0.1:6379/0",
    }
    assert Settings.from_env(env).short_link_base == "https://sms.example.com"
    short = Settings.from_env({**env, "SHORT_LINK_URL": "https://sho.rt/"})
    assert short.short_link_base == "https://sho.rt"
    with pytest.raises(Exception, match="SHORT_LINK_URL"):
        Settings.from_env({**env, "SHORT_LINK_URL": "sho.rt/path"})


def test_a_marketing_text_carries_a_tracked_link_and_the_opt_out_line(installed: Installed) -> None:
    saleor, app, tenant = installed.saleor, installed.app, installed.tenant
    services = app.services
    use_config(
        services,
        tenant,
        AppConfig(
            # Quiet hours off: this test runs on the real clock (they have their own tests).
            settings=ShopSettings(
                default_country="PL", opt_out_line=OPT_OUT, quiet_hours=QuietHours(enabled=False)
            ),
            providers=[ProviderConfig(id="sb", type="sandbox")],
            rules=[
                Rule(
                    name="Black Friday",
                    event="ORDER_CREATED",
                    recipients=Recipients(customer=True),
                    template=TEMPLATE,
                    marketing=True,
                )
            ],
        ),
    )
    order = saleor.make_order(
        number=7, first_name="Anna", phone="+48 601 234 567", country_code="PL"
    )
    sent = saleor.send_webhook(
        app.url, "ORDER_CREATED", body=saleor.event_payload("ORDER_CREATED", {"order": order})
    )
    assert sent.status_code == 200, sent.text
    drain_queue(services)

    [sms] = outbox(services)
    match = re.fullmatch(
        re.escape(f"Hi Anna, 30% off: {app.url}/s/")
        + r"([A-Za-z0-9]{10})"
        + re.escape("\n" + OPT_OUT),
        sms["body"],
    )
    assert match, sms["body"]
    code = match.group(1)
    with services.sessions() as session:
        message = session.scalars(select(Message)).one()
        assert message.body == sms["body"]
        assert message.segments == count_segments(sms["body"]).segments
        stored = session.scalars(select(ShortLink)).one()
        assert (stored.code, stored.url, stored.message_id, stored.clicks) == (
            code,
            SALE,
            message.id,
            0,
        )

    for _ in range(2):
        click = requests.get(f"{app.url}/s/{code}", allow_redirects=False, timeout=10)
        assert click.status_code == 302
        assert click.headers["Location"] == SALE
        assert click.headers["Cache-Control"] == "no-store"
    with services.sessions() as session:
        page = queries.search_messages(session, tenant.id, queries.LogQuery())
        assert [row["clicks"] for row in page.rows] == [2]

    # Unknown, malformed and guessed codes: 404, no redirect, nothing counted.
    for wrong in ("AAAAAAAAAA", code[:-1], code + "x", "..%2F..%2Fadmin"):
        miss = requests.get(f"{app.url}/s/{wrong}", allow_redirects=False, timeout=10)
        assert miss.status_code == 404, wrong
        assert "Location" not in miss.headers
    with services.sessions() as session:
        assert session.scalars(select(ShortLink.clicks)).one() == 2
