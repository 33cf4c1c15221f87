"""Golden output: the repo's example site (config.yaml + example/) built byte for byte.

tests/golden/ holds every file a build of the example writes (the hidden ``.feeds-*``
bookkeeping files aside). When a change to the output is intended, regenerate it with

    pytest tests/test_golden.py --update-golden

then review ``git diff tests/golden`` like any other change and commit it with the code.
Without the switch this test only compares, and never writes to tests/golden/.
"""
from __future__ import annotations

import difflib
import shutil
from pathlib import Path

import pytest
from conftest import REPO, build_config, tree_bytes

GOLDEN = Path(__file__).parent / "golden"
EPOCH = "1700000000"  # 2023-11-14: after every example post, so none is left out as future


def build_example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """Build a copy of the example (so the repo gets no output or cache) into tmp_path/out."""
    site = tmp_path / "site"
    site.mkdir()
    shutil.copyfile(REPO / "config.yaml", site / "config.yaml")
    shutil.copytree(REPO / "example", site / "example")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    monkeypatch.chdir(site)
    built = build_config(site / "config.yaml", output=str(tmp_path / "out"))
    return tree_bytes(built.output)


def describe(expected: dict[str, bytes], actual: dict[str, bytes]) -> str:
    lines = [f"missing: {p}" for p in sorted(set(expected) - set(actual))]
    lines += [f"unexpected: {p}" for p in sorted(set(actual) - set(expected))]
    changed = sorted(p for p in set(expected) & set(actual) if expected[p] != actual[p])
    lines += [f"changed: {p}" for p in changed]
    if changed:
        first = changed[0]
        lines += difflib.unified_diff(expected[first].decode().splitlines(), actual[first].decode().splitlines(),
                                      f"golden/{first}", f"built/{first}", lineterm="", n=2)
    return "\n".join(lines[:80]) + "\n(run pytest --update-golden if the change is intended)"


def test_example_site_matches_golden(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, update_golden: bool) -> None:
    actual = build_example(tmp_path, monkeypatch)
    if update_golden:
        shutil.rmtree(GOLDEN, ignore_errors=True)
        for relative, data in actual.items():
            (GOLDEN / relative).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN / relative).write_bytes(data)
        pytest.skip(f"tests/golden/ rewritten ({len(actual)} files); review git diff tests/golden")
    assert GOLDEN.is_dir(), "tests/golden/ is missing: run pytest --update-golden once"
    expected = tree_bytes(GOLDEN)
    assert actual == expected, describe(expected, actual)


def test_golden_tree_is_what_the_example_promises() -> None:
    """Independent of the bytes: the shapes the example exists to show are in the golden tree."""
    files = tree_bytes(GOLDEN)
    for path in ("feed.xml", "feed.rss", "feeds.opml", "feed/news.xml", "feed/techweb.xml",
                 "feed/21caijingapp.rss", "feed/by_tag/快递新闻.xml", "feed/by_tag/open-source.rss"):
        assert path in files, path
    site_atom = files["feed.xml"].decode()
    assert "2022-03-04T13:23:21+08:00" in site_atom  # the +0800 post keeps its offset
    assert "2022-03-05T08:05:00-04:00" in site_atom  # the one-digit hour keeps -04:00
    assert "2021-12-08T10:46:18+08:00" in site_atom  # naive: Asia/Shanghai from the config
    assert "草稿" not in site_atom and "未发布" not in site_atom  # the draft and the unpublished post
    assert "<updated>2022-03-07T10:15:00+08:00</updated>" in site_atom.split("<entry>")[0]  # newest updated
    assert b"<lastBuildDate>Sun, 06 Mar 2022 09:00:00 +0800</lastBuildDate>" in files["feed.rss"]
    assert not any(p.startswith("feed/techweb") and p != "feed/techweb.xml" and p != "feed/techweb.rss"
                   for p in files)  # TechWeb and Techweb share one feed
