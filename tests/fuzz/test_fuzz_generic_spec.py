"""The generic provider's JSON description, fuzzed: any text or JSON is either a
valid description or a ProviderConfigError naming fields (what the dashboard
shows), never another exception; a valid one parses any delivery report without
raising, and builds its request for any message."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from saleor_sms_app.config.model import AppConfig, ProviderConfig
from saleor_sms_app.config.store import problems
from saleor_sms_app.egress import EgressPolicy
from saleor_sms_app.providers.base import CallbackRequest, ProviderContext
from saleor_sms_app.providers.generic import PLACEHOLDERS, GenericProvider, parse_spec
from saleor_sms_app.providers.models import ProviderConfigError
from tests.fuzz.conftest import FUZZ, OUTCOMES, json_values

TARGET = "generic provider descriptions"

placeholder_text = st.lists(
    st.sampled_from([f"{{{p}}}" for p in PLACEHOLDERS] + ["{nope}", "{", "}"])
    | st.text(max_size=8),
    max_size=4,
).map("".join)
path_text = st.lists(st.sampled_from(["id", "data", "0", "status", "error", ""]), max_size=3).map(
    ".".join
)
specs = st.fixed_dictionaries(
    {
        # Hosts are IP literals: the save-time check would resolve names, and
        # tests never leave loopback (DNS included).
        "url": st.sampled_from(["https://93.184.216.34/send", "http://127.0.0.1:1/x", "ftp://x"])
        | placeholder_text.map(lambda t: "https://93.184.216.34/" + t)
        | json_values,
        "message_id_path": path_text | json_values,
    },
    optional={
        "method": st.sampled_from(["GET", "POST", "PUT", "DELETE"]) | json_values,
        "headers": st.dictionaries(st.text(max_size=10), placeholder_text, max_size=3)
        | json_values,
        "body_format": st.sampled_from(["json", "form", "query", "xml"]) | json_values,
        "body": st.dictionaries(st.text(max_size=10), placeholder_text | json_values, max_size=4),
        "error_path": path_text | json_values,
        "error_code_path": path_text | json_values,
        "success_path": path_text | json_values,
        "success_values": st.lists(st.text(max_size=8), max_size=3) | json_values,
        "errors": st.dictionaries(
            st.text(max_size=8),
            st.sampled_from(["insufficient_funds", "invalid_number", "bogus"]) | json_values,
            max_size=3,
        ),
        "delivery": st.fixed_dictionaries(
            {"id_path": path_text, "status_path": path_text},
            optional={"delivered": st.lists(st.text(max_size=8), max_size=3)},
        )
        | json_values,
        "extra": json_values,
    },
)
documents = st.fixed_dictionaries(
    {
        # 0-6: a spec-shaped object, 7-8: any JSON, 9: any text.
        "shape": st.integers(0, 9),
        "spec": specs,
        "junk": json_values,
        "text": st.text(max_size=200),
        "report": json_values,
        "form": st.dictionaries(st.text(max_size=8), st.text(max_size=20), max_size=4),
    }
)


@FUZZ
@given(document=documents)
def test_any_description_is_valid_or_names_its_fields(document: dict[str, Any]) -> None:
    shape = document["shape"]
    text = (
        json.dumps(document["spec"])
        if shape < 7
        else json.dumps(document["junk"])
        if shape < 9
        else document["text"]
    )
    config = ProviderConfig(id="g", type="generic", options={"spec": text}, secrets={"secret": "k"})
    try:
        spec = parse_spec(text)
    except ProviderConfigError as exc:
        assert exc.fields and all(k.startswith("spec") for k in exc.fields), exc.fields
        found = problems(AppConfig(providers=[config]), EgressPolicy())
        assert any(k.startswith("providers.0.spec") for k in found), found
        OUTCOMES[TARGET]["field error"] += 1
        return
    assert spec.url
    # The save-time checks never raise either, whatever the URL.
    problems(AppConfig(providers=[config]), EgressPolicy())
    adapter = GenericProvider(config, ProviderContext())
    for body in (json.dumps(document["report"]).encode(), b"\xff\x00{"):
        request = CallbackRequest("POST", "https://app.example/cb", {}, body, form=document["form"])
        for event in adapter.parse_callback(request):
            assert event.provider_message_id
    OUTCOMES[TARGET]["valid"] += 1
