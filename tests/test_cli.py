"""The command line through CliRunner: exit codes, messages, summary, options over config, reruns."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from conftest import SITE_URL, parse_output, post_text, tree_bytes

from feeds.cli import main

SUMMARY = re.compile(r"^feeds: (\d+) posts read, (\d+) feeds written, (\d+) unchanged, (\d+) removed, "
                     r"(\d+) warnings, (\d+) errors \((\d+\.\d+) s\)$")
GOOD = {
    "2022-03-04-first.md": {"title": "First", "date": "2022-03-04 13:23:21 +0800", "categories": "news",
                            "tags": ["快递新闻"], "body": "Hello [there](there.html).\n"},
    "2022-03-05-second.md": {"title": "Second", "date": "2022-03-05 09:00:00", "categories": "sport"},
}
BROKEN = {"title": "Broken", "categories": "news", "date": "2022-13-45 10:00:00"}
NO_TITLE = {"date": "2022-03-06 10:00:00 +0800"}


@pytest.fixture
def site(make_site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> Callable[..., Path]:
    """site(posts=GOOD, config=None) -> the site folder, which is also the current folder."""
    def make(posts: dict[str, Any] | None = None, config: dict[str, Any] | None = None) -> Path:
        root = make_site(GOOD if posts is None else posts, config).parent
        monkeypatch.chdir(root)
        return root
    return make


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def summary(result: Result) -> dict[str, int]:
    line = result.stderr.rstrip("\n").splitlines()[-1]
    match = SUMMARY.match(line)
    assert match, f"no summary line: {line!r}"
    names = ("posts", "written", "unchanged", "removed", "warnings", "errors")
    return dict(zip(names, map(int, match.groups()[:6])))


def add_post(root: Path, name: str, front: dict[str, Any]) -> None:
    (root / "_posts" / name).write_text(post_text(front), encoding="utf-8")


def mtimes(root: Path) -> dict[str, int]:
    return {p: (root / p).stat().st_mtime_ns for p in tree_bytes(root)}


# --- build ---------------------------------------------------------------------------------------

def test_build_writes_every_feed_and_a_summary(site: Callable[..., Path]) -> None:
    root = site()
    result = run("build")
    assert result.exit_code == 0, result.output
    # site, news, sport and the tag, atom + rss each, the OPML and the index page
    assert summary(result) == {"posts": 2, "written": 10, "unchanged": 0, "removed": 0, "warnings": 0, "errors": 0}
    assert result.stdout == ""  # messages and the summary go to stderr
    feeds, opml = parse_output(root / "public")
    assert sorted(feeds) == ["feed.rss", "feed.xml", "feed/by_tag/快递新闻.rss", "feed/by_tag/快递新闻.xml",
                             "feed/news.rss", "feed/news.xml", "feed/sport.rss", "feed/sport.xml"]
    assert opml is not None
    assert [e.title for e in feeds["feed.xml"].entries] == ["Second", "First"]


def test_second_build_writes_nothing_and_changes_no_byte(site: Callable[..., Path]) -> None:
    root = site()
    assert run("build").exit_code == 0
    before, stamps = tree_bytes(root / "public"), mtimes(root / "public")
    again = run("build")
    assert again.exit_code == 0
    assert summary(again) == {"posts": 2, "written": 0, "unchanged": 10, "removed": 0, "warnings": 0, "errors": 0}
    assert tree_bytes(root / "public") == before
    assert mtimes(root / "public") == stamps  # not rewritten with the same bytes either


def test_a_changed_post_rewrites_only_its_feeds(site: Callable[..., Path]) -> None:
    root = site()
    run("build")
    before = tree_bytes(root / "public")
    add_post(root, "2022-03-05-second.md", {"title": "Second, corrected", "date": "2022-03-05 09:00:00",
                                             "categories": "sport"})
    result = run("build", "-v")
    assert result.exit_code == 0
    after = tree_bytes(root / "public")
    changed = sorted(p for p in after if after[p] != before.get(p))
    assert changed == ["feed.rss", "feed.xml", "feed/sport.rss", "feed/sport.xml"]
    written = sorted(line.removeprefix("wrote ") for line in result.stderr.splitlines() if line.startswith("wrote "))
    assert written == changed
    assert summary(result)["written"] == 4


def test_removed_category_feeds_are_removed_and_the_run_says_so(site: Callable[..., Path]) -> None:
    root = site()
    run("build")
    (root / "_posts" / "2022-03-05-second.md").unlink()
    result = run("build")
    assert result.exit_code == 0
    assert "removed feed/sport.xml (no posts produce it any more)" in result.stderr
    assert "removed feed/sport.rss (no posts produce it any more)" in result.stderr
    assert summary(result)["removed"] == 2
    assert not (root / "public/feed/sport.xml").exists() and not (root / "public/feed/sport.rss").exists()
    assert (root / "public/feed/news.xml").exists()


def test_files_feeds_did_not_write_are_never_touched(site: Callable[..., Path]) -> None:
    root = site()
    foreign = {"index.html": b"<h1>home</h1>", "feed/custom.xml": b"<rss/>", "feed/by_tag/README": b"mine",
               "feed/sport/notes.txt": b"keep"}
    for name, data in foreign.items():
        (root / "public" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "public" / name).write_bytes(data)
    stamps = {n: (root / "public" / n).stat().st_mtime_ns for n in foreign}
    assert run("build").exit_code == 0
    (root / "_posts" / "2022-03-04-first.md").unlink()  # the news and tag feeds go away
    result = run("build")
    assert summary(result)["removed"] == 4
    assert not (root / "public/feed/by_tag/快递新闻.xml").exists()
    for name, data in foreign.items():
        assert (root / "public" / name).read_bytes() == data
        assert (root / "public" / name).stat().st_mtime_ns == stamps[name]


def test_errors_exit_1_name_file_and_line_and_change_nothing(site: Callable[..., Path]) -> None:
    root = site()
    run("build")
    before, stamps = tree_bytes(root / "public"), mtimes(root / "public")
    add_post(root, "2022-03-06-broken.md", BROKEN)
    add_post(root, "2022-03-07-new.md", {"title": "New", "date": "2022-03-07 10:00 +0800"})
    result = run("build")
    assert result.exit_code == 1
    assert ("_posts/2022-03-06-broken.md:4: date: '2022-13-45 10:00:00' is not a real date "
            "(month must be in 1..12); correct it, as in 2022-03-04") in result.stderr.splitlines()
    assert "Error: nothing was written; fix the errors above, or pass --keep-going" in result.stderr
    assert summary(result)["errors"] == 1 and summary(result)["written"] == 0
    assert tree_bytes(root / "public") == before and mtimes(root / "public") == stamps


def test_keep_going_writes_what_could_be_read_and_still_exits_1(site: Callable[..., Path]) -> None:
    root = site()
    add_post(root, "2022-03-06-broken.md", BROKEN)
    result = run("build", "--keep-going")
    assert result.exit_code == 1
    assert "nothing was written" not in result.stderr
    counts = summary(result)
    assert (counts["posts"], counts["errors"], counts["written"]) == (2, 1, 10)
    feeds, _ = parse_output(root / "public")
    assert [e.title for e in feeds["feed.xml"].entries] == ["Second", "First"]


def test_no_output_folder_is_created_when_errors_stop_the_build(site: Callable[..., Path]) -> None:
    root = site({"2022-03-06-broken.md": BROKEN})
    assert run("build").exit_code == 1
    assert not (root / "public").exists() or tree_bytes(root / "public") == {}


def test_warnings_exit_0_unless_strict(site: Callable[..., Path]) -> None:
    site({**GOOD, "2022-03-06-untitled.md": NO_TITLE})
    result = run("build")
    assert result.exit_code == 0
    assert ("_posts/2022-03-06-untitled.md: warning: title: missing or empty; used 'Untitled' from the file name; "
            "add title: to the front matter") in result.stderr.splitlines()
    assert summary(result)["warnings"] == 1
    assert run("build", "--strict").exit_code == 1


def test_quiet_hides_warnings_but_not_errors_or_the_summary(site: Callable[..., Path]) -> None:
    site({**GOOD, "2022-03-06-untitled.md": NO_TITLE})
    quiet = run("build", "-q")
    assert quiet.exit_code == 0
    assert "warning:" not in quiet.stderr
    assert summary(quiet)["warnings"] == 1
    assert len(quiet.stderr.splitlines()) == 1
    add_post(Path.cwd(), "2022-03-07-broken.md", BROKEN)
    failed = run("build", "-q")
    assert failed.exit_code == 1
    assert "_posts/2022-03-07-broken.md:4: date:" in failed.stderr


def test_timezone_warning_names_the_count(site: Callable[..., Path]) -> None:
    site(config={"timezone": None})
    result = run("build")
    assert result.exit_code == 0
    warnings = [line for line in result.stderr.splitlines() if "timezone" in line]
    assert len(warnings) == 1 and "1 post(s)" in warnings[0]
    assert warnings[0].startswith("config.yaml: warning: timezone:")


def test_timezone_warning_names_the_config_given(make_site: Callable[..., Path], tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = make_site(GOOD, config={"timezone": None}, name="blog")
    monkeypatch.chdir(tmp_path)
    result = run("build", "--config", str(cfg))
    assert "blog/config.yaml: warning: timezone: not set; 1 post(s)" in result.stderr


def test_a_rerun_reports_the_same_warnings(site: Callable[..., Path]) -> None:
    root = site({})
    body = (Path(__file__).parent / "fixtures/posts/2022-03-04-control-chars-in-body.md").read_bytes()
    (root / "_posts/2022-03-04-control-chars-in-body.md").write_bytes(body)
    first = run("build", "--strict")
    second = run("build", "--strict")
    assert (first.exit_code, summary(first)["warnings"]) == (1, 1)
    assert (second.exit_code, summary(second)["warnings"]) == (1, 1)


# --- configuration and usage errors: exit 2 ------------------------------------------------------

def test_config_errors_exit_2_naming_the_key(site: Callable[..., Path]) -> None:
    site(config={"site": {"url": "news.example.com"}, "feeds": {"limit": "lots"}})
    result = run("build")
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert any(line.startswith("config.yaml: site.url: ") for line in lines), lines
    assert any(line.startswith("config.yaml: feeds.limit: ") for line in lines), lines
    assert not Path("public").exists()


def test_missing_config_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("build")
    assert result.exit_code == 2
    assert "no config.yaml or _config.yml in this folder" in result.stderr
    result = run("build", "--config", "other.yaml")
    assert result.exit_code == 2
    assert "other.yaml: config file not found" in result.stderr


@pytest.mark.parametrize("args", [["build", "--limit", "-1"], ["build", "--no-such-option"], ["nonsense"]])
def test_usage_errors_exit_2(site: Callable[..., Path], args: list[str]) -> None:
    site()
    assert run(*args).exit_code == 2


def test_unknown_config_keys_warn_and_build(site: Callable[..., Path]) -> None:
    site(config={"feeds": {"limt": 3}})
    result = run("build")
    assert result.exit_code == 0
    assert "config.yaml: warning: feeds.limt: unknown key, ignored; check its spelling against the README" \
        in result.stderr.splitlines()


# --- options override the config only when given ---------------------------------------------------

def test_options_override_the_config_only_when_given(site: Callable[..., Path], tmp_path: Path) -> None:
    root = site(config={"feeds": {"limit": 1}})
    run("build")
    feeds, _ = parse_output(root / "public")
    assert len(feeds["feed.xml"].entries) == 1  # the config's limit

    out = tmp_path / "elsewhere"
    assert run("build", "--limit", "0", "--output", str(out), "--base-url", "https://y.test/",
               "--timezone", "UTC").exit_code == 0
    feeds, _ = parse_output(out)
    atom = feeds["feed.xml"]
    assert len(atom.entries) == 2
    assert atom.entries[0].link == "https://y.test/sport/2022/03/05/second.html"
    assert atom.entries[0].published == "2022-03-05T09:00:00+00:00"  # --timezone, not the config's
    assert atom.entries[1].published == "2022-03-04T13:23:21+08:00"  # its own offset stays


def test_drafts_switch_both_ways(site: Callable[..., Path]) -> None:
    root = site({**GOOD, "2022-03-06-draft.md": {"title": "Draft", "date": "2022-03-06", "draft": True}},
                config={"build": {"drafts": True}})
    run("build")
    assert "Draft" in [e.title for e in parse_output(root / "public")[0]["feed.xml"].entries]
    run("build", "--no-drafts")
    assert "Draft" not in [e.title for e in parse_output(root / "public")[0]["feed.xml"].entries]


def test_config_option_points_at_another_folder(make_site: Callable[..., Path], tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = make_site(GOOD)
    monkeypatch.chdir(tmp_path)
    result = run("build", "--config", str(cfg))
    assert result.exit_code == 0
    assert (cfg.parent / "public" / "feed.xml").is_file()  # output is relative to the config file


# --- check and list ---------------------------------------------------------------------------------

def test_check_reads_everything_and_writes_nothing(site: Callable[..., Path]) -> None:
    root = site()
    result = run("check")
    assert result.exit_code == 0
    assert result.stderr.splitlines()[-1] == "feeds: 2 posts read, 4 feeds planned, 0 warnings, 0 errors"
    assert not (root / "public").exists()


def test_check_exit_codes(site: Callable[..., Path]) -> None:
    root = site({**GOOD, "2022-03-06-untitled.md": NO_TITLE})
    assert run("check").exit_code == 0
    assert run("check", "--strict").exit_code == 1
    add_post(root, "2022-03-07-broken.md", BROKEN)
    result = run("check")
    assert result.exit_code == 1
    assert "_posts/2022-03-07-broken.md:4: date:" in result.stderr
    assert not (root / "public").exists()


def test_list_json(site: Callable[..., Path]) -> None:
    site()
    result = run("list", "--json")
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert [(r["kind"], r["name"], r["slug"], r["entries"]) for r in rows] == [
        ("site", "Test News", "", 2), ("category", "news", "news", 1), ("category", "sport", "sport", 1),
        ("tag", "快递新闻", "快递新闻", 1)]
    tag = rows[-1]
    assert tag["files"] == [
        {"format": "atom", "path": "feed/by_tag/快递新闻.xml",
         "url": f"{SITE_URL}/feed/by_tag/%E5%BF%AB%E9%80%92%E6%96%B0%E9%97%BB.xml"},
        {"format": "rss", "path": "feed/by_tag/快递新闻.rss",
         "url": f"{SITE_URL}/feed/by_tag/%E5%BF%AB%E9%80%92%E6%96%B0%E9%97%BB.rss"}]


def test_list_table_and_options(site: Callable[..., Path]) -> None:
    root = site()
    result = run("list", "--limit", "1")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == 4
    assert lines[0].split() == ["site", "1", "Test", "News", "feed.xml", "feed.rss"]
    assert not (root / "public").exists()


def test_list_with_config_error_exits_2(site: Callable[..., Path]) -> None:
    site(config={"timezone": "Nowhere/Land"})
    result = run("list", "--json")
    assert result.exit_code == 2
    assert result.stderr.startswith("config.yaml: timezone: ")


def test_python_dash_m_feeds_help() -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)}
    done = subprocess.run([sys.executable, "-m", "feeds", "--help"], capture_output=True, text=True, env=env,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Usage: feeds" in done.stdout
    for command in ("build", "check", "list", "serve"):
        assert re.search(rf"^\s+{command}\s", done.stdout, re.M), command


# --- found in review: each of these crashed or misled before ------------------------------------

@pytest.mark.parametrize("cache", [{"path": None}, {"path": "not-a-folder"}])
def test_a_rerun_without_a_usable_cache_reports_the_same_warnings(site: Callable[..., Path],
                                                                  cache: dict[str, Any]) -> None:
    """No cache (or one that cannot be created: here a file sits where its folder would be),
    so nothing remembers what rendering said: the rerun must render again to warn the same."""
    root = site({}, {"cache": cache})
    (root / "not-a-folder").write_text("a file, not a folder")
    body = (Path(__file__).parent / "fixtures/posts/2022-03-04-control-chars-in-body.md").read_bytes()
    (root / "_posts/2022-03-04-control-chars-in-body.md").write_bytes(body)
    first, second = run("build", "--strict"), run("build", "--strict")
    assert (first.exit_code, summary(first)["warnings"]) == (1, 1)
    assert (second.exit_code, summary(second)["warnings"], summary(second)["written"]) == (1, 1, 0)


@pytest.mark.parametrize("config, key", [
    ({"timezone": "America"}, "timezone"),
    ({"posts": ["/abs/*.md"]}, "posts"),
    ({"posts": ["**x/*.md"]}, "posts"),
    ({"posts": ["../*.md"]}, "posts"),
])
def test_config_values_that_used_to_crash_exit_2(site: Callable[..., Path], config: dict[str, Any],
                                                 key: str) -> None:
    site(None, config)
    result = run("build")
    assert result.exit_code == 2 and f"{key}: expected" in result.stderr and "Traceback" not in result.stderr


def test_cache_false_turns_the_cache_off(site: Callable[..., Path]) -> None:
    root = site(None, {"cache": False})
    assert run("build").exit_code == 0
    assert not (root / ".feeds-cache").exists()


def test_two_feeds_on_one_path_is_an_error_naming_both(site: Callable[..., Path]) -> None:
    root = site(None, {"feeds": {"paths": {"site_atom": "feed/news.xml"}}})
    add_post(root, "2022-03-04-n.md", {"title": "N", "date": "2022-03-04 10:00:00 +0800", "categories": "news"})
    result = run("build")
    assert result.exit_code == 1
    assert "the category 'news' and the site feed would both be written to feed/news.xml" in result.stderr
    assert run("build", "--keep-going").exit_code == 1  # the first comer keeps the path; no file written twice
    assert "<title>Test News</title>" in (root / "public/feed/news.xml").read_text("utf-8")


def test_a_site_inside_a_folder_named_drafts_keeps_its_posts(make_site: Callable[..., Path], tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    config = make_site(GOOD)
    moved = tmp_path / "_drafts" / "blog"
    moved.parent.mkdir()
    config.parent.rename(moved)
    monkeypatch.chdir(moved)
    result = run("build")
    assert result.exit_code == 0 and summary(result)["posts"] == len(GOOD)
