"""Fuzzing with hypothesis: every route the outside world can call, and the generic
provider's JSON description. No answer may be a 500, and a refused request may
store nothing.

``FUZZ_EXAMPLES`` sets the examples per target: a few hundred in ``make test``,
10,000 in ``make chaos``. Examples are not kept between runs (no
``.hypothesis`` folder): a failure prints the example and the seed to rerun it.

One example is one request, so everything around it is kept cheap: one app,
client and tenant per target, one dashboard token per target, and "nothing
stored" is a :func:`snapshot` of counters rather than a dump of every table
(which grew with every accepted request and made 10,000 examples take hours):
the number of database writes committed (:class:`CommittedWrites`, every
INSERT/UPDATE/DELETE of a transaction that committed), Saleor's stored
metadata, the sandbox outbox's size, the queue's length and the webhook
de-duplication keys.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections import Counter, defaultdict
from typing import Any
from weakref import WeakKeyDictionary

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from saleor_sms_app.config.model import AppConfig
from saleor_sms_app.config.store import ConfigStore
from saleor_sms_app.saleor.tenants import TenantRecord, get_tenant_by_id
from saleor_sms_app.services import Services

# The dashboard's tenant and tokens and the provider stand-ins, shared rather than copied.
from tests.dashboard.conftest import (  # noqa: F401
    auth,
    make_token,
    saleor,
    stranger_key,
    tenant_id,
)
from tests.providers.conftest import _standin_servers, standin_provider  # noqa: F401
from tests.security.support import every_provider
from tests.standin.provider import StandinProvider
from tests.standin.saleor import SaleorStandin

#: 100 keeps the fuzz part of `make test` near 30 s of CPU (17 targets).
FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "100"))

#: One example per request; fixtures are built once per target on purpose (a
#: tenant in a Saleor), which hypothesis would otherwise flag.
FUZZ = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
    # No explain phase: it reprs the fixtures (tens of kB) and warns, which the
    # suite turns into an error hiding the real failure.
    phases=[Phase.generate]
    if os.environ.get("FUZZ_NO_SHRINK")
    else [Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
)

#: Any JSON value, nested two levels (st.recursive made hypothesis report flaky draws).
_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=40)
)
json_values = (
    _scalars
    | st.lists(_scalars, max_size=4)
    | st.dictionaries(st.text(max_size=12), _scalars | st.lists(_scalars, max_size=3), max_size=4)
)
#: What a header value can carry on the wire (latin-1, no line breaks).
header_text = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=255, exclude_characters="\x7f"),
    max_size=80,
)
#: A path segment a client could send.
segment = st.text(
    alphabet=st.characters(min_codepoint=33, max_codepoint=0x2FF, exclude_characters="/?#%"),
    min_size=1,
    max_size=24,
)


def raw_json_body(draw_value: Any) -> bytes:
    return json.dumps(draw_value).encode()


@pytest.fixture
def fuzz_tenant(
    services: Services,
    tenant_id: int,  # noqa: F811 - the fixture imported above
    standin_provider: StandinProvider,  # noqa: F811
) -> TenantRecord:
    """The dashboard's tenant with a provider of every type (secrets set) stored in Saleor."""
    tenant = get_tenant_by_id(services, tenant_id)
    assert tenant is not None
    store = ConfigStore(services)
    config = store.load(tenant)
    store.save(
        tenant,
        AppConfig(
            revision=config.revision,
            settings=config.settings,
            rules=config.rules,
            providers=every_provider(standin_provider.url),
        ),
        expected_revision=config.revision,
    )
    return tenant


#: A statement that changes rows (a CTE in front of one included).
_WRITE = re.compile(r"\s*(WITH\b.*?\)\s*)?(INSERT|UPDATE|DELETE|REPLACE|MERGE)\b", re.I | re.S)


class CommittedWrites:
    """Counts the writing statements of every transaction that committed on one
    engine: a refused request must leave the count where it was. A transaction
    rolled back stored nothing and is not counted."""

    def __init__(self, engine: Engine) -> None:
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "commit", self._commit)
        event.listen(engine, "rollback", self._rollback)

    def _statement(self, conn: Connection, _cursor: Any, statement: str, *_: Any) -> None:
        if _WRITE.match(statement):
            conn.info["fuzz_writes"] = conn.info.get("fuzz_writes", 0) + 1

    def _commit(self, conn: Connection) -> None:
        self.count += conn.info.pop("fuzz_writes", 0)

    def _rollback(self, conn: Connection) -> None:
        conn.info.pop("fuzz_writes", None)


_WRITES: WeakKeyDictionary[Engine, CommittedWrites] = WeakKeyDictionary()


def committed_writes(services: Services) -> int:
    """Writes committed on the services' engine since the counting began (its first call)."""
    counter = _WRITES.get(services.engine)
    if counter is None:
        counter = _WRITES[services.engine] = CommittedWrites(services.engine)
    return counter.count


def snapshot(services: Services, standin: SaleorStandin) -> dict[str, Any]:
    """What a refusal must not change: the database (writes committed), the
    metadata stored in Saleor, the sandbox outbox and the queue."""
    outbox = services.settings.sandbox_outbox
    with services.redis.pipeline(transaction=False) as redis:  # one round trip
        redis.llen(services.queue.key)
        redis.keys("sms:webhook:*")
        queued, dedupe_keys = redis.execute()
    return {
        "database writes": committed_writes(services),
        "metadata": dict(standin.app_private_metadata),
        "outbox bytes": outbox.stat().st_size if outbox.exists() else 0,
        "queued": queued,
        "dedupe_keys": len(dedupe_keys),
    }


#: Target → answer (status and error code) → examples, printed after the run.
OUTCOMES: dict[str, Counter[str]] = defaultdict(Counter)


def assert_handled(
    target: str, answer: Any, before: dict[str, Any], after: dict[str, Any], what: str
) -> None:
    """No 500 (nor any 5xx: nothing here is down), a JSON reason on every refusal,
    and a refusal stored nothing."""
    body = answer.get_data(as_text=True)
    data = answer.get_json(silent=True)
    error = data.get("error") if isinstance(data, dict) else None
    code = error.get("code", "") if answer.status_code >= 400 and isinstance(error, dict) else ""
    OUTCOMES[target][f"{answer.status_code} {code}".strip()] += 1
    assert answer.status_code < 500, f"{what}: {answer.status_code} {body[:300]}"
    if answer.status_code >= 400:
        if answer.request.method != "HEAD":
            assert answer.get_json()["error"]["code"], f"{what}: {body[:300]}"
        assert after == before, f"{what}: refused with {answer.status_code} but changed state"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    """Per target: its answers, wall and CPU seconds, kept on the test's report so
    the summary adds them up under pytest-xdist too (``make chaos`` runs -n 2)."""
    if "fuzz" not in item.path.parts:
        return (yield)
    counts_before = {target: Counter(answers) for target, answers in OUTCOMES.items()}
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        return (yield)
    finally:
        for target, answers in OUTCOMES.items():
            new = answers - counts_before.get(target, Counter())
            if new:
                item.user_properties.append(
                    (
                        "fuzz",
                        {
                            "target": target,
                            "answers": dict(new),
                            "wall": time.perf_counter() - wall,
                            "cpu": time.process_time() - cpu,
                        },
                    )
                )


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Examples per target, the answers they reached, and the time they took
    (the README's fuzzing figures)."""
    targets: dict[str, dict[str, Any]] = {}
    for reports in terminalreporter.stats.values():
        for report in reports:
            if getattr(report, "when", None) != "call":
                continue  # the setup and teardown reports carry the same properties
            for name, value in getattr(report, "user_properties", []):
                if name != "fuzz":
                    continue
                found = targets.setdefault(
                    value["target"], {"answers": Counter(), "wall": 0.0, "cpu": 0.0}
                )
                found["answers"].update(value["answers"])
                found["wall"] += value["wall"]
                found["cpu"] += value["cpu"]
    if not targets:
        return
    terminalreporter.section(f"fuzzing: examples per target (FUZZ_EXAMPLES={FUZZ_EXAMPLES})")
    total_wall = total_cpu = 0.0
    for target, found in sorted(targets.items()):
        answers: Counter[str] = found["answers"]
        fives = sum(n for answer, n in answers.items() if answer.startswith("5"))
        # (The generic provider's descriptions are not requests: "valid" or "field error".)
        spread = ", ".join(f"{k}: {n}" for k, n in answers.most_common())
        terminalreporter.write_line(
            f"{target}: {sum(answers.values())} requests, {fives} of 5xx, "
            f"{found['wall']:.0f} s wall, {found['cpu']:.0f} s CPU ({spread})"
        )
        total_wall += found["wall"]
        total_cpu += found["cpu"]
    terminalreporter.write_line(
        f"all targets: {total_wall:.0f} s wall in the test processes, {total_cpu:.0f} s CPU"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The suite's 120 s per test is for ordinary tests; a fuzz target runs
    FUZZ_EXAMPLES requests (10,000 in `make chaos`) and gets half a second each."""
    limit = max(120, FUZZ_EXAMPLES // 2)
    for item in items:
        if "fuzz" in item.path.parts:
            item.add_marker(pytest.mark.timeout(limit))
