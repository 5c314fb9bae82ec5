"""The marketing caps' per-text count, in a log of many messages.

Figures (all measured in this run, on this machine): the median time of
:func:`~saleor_sms_app.automations.caps.marketing_counts` (one read of the
partial index ``ix_messages_marketing_phone``: a number's marketing texts of the
last 7 days) over 1,000 numbers picked at random, in a log of ``--messages``
messages of one shop (spread over ``--numbers`` numbers and 30 days, one in
four marketing), beside the baseline of the do-not-text check every text
already makes (``suppressions.is_suppressed``, one indexed read), and the query
plan. SQLite, or the PostgreSQL named by ``TEST_DATABASE_URL`` (e.g. under
``scripts/with-postgres.sh``).

    .venv/bin/python bench/bench_caps.py [--messages 1000000] [--numbers 100000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from common import migrated_database
from sqlalchemy import insert, text

from saleor_sms_app.automations.caps import marketing_counts
from saleor_sms_app.consent.suppressions import is_suppressed
from saleor_sms_app.models import Message, Tenant

NOW = datetime(2031, 3, 1, 12, 0, tzinfo=UTC)
BATCH = 20_000


def per_call_ms(fn: Callable[[str], object], phones: list[str]) -> float:
    """Median milliseconds of one call, over every phone, after one warm-up pass."""
    for phone in phones[:50]:
        fn(phone)
    samples = []
    for phone in phones:
        started = time.perf_counter()
        fn(phone)
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def main() -> None:
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--numbers", type=int, default=100_000)
    args = parser.parse_args()
    with migrated_database() as (engine, sessions):
        rng = random.Random(8)
        phones = [f"+4860{n:07d}" for n in range(args.numbers)]
        started = time.perf_counter()
        with sessions.begin() as session:
            session.execute(
                insert(Tenant).values(id=1, saleor_api_url="https://a/graphql/", app_id="A")
            )
        for first in range(0, args.messages, BATCH):
            rows = [
                {
                    "tenant_id": 1,
                    "dedupe_key": f"m{n}",
                    "created_at": NOW - timedelta(minutes=rng.randrange(30 * 24 * 60)),
                    "updated_at": NOW,
                    "event": "ORDER_CREATED",
                    "recipient_type": "customer",
                    "phone": rng.choice(phones),
                    "body": "Your order is on its way",
                    "status": "sent",
                    "marketing": n % 4 == 0,
                }
                for n in range(first, min(first + BATCH, args.messages))
            ]
            with sessions.begin() as session:
                session.execute(insert(Message), rows)
        print(
            f"filled {args.messages:,} messages to {args.numbers:,} numbers into "
            f"{engine.dialect.name} in {time.perf_counter() - started:.0f} s"
        )
        picked = rng.sample(phones, 1000)
        with sessions() as session:
            if engine.dialect.name == "sqlite":
                session.execute(text("ANALYZE"))
            cap = per_call_ms(lambda p: marketing_counts(session, 1, p, NOW), picked)
            base = per_call_ms(lambda p: is_suppressed(session, 1, p), picked)
            explain = "EXPLAIN QUERY PLAN" if engine.dialect.name == "sqlite" else "EXPLAIN"
            plan = session.execute(
                text(
                    f"{explain} SELECT count(*) FROM messages WHERE tenant_id = 1 AND "
                    "phone = :p AND marketing AND created_at > :since AND status NOT IN "
                    "('skipped', 'failed')"
                ),
                {"p": picked[0], "since": NOW - timedelta(days=7)},
            ).all()
        print(f"cap count per text: median {cap:.3f} ms over 1,000 numbers")
        print(f"baseline do-not-text check per text: median {base:.3f} ms")
        print("plan: " + " | ".join(" ".join(map(str, row)) for row in plan))


if __name__ == "__main__":
    main()
