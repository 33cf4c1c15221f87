"""What the parent does alone between the stages of a cold build (issue 10, round 11): work that
a cold build cannot use is not done, and what it does still gives the same feeds and records."""
from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import post_text, three_format_site, tree_bytes

from feeds import build, load_config, pipeline
from feeds.bookkeeping import folder_of, manifest_file, owner_of

POSTS = {f"2022-03-{d:02d}-post-{d}.md": post_text(
    {"title": f"Post {d}", "date": f"2022-03-{d:02d} 10:00:00 +0800", "categories": ["news"],
     "tags": ["a", "b"] if d % 2 else ["a"]}, f"Body of *post* {d}.\n")
    for d in range(1, 9)}


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return three_format_site(tmp_path, monkeypatch, POSTS)


def _records(root: Path) -> dict[str, list[Any]]:
    """path -> [digest, inputs] as the manifest holds them (sizes and times left out)."""
    cfg = load_config(root / "config.yaml")
    files = json.loads(manifest_file(folder_of(cfg.output), owner_of(cfg.file)).read_text())["files"]
    return {path: entry[:2] for path, entry in files.items()}


def test_a_build_into_an_emptied_output_folder_asks_no_file_s_inputs_first(
        site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``rm -rf public`` leaves the records of every file, none of which is there to keep: the
    parent works out no fingerprint (the write tasks do), and the files and records come out as
    the first build made them."""
    first = build(load_config(site / "config.yaml"))
    assert first.written and not first.errors
    published, recorded = tree_bytes(site / "public"), _records(site)
    shutil.rmtree(site / "public")

    def refused(*args: Any) -> str:
        raise AssertionError("the parent worked out a fingerprint for an empty output folder")
    monkeypatch.setattr(pipeline, "fingerprint", refused)
    again = build(load_config(site / "config.yaml"), replay=False)
    assert sorted(again.written) == sorted(first.written) and again.unchanged == 0
    assert tree_bytes(site / "public") == published
    assert _records(site) == recorded


def test_an_output_folder_with_its_files_is_still_asked_file_by_file(site: Path) -> None:
    """The files there whose inputs did not change are kept, as before."""
    build(load_config(site / "config.yaml"))
    again = build(load_config(site / "config.yaml"), replay=False)
    assert not again.written and again.unchanged == len(_records(site)) > 0
