"""Every GraphQL document the app ships is one the real Saleor 3.23 accepts.

Validated with graphql-core against ``graphql/schema.graphql`` (the
real schema), so a field renamed or removed by Saleor fails here, not in a
merchant's shop.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import OperationDefinitionNode, parse

from saleor_sms_app.saleor import documents
from saleor_sms_app.saleor.events import EVENTS
from saleor_sms_app.saleor.manifest import build_manifest
from tests.standin.saleor import validate_document

DOCUMENT_FILES = sorted(
    p
    for kind in ("queries", "mutations", "subscriptions")
    for p in (documents.GRAPHQL_DIR / kind).glob("*.graphql")
)


def test_there_are_documents_to_check() -> None:
    assert {p.stem for p in DOCUMENT_FILES} >= {"AppId", *(e.subscription for e in EVENTS)}


@pytest.mark.parametrize("path", DOCUMENT_FILES, ids=lambda p: p.stem)
def test_document_validates_against_the_saleor_schema(path: Path) -> None:
    text = documents.load(path.stem)
    assert validate_document(text) == []


@pytest.mark.parametrize("path", DOCUMENT_FILES, ids=lambda p: p.stem)
def test_file_name_is_the_operation_name(path: Path) -> None:
    operations = [
        d for d in parse(path.read_text()).definitions if isinstance(d, OperationDefinitionNode)
    ]
    assert len(operations) == 1
    assert operations[0].name is not None and operations[0].name.value == path.stem
    assert path.parent.name == operations[0].operation.value.replace("query", "querie") + "s"


def test_every_manifest_subscription_validates() -> None:
    manifest = build_manifest("https://sms.example.com")
    assert len(manifest["webhooks"]) == len(EVENTS)
    for webhook in manifest["webhooks"]:
        assert validate_document(webhook["query"]) == [], webhook["name"]


def test_an_invalid_document_is_rejected() -> None:
    # The check can fail: a field Saleor does not have.
    problems = validate_document(
        "subscription X { event { ... on OrderCreated { order { nope } } } }"
    )
    assert problems and "nope" in problems[0]


def test_fragments_are_files_too() -> None:
    for path in (documents.GRAPHQL_DIR / "fragments").glob("*.graphql"):
        assert documents.fragment(path.stem).strip().startswith(("fragment", "#"))
    assert not (documents.GRAPHQL_DIR / "__init__.py").exists()
