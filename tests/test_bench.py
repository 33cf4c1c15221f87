"""The benchmark's helpers say what they do: the Hugo site holds the corpus's posts, the option
scenarios' configs set what they name and nothing else. No timing, no Hugo run."""
from __future__ import annotations

import dataclasses
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml

from feeds import load_config
from feeds.config import Config
from feeds.pipeline import load

BENCH = Path(__file__).parent.parent / "bench"
sys.path.insert(0, str(BENCH))

import corpus  # noqa: E402  (bench/ is not a package)
import hugo_site  # noqa: E402
import options  # noqa: E402

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("corpus")
    corpus.generate(60, 7, site)
    return site


def hugo_instant(value: object) -> datetime:
    """A Hugo front matter date as Hugo reads it: an offset if written, else the site's timeZone."""
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return when if when.tzinfo else when.replace(tzinfo=SHANGHAI)


def test_hugo_site_holds_the_corpus_posts_with_their_titles_dates_categories_and_tags(
        small_corpus: Path, tmp_path: Path) -> None:
    names = hugo_site.write_site(small_corpus, tmp_path / "hugo")
    posts, _, problems = load(load_config(small_corpus / "config.yaml"))
    assert not [p for p in problems if p.level == "error"]
    ours = {Path(p.file).name: p for p in posts}
    written = sorted((tmp_path / "hugo" / "content" / "posts").glob("*.md"))
    assert sorted(ours) == [p.name for p in written] and names.posts == len(ours) == 60
    for path in written:
        text = path.read_text(encoding="utf-8")
        front = yaml.safe_load(text.split("---\n")[1])
        post = ours[path.name]
        assert front["title"] == post.title
        assert hugo_instant(front["date"]) == post.date
        assert tuple(front["categories"]) == post.categories
        assert tuple(front["tags"]) == post.tags
        assert text.split("---\n", 2)[2] == (small_corpus / "_posts" / path.name).read_text(
            encoding="utf-8").split("\n---\n", 1)[1]
    assert names.categories == {c for p in posts for c in p.categories}
    assert names.tags == {t for p in posts for t in p.tags}
    assert any(len(p.categories) == 2 for p in posts) and any(len(p.tags) == 3 for p in posts)
    config = (tmp_path / "hugo" / "hugo.toml").read_text(encoding="utf-8")
    assert "limit = 20" in config and 'term = ["rss"]' in config and 'timeZone = "Asia/Shanghai"' in config


@pytest.mark.parametrize(("stamp", "expected"), [
    ("2022-03-04 13:23:21 +0800", "2022-03-04T13:23:21+08:00"),
    ("2022-03-04 13:23:21 -0530", "2022-03-04T13:23:21-05:30"),
    ("2022-03-04 13:23:21", "2022-03-04T13:23:21"),
    ("2022-03-04", "2022-03-04"),
])
def test_hugo_dates_keep_the_instant_and_the_form(stamp: str, expected: str) -> None:
    assert hugo_site.hugo_date(stamp) == expected


def option_config(tmp_path: Path, option: options.Option) -> Config:
    path = tmp_path / options.config_name(option)
    path.write_text(options.config_text(option), encoding="utf-8")
    return load_config(path)


@pytest.mark.parametrize("option", options.OPTIONS, ids=lambda o: o.name)
def test_each_option_config_sets_what_it_names_and_nothing_else(tmp_path: Path, option: options.Option) -> None:
    default = option_config(tmp_path, options.DEFAULT)
    cfg = option_config(tmp_path, option)
    assert default.output.name == "public" and cfg.output.name == f"public-{option.name}"
    expected = {
        "json": {"formats": ("atom", "rss", "json")},
        "index-off": {},
        "max-bytes-64k": {"max_bytes": 65536},
        "first-image": {"first_image": True},
        "excerpt": {"content": "excerpt"},
        "rss-only": {"formats": ("rss",)},
    }[option.name]
    assert cfg.feeds == dataclasses.replace(default.feeds, **expected)
    assert cfg.feeds != default.feeds or not expected
    assert dataclasses.replace(cfg, file=default.file, output=default.output, feeds=default.feeds) == default
    assert option.no_index == (option.name == "index-off")


def test_unknown_option_names_are_refused() -> None:
    assert [o.name for o in options.by_name("excerpt,json")] == ["excerpt", "json"]
    with pytest.raises(ValueError, match="unknown option scenario"):
        options.by_name("json,gzip")


def test_the_no_index_wrapper_writes_an_empty_index_page_and_every_feed(tmp_path: Path) -> None:
    site = tmp_path / "site"
    corpus.generate(12, 3, site)
    ran = subprocess.run([sys.executable, str(BENCH / "feeds_no_index.py"), "build", "--config",
                          str(site / "config.yaml"), "-q"], capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stderr
    public = site / "public"
    assert (public / "feeds.html").read_bytes() == b""
    assert (public / "feed.xml").stat().st_size > 0 and (public / "feeds.opml").stat().st_size > 0


def test_the_fresh_clone_target_takes_touch_one_as_its_no_change_reference() -> None:
    """A fresh clone can never skip looking at every post (every mtime is new): its target is
    measured against the rebuild that cannot skip either (touch-one), and falls back to no-change."""
    import run  # noqa: PLC0415  (bench/run.py, on sys.path above)

    (plan,) = run.parse_plans("1k:fresh-clone")
    assert set(plan.scenarios) == {"fresh-clone", "touch-one", "write-bytes"}

    def result(scenario: str, wall: float) -> run.Result:
        return run.Result(1000, scenario, [run.Sample(wall, wall, 1.0)])

    report = run.SizeReport(plan, {}, [result("fresh-clone", 3.0), result("no-change", 0.1),
                                       result("write-bytes", 0.5)])
    assert "| 0.10 (no-change) | 0.50 (0) | 0.70 | **4.29×**" in run.fresh_clone_table([report])
    report.results.append(result("touch-one", 1.0))
    assert "| 1.00 (touch-one) | 0.50 (0) | 2.50 | **1.20×**" in run.fresh_clone_table([report])


def test_the_cold_builds_start_from_every_corpus_file_read_once(tmp_path: Path) -> None:
    """``warm_files`` reads every byte of every file, in nested folders too, so that no cold build
    of a run (ours first, then Hugo's) is the one that pays for the disk."""
    import run  # noqa: PLC0415  (bench/run.py, on sys.path above)

    sizes = {"a.md": 0, "b.md": 3_000_001, "deep/er/c.md": 17}
    for name, size in sizes.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x" * size)
    assert run.warm_files(tmp_path) == sum(sizes.values())
