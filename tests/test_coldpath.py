"""The cold build's write path: fragments made where posts are rendered and trusted as this
build's own, earlier builds' fragments still checked, what the cache stores, the id ledger."""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import post_text, tree_bytes, write_site

from feeds import build, load_config

POSTS = {f"2022-03-{d:02d}-post-{d}.md": post_text(
    {"title": f"Post {d}", "date": f"2022-03-{d:02d} 10:00:00 +0800", "categories": ["news"],
     "tags": ["a", "b"] if d % 2 else ["a"]}, f"Body of *post* {d}.\n\n![pic](https://img.test/{d}.png)\n")
    for d in range(1, 13)}


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "site"
    write_site(root, dict(POSTS), {"feeds": {"formats": ["atom", "rss", "json"]}, "build": {"jobs": 1}})
    monkeypatch.chdir(root)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    return root


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every fragment_ok call of the build (format); the write workers' memory of fragments off,
    so that each feed reads its entries' fragments back from the cache."""
    from feeds import fragments
    from feeds.cache import WorkerCache

    seen: list[str] = []
    real = fragments.fragment_ok

    def counted(fmt: str, *args: Any) -> bool:
        seen.append(fmt)
        return real(fmt, *args)
    monkeypatch.setattr(fragments, "fragment_ok", counted)
    monkeypatch.setattr(WorkerCache, "MEMO_BYTES", 0)
    return seen


def run(root: Path) -> dict[str, bytes]:
    result = build(load_config(root / "config.yaml"))
    assert not result.errors and not result.warnings, result.problems
    return tree_bytes(root / "public")


def test_a_cold_build_checks_none_of_its_own_fragments(site: Path, checks: list[str]) -> None:
    """The render stage makes each post's fragments and stores them with its content: every feed
    that carries the post reads them back, and none is checked (they are this build's own)."""
    run(site)
    assert checks == []


def test_fragments_an_earlier_build_made_are_checked(site: Path, checks: list[str]) -> None:
    """A fresh clone (cache kept, output and records gone): the fragments are input, each checked."""
    cold = run(site)
    shutil.rmtree(site / "public")
    shutil.rmtree(site / ".public.feeds")
    checks.clear()
    assert run(site) == cold
    assert {"atom", "rss", "json"} <= set(checks)
