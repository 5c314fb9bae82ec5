"""The chaos run's search for secrets in plain text (issue 11 item 8) finds what it
is there to find: a secret in a log file, a table row or Saleor's metadata."""

from __future__ import annotations

from pathlib import Path

from saleor_sms_app.services import Services
from tests.chaos.cluster import Cluster
from tests.providers.conftest import log_message
from tests.standin.saleor import SaleorStandin


def test_the_search_finds_a_secret_in_a_log_a_row_and_the_metadata(
    services: Services, tmp_path: Path, saleor_standin: SaleorStandin
) -> None:
    tenant_id = saleor_standin.store_installation(services).id
    cluster = Cluster(tmp_path, "sqlite")
    cluster.services = services
    cluster.secrets = {"token": "needle-5f0c2", "key": "needle-9a7e1", "other": "needle-unused"}
    assert cluster.secrets_in_plain_text() == []
    (tmp_path / "web.log").write_text("GET /x?token=needle-5f0c2\n")
    log_message(services, tenant_id, body="your code is needle-9a7e1")
    cluster.saleor.app_private_metadata["sms.config"] = '{"secret": "needle-5f0c2"}'
    assert cluster.secrets_in_plain_text() == [
        "token in web.log",
        "token in Saleor metadata",
        "key in database rows",
    ]
