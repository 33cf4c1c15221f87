"""Config and command line, second round: the cache key's words, SOURCE_DATE_EPOCH, --json for build
and check, serve --keep-going, progress on a terminal, TOML front matter, nothing read, empty globs,
and the slug-clash warning naming posts."""
from __future__ import annotations

import html
import json
import os
import re
import sys
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result
from conftest import CST, DEFAULT_CONFIG, make_post, unit_config
from hypothesis import example, given
from hypothesis import strategies as st

from feeds import cli
from feeds.errors import ConfigError
from feeds.group import group_posts
from feeds.posts import build_time, split_front_matter

GOOD = {
    "2022-03-04-first.md": {"title": "First", "date": "2022-03-04 13:23:21 +0800", "categories": "news"},
    "2022-03-05-second.md": {"title": "Second", "date": "2022-03-05 09:00:00", "tags": ["a"]},
}
BROKEN = {"title": "Broken", "date": "2022-13-45 10:00:00"}


@pytest.fixture
def site(make_site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> Callable[..., Path]:
    """site(posts=GOOD, config=None, extra="") -> the site folder (the current folder); ``extra``
    is YAML text appended to config.yaml as written, so that `cache: no` stays what a user types."""
    def make(posts: dict[str, Any] | None = None, config: dict[str, Any] | None = None, extra: str = "") -> Path:
        root = make_site(GOOD if posts is None else posts, config).parent
        if extra:
            with (root / "config.yaml").open("a", encoding="utf-8") as file:
                file.write(extra)
        monkeypatch.chdir(root)
        return root
    return make


@pytest.fixture(autouse=True)
def no_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)


def run(*args: str) -> Result:
    return CliRunner().invoke(cli.main, list(args), catch_exceptions=False)


def folders(root: Path) -> set[str]:
    return {p.name for p in root.iterdir() if p.is_dir()} - {"_posts", "public", ".public.feeds"}  # records of public/


# --- cache: the words true / no / off, and values that are no folder ------------------------------

@pytest.mark.parametrize("extra", ["cache: no\n", "cache: off\n", "cache: false\n", "cache: 'false'\n",
                                   "cache:\n", "cache: ''\n", "cache:\n  path: no\n", "cache:\n  path: null\n",
                                   "cache: NO\n"])
def test_cache_words_for_none_make_no_folder(site: Callable[..., Path], extra: str) -> None:
    root = site(extra=extra)
    assert run("build").exit_code == 0
    assert folders(root) == set()


@pytest.mark.parametrize("extra", ["cache: true\n", "cache: yes\n", "cache: on\n", "cache:\n  path: true\n",
                                   "cache: {}\n", "cache: True\n"])
def test_cache_words_for_yes_mean_the_default_folder(site: Callable[..., Path], extra: str) -> None:
    root = site(extra=extra)
    assert run("build").exit_code == 0
    assert folders(root) == {".feeds-cache"}


@pytest.mark.parametrize("extra, path", [("cache: my-cache\n", "my-cache"), ("cache:\n  path: c/d\n", "d"),
                                         ("cache: 'no cache'\n", "no cache")])
def test_cache_folders_are_still_folders(site: Callable[..., Path], extra: str, path: str) -> None:
    root = site(extra=extra)
    assert run("build").exit_code == 0
    assert path in {p.name for p in root.rglob("*") if p.is_dir()}


@pytest.mark.parametrize("extra", ["cache: [a, b]\n", "cache:\n  path: [a]\n", "cache:\n  path: {x: 1}\n",
                                   "cache: \"a\\x01b\"\n"])
def test_cache_values_that_are_no_folder_are_config_errors(site: Callable[..., Path], extra: str) -> None:
    root = site(extra=extra)
    result = run("build")
    assert result.exit_code == 2
    assert "cache" in result.stderr and "expected a folder, true" in result.stderr
    assert "Traceback" not in result.stderr and folders(root) == set()


# --- SOURCE_DATE_EPOCH ------------------------------------------------------------------------------

BAD_EPOCHS = ["99999999999999", "253402300800", "-5", "abc", "1e9", "12.5", "+5", "9" * 5000, "١٢٣", "0x10"]


@pytest.mark.parametrize("value", BAD_EPOCHS)
@pytest.mark.parametrize("command", ["build", "check", "list"])
def test_a_malformed_source_date_epoch_exits_2_naming_it(site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch,
                                                         value: str, command: str) -> None:
    root = site()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    result = run(command)
    assert result.exit_code == 2, result.stderr
    assert result.stderr.startswith("SOURCE_DATE_EPOCH: expected whole seconds")
    assert "Traceback" not in result.stderr and not (root / "public").exists()


@pytest.mark.parametrize("value, posts", [("253402300799", 2), (" 1646400000 ", 1), ("0", 0), ("", 2)])
def test_a_good_source_date_epoch_sets_now(site: Callable[..., Path], monkeypatch: pytest.MonkeyPatch,
                                           value: str, posts: int) -> None:
    site()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)  # 1646400000: 2022-03-04 13:20 UTC, between the two
    result = run("check", "--json")
    assert (result.exit_code, json.loads(result.stdout)["posts"]) == (0, posts), result.stderr


@given(st.one_of(st.text(alphabet=st.characters(blacklist_characters="\0", blacklist_categories=("Cs",)),
                         max_size=30), st.integers(min_value=-10**20, max_value=10**20).map(str)))
@example("99999999999999")
def test_any_source_date_epoch_is_a_time_or_a_config_error(value: str) -> None:
    before = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = value
    try:
        build_time()
    except ConfigError as exc:
        assert exc.problems[0].path == "SOURCE_DATE_EPOCH"
    finally:
        if before is None:
            del os.environ["SOURCE_DATE_EPOCH"]
        else:
            os.environ["SOURCE_DATE_EPOCH"] = before


# --- list --json, build --json, check --json --------------------------------------------------------

def test_list_json_exits_1_on_errors_like_the_table(site: Callable[..., Path]) -> None:
    site({**GOOD, "2022-03-07-broken.md": BROKEN})
    table, as_json = run("list"), run("list", "--json")
    assert table.exit_code == as_json.exit_code == 1
    assert "_posts/2022-03-07-broken.md:" in as_json.stderr
    assert [row["kind"] for row in json.loads(as_json.stdout)] == ["site", "category", "tag"]


def problem_rows(document: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [(p["path"], p["line"], p["level"], p["message"].split(":")[0]) for p in document["problems"]]


def test_build_json_counts_files_and_every_problem(site: Callable[..., Path]) -> None:
    root = site({**GOOD, "2022-03-06-untitled.md": {"date": "2022-03-06 10:00:00 +0800"}})
    result = run("build", "--json")
    assert result.exit_code == 0
    document = json.loads(result.stdout)
    assert set(document) == {"command", "exit_code", "posts", "feeds", "written", "unchanged", "removed", "wrote",
                             "seconds", "warnings", "errors", "problems"}
    assert {k: document[k] for k in ("command", "exit_code", "posts", "feeds", "unchanged", "removed", "wrote",
                                     "warnings", "errors")} == {
        "command": "build", "exit_code": 0, "posts": 3, "feeds": 3, "unchanged": 0, "removed": [], "wrote": True,
        "warnings": 1, "errors": 0}
    assert sorted(document["written"]) == sorted(
        ["feed.xml", "feed.rss", "feed/news.xml", "feed/news.rss", "feed/by_tag/a.xml", "feed/by_tag/a.rss",
         "feeds.opml", "feeds.html"])
    assert problem_rows(document) == [("_posts/2022-03-06-untitled.md", None, "warning", "title")]
    assert "feeds: 3 posts read" in result.stderr  # the human summary stays on stderr
    (root / "_posts" / "2022-03-05-second.md").unlink()
    again = json.loads(run("build", "--json", "-q").stdout)
    assert again["removed"] == ["feed/by_tag/a.xml", "feed/by_tag/a.rss"] or sorted(again["removed"]) == sorted(
        ["feed/by_tag/a.xml", "feed/by_tag/a.rss"])


def test_build_json_with_errors_exit_code_matches(site: Callable[..., Path]) -> None:
    site({**GOOD, "2022-03-07-broken.md": BROKEN})
    result = run("build", "--json", "--strict")
    document = json.loads(result.stdout)
    assert result.exit_code == document["exit_code"] == 1
    assert (document["wrote"], document["written"], document["errors"]) == (False, [], 1)
    assert problem_rows(document) == [("_posts/2022-03-07-broken.md", 3, "error", "date")]


def test_build_json_on_a_config_error_and_an_output_error(site: Callable[..., Path]) -> None:
    root = site(config={"timezone": "Nowhere/Land"})
    result = run("build", "--json")
    document = json.loads(result.stdout)
    assert result.exit_code == document["exit_code"] == 2
    assert problem_rows(document) == [("config.yaml", None, "error", "timezone")]
    assert (document["posts"], document["written"]) == (0, [])
    (root / "config.yaml").write_text(yaml.safe_dump(DEFAULT_CONFIG), encoding="utf-8")
    (root / "public").mkdir()
    (root / "public" / "feed.xml").write_text("mine")  # a file feeds did not write, in its way
    result = run("build", "--json")
    document = json.loads(result.stdout)
    assert result.exit_code == document["exit_code"] == 1
    [(path, line, level, message)] = [tuple(p.values()) for p in document["problems"]]
    assert (path, line, level) == ("public", None, "error") and "not written by feeds" in message


def test_check_json(site: Callable[..., Path]) -> None:
    site({**GOOD, "2022-03-07-broken.md": BROKEN})
    result = run("check", "--json")
    document = json.loads(result.stdout)
    assert result.exit_code == document["exit_code"] == 1
    assert {k: document[k] for k in ("command", "posts", "feeds", "warnings", "errors")} == {
        "command": "check", "posts": 2, "feeds": 3, "warnings": 0, "errors": 1}
    assert problem_rows(document) == [("_posts/2022-03-07-broken.md", 3, "error", "date")]
    assert "feeds: 2 posts read, 3 feeds planned" in result.stderr


# --- serve --keep-going -------------------------------------------------------------------------------

@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Path]]:
    calls: list[Path] = []
    monkeypatch.setattr("feeds.serve.serve", lambda directory, *args, **kwargs: calls.append(directory))
    yield calls


def test_serve_stops_on_errors_unless_keep_going(site: Callable[..., Path], served: list[Path]) -> None:
    root = site({**GOOD, "2022-03-07-broken.md": BROKEN})
    result = run("serve", "--port", "0")
    assert (result.exit_code, served) == (1, [])
    assert "pass --keep-going" in result.stderr
    result = run("serve", "--port", "0", "--keep-going")
    assert result.exit_code == 0 and served == [root / "public"]
    assert "_posts/2022-03-07-broken.md:3: date:" in result.stderr
    assert (root / "public" / "feed.xml").is_file()


# --- progress on a terminal ------------------------------------------------------------------------

def test_the_counter_ends_at_n_of_n_before_anything_else(capsys: pytest.CaptureFixture[str]) -> None:
    counter = cli.Counter()
    counter("read", 500, 1000)
    counter("render", 1, 2)  # a new stage: the one before was done
    counter("render", 2, 2)
    counter("write", 500, 565)
    counter.finish()
    assert capsys.readouterr().err == ("\rread: 500/1000   \rread: 1000/1000   \n\rrender: 1/2   \rrender: 2/2   \n"
                                       "\rwrite: 500/565   \rwrite: 565/565   \n")
    counter("write", 100, 565)
    counter.finish(completed=False)  # interrupted: the line ends, no false 565/565
    counter.finish()  # nothing open: nothing printed
    assert capsys.readouterr().err == "\rwrite: 100/565   \n"


def test_a_build_on_a_terminal_ends_the_counter_before_the_summary(site: Callable[..., Path],
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    tags = [f"t{i}" for i in range(100)]  # 101 feeds (100 names is the cap): the core reports at 100 only
    site({"2022-03-04-many.md": {"title": "Many", "date": "2022-03-04 10:00:00 +0800", "tags": tags}})
    monkeypatch.setattr(cli, "_terminal", lambda: True)
    lines = run("build").stderr.split("\n")
    assert any(line.endswith("\rwrite: 101/101   ") for line in lines), lines
    assert lines[-2].startswith("feeds: 1 posts read, 204 feeds written"), lines  # + OPML, index page


# --- TOML front matter, nothing read, empty globs -----------------------------------------------------

HUGO = '+++\ntitle = "Hello Hugo"\ndate = 2022-03-04T13:23:21+08:00\ncategories = ["news"]\n' \
       'tags = ["go", "static"]\ndraft = false\n+++\nHello *there*.\n'
ZOLA = '+++\ntitle = "Hello Zola"\ndate = 2022-03-05\n\n[taxonomies]\ntags = ["rust"]\n+++\nBody.\n'


def test_hugo_and_zola_toml_front_matter_is_read(site: Callable[..., Path]) -> None:
    root = site({"content/posts/hello.md": HUGO, "content/posts/zola.md": ZOLA,
                 "content/posts/draft.md": HUGO.replace("draft = false", "draft = true")},
                {"posts": ["content/posts/*.md"]})
    result = run("list", "--json")
    assert result.exit_code == 0, result.stderr
    rows = {(r["kind"], r["name"]): r["entries"] for r in json.loads(result.stdout)}
    assert rows == {("site", "Test News"): 2, ("category", "news"): 1, ("tag", "go"): 1, ("tag", "static"): 1,
                    ("tag", "rust"): 1}
    assert run("build").exit_code == 0
    feed = html.unescape((root / "public" / "feed.xml").read_text("utf-8"))
    assert "2022-03-04T13:23:21+08:00" in feed and "Hello Zola" in feed and "<em>there</em>" in feed


@pytest.mark.parametrize("text, line, words", [
    ('+++\ntitle = "x"\ndate = \n+++\n', 3, "TOML: Invalid value"),
    ('+++\ntitle = "x"\ntitle = "y"\n+++\n', 3, "TOML: Cannot overwrite a value"),
    ('+++\ntitle = "x\n+++\n', 2, "TOML: "),
    ('+++\ntitle = "x"\n', 1, "front matter is never closed; add a line '+++'"),
])
def test_broken_toml_front_matter_names_the_line(text: str, line: int, words: str) -> None:
    fm, problems = split_front_matter(text, "_posts/x.md")
    assert fm is None and [(p.line, p.is_error) for p in problems] == [(line, True)]
    assert words in problems[0].message


def test_toml_keys_have_lines_and_dates_read_as_text() -> None:
    fm, problems = split_front_matter('+++\ntitle = "x"\n"date" = 2022-03-04T10:00:00\nn = 1.5\n+++\nbody', "x.md")
    assert fm is not None and not problems
    assert fm.data == {"title": "x", "date": "2022-03-04T10:00:00", "n": "1.5"}
    assert fm.line_of == {"title": 2, "date": 3, "n": 4}


@given(st.text(max_size=200))
def test_any_text_after_plus_signs_is_front_matter_or_a_problem(text: str) -> None:
    fm, problems = split_front_matter("+++\n" + text, "x.md")
    assert fm is not None or problems


def test_files_found_but_none_read_is_an_error(site: Callable[..., Path]) -> None:
    json_front = '{\n"title": "json"\n}\nBody\n'
    root = site({f"content/p{i}.md": json_front for i in range(3)}, {"posts": ["content/*.md"]})
    result = run("build")
    assert result.exit_code == 1
    assert "config.yaml: 0 posts read from 3 post file(s): 3 have no front matter" in result.stderr
    assert result.stderr.count("no front matter: Jekyll") == 3
    assert not (root / "public").exists()


@pytest.mark.parametrize("posts", [
    {"2022-03-04-draft.md": {"title": "D", "date": "2022-03-04", "draft": "true"}},
    {"2099-03-04-future.md": {"title": "F", "date": "2099-03-04"}},
    {},
])
def test_drafts_future_posts_or_no_files_are_no_such_error(site: Callable[..., Path], posts: dict[str, Any]) -> None:
    site(posts)
    result = run("build")
    assert result.exit_code == 0 and "0 posts read from" not in result.stderr


def test_a_file_without_front_matter_among_read_posts_stays_a_warning(site: Callable[..., Path]) -> None:
    site({**GOOD, "2022-03-09-bare.md": "just text\n"})
    result = run("build")
    assert result.exit_code == 0 and "no front matter" in result.stderr and "0 posts read" not in result.stderr


@pytest.mark.parametrize("files", [{}, {"content/notes.txt": "x"}, {"public/x.md": "---\ntitle: x\n---\n"}])
def test_a_posts_glob_that_matches_nothing_is_a_warning_naming_it(site: Callable[..., Path],
                                                                  files: dict[str, str]) -> None:
    site({**GOOD, **files}, {"posts": ["content/*.md", "content/**/*.txt", "public/*.md"]})
    result = run("build")
    assert result.exit_code == 0
    for glob in ("content/*.md", "content/**/*.txt", "public/*.md"):
        assert f"config.yaml: warning: posts: '{glob}' matches no post file" in result.stderr
    assert run("build", "--strict").exit_code == 1


def test_a_posts_glob_that_matches_gives_no_warning(site: Callable[..., Path]) -> None:
    site({**GOOD, "content/x.md": {"title": "X", "date": "2022-03-01"}}, {"posts": ["content/*.md"]})
    result = run("build")
    assert (result.exit_code, "matches no post file" in result.stderr) == (0, False)


# --- the slug-clash warning names posts ------------------------------------------------------------

def test_the_slug_clash_warning_names_the_posts_of_each_spelling() -> None:
    t0 = datetime(2022, 3, 4, 10, tzinfo=CST)
    posts = [make_post(f"p{i}", t0 - timedelta(days=i), categories=("TechWeb",)) for i in range(5)]
    posts.append(make_post("odd", t0 - timedelta(days=9), categories=("Techweb",)))
    _, problems = group_posts(unit_config(), posts)
    [problem] = problems
    assert problem.message.startswith(
        "category names 'TechWeb' (_posts/2022-03-04-p0.md, _posts/2022-03-03-p1.md and 3 more), "
        "'Techweb' (_posts/2022-02-23-odd.md) share the slug 'techweb' and one feed")


# --- packaging and the README's first commands ---------------------------------------------------

REPO = Path(__file__).parent.parent


def test_the_license_is_an_spdx_expression_with_its_file() -> None:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))
    project = pyproject["project"]
    assert (project["license"], project["license-files"]) == ("MIT", ["LICENSE"])
    [setuptools] = [r for r in pyproject["build-system"]["requires"] if r.startswith("setuptools")]
    assert int(re.search(r">=\s*(\d+)", setuptools).group(1)) >= 77  # type: ignore[union-attr]  # PEP 639
    assert any(d.startswith("tomli>=") and "python_version < '3.11'" in d for d in project["dependencies"])
    license_text = (REPO / "LICENSE").read_text("utf-8")
    assert license_text.startswith("MIT License") and "Copyright (c) 2026 the feeds authors" in license_text


def test_the_readme_starts_with_its_commands_and_the_virtualenv_comes_first() -> None:
    readme = (REPO / "README.md").read_text("utf-8")
    first_block = readme.split("```sh\n", 1)[1].split("```", 1)[0].splitlines()
    assert "```" not in readme.split("```sh\n", 1)[0]  # no other block before it
    assert first_block[0].startswith("python3 -m venv .venv && . .venv/bin/activate")
    assert first_block[1].startswith("pip install -e . && feeds build")
    assert first_block[2].startswith("pip install -e '.[test]' && pytest")


def test_no_cache_key_means_the_default_cache_folder(site: Callable[..., Path]) -> None:
    """Absent `cache:` is the default folder, not "no cache" (a merge once made it none)."""
    root = site(extra="")
    assert run("build").exit_code == 0
    assert (root / ".feeds-cache" / "config.sqlite3").is_file()
