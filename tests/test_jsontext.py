"""jsontext: json.dumps's text from an encoder made once; the ledger and the manifests use it."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feeds import bookkeeping, ledger
from feeds.jsontext import dumps_function

VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12)
OPTIONS = [{}, {"ensure_ascii": False}, {"separators": (",", ":")},
           {"ensure_ascii": False, "separators": (",", ":"), "sort_keys": True}, {"sort_keys": True}]


@pytest.mark.parametrize("options", OPTIONS)
@given(value=VALUES)
def test_the_same_text_as_json_dumps(options: dict[str, Any], value: Any) -> None:
    assert dumps_function(**options)(value) == json.dumps(value, **options)


@pytest.mark.parametrize("value", [{1: "int key"}, {"a": {2.5: [None]}}, [float("inf"), -0.0], ("é", "\u2028")])
def test_the_neighbours_json_dumps_converts(value: Any) -> None:
    for options in OPTIONS[:4]:
        assert dumps_function(**options)(value) == json.dumps(value, **options)


def test_what_json_cannot_write_is_refused_alike() -> None:
    for value in ({"a": object()}, [b"bytes"], {("t",): 1}):
        with pytest.raises(TypeError):
            json.dumps(value)
        with pytest.raises(TypeError):
            dumps_function()(value)


@pytest.fixture
def encoders(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every JSONEncoder made while the test runs (json.dumps makes one per call given options)."""
    made: list[int] = []

    class Counted(json.JSONEncoder):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            made.append(1)
            super().__init__(*args, **kwargs)
    monkeypatch.setattr(json, "JSONEncoder", Counted)
    return made


def test_writing_a_ledger_makes_no_encoder_per_row(tmp_path: Path, encoders: list[int]) -> None:
    rows = {f"_posts/2022-01-01-p{i}.md": ledger.Row(f"{i:032x}", (f"https://x.test/{i}.html",)) for i in range(200)}
    ledger._write(tmp_path / "ids.json", rows)
    assert len(encoders) == 0
    data = json.loads((tmp_path / "ids.json").read_bytes())
    assert data["posts"]["_posts/2022-01-01-p7.md"] == [f"{7:032x}", ["https://x.test/7.html"]]


def test_writing_a_manifest_makes_no_encoder_per_file(encoders: list[int]) -> None:
    manifest = {"files": {f"feed/tag-{i}.xml": {"digest": f"{i:x}", "inputs": "é"} for i in range(200)}}
    text = bookkeeping.json_lines(manifest)
    assert len(encoders) == 0
    assert json.loads(text) == manifest
