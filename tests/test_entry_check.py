"""Cached entry fragments are checked once per build, before the write stage, on every core
(``entry_check``), as strictly as the write stage checked them: a forged row is still found,
counted and made again, and a row that changes after its check is checked again."""
from __future__ import annotations

import dataclasses
import os
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from conftest import cached_fragments, invoke, post_text, store_fragment, tree_bytes, unit_config, write_site
from hypothesis import example, given
from hypothesis import strategies as st

from feeds import entry_check, fragments, handoff, reading
from feeds.config import ContentOptions
from feeds.fragment_check import _html_ok, _tag_ok, _unescape_text, escaped_html_ok, html_ok

SECRET = "FORGED-c41d"
WARNING = "cache row(s) were damaged or forged and were ignored"
POSTS = 140  # with 2 jobs: enough feeds (a tag each) for the write pool, and posts for the check pool


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    posts = {f"2022-03-{1 + n % 28:02d}-p{n}.md": post_text({"title": f"P{n}", "tags": [f"t{n}"], "categories": "all",
                                                             "date": f"2022-03-{1 + n % 28:02d} 10:{n % 60:02d}:00"})
             for n in range(POSTS)}
    write_site(tmp_path / "site", posts, {"build": {"jobs": 2}})
    monkeypatch.chdir(tmp_path / "site")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert invoke("build").exit_code == 0
    shutil.copytree("public", tmp_path / "cold")
    yield tmp_path / "site"


def fresh_clone() -> Result:
    """A fresh clone with the cache restored: no output folder, no record of it; every feed is
    assembled from the cached fragments."""
    shutil.rmtree("public")
    shutil.rmtree(".public.feeds")
    return invoke("build")


def counted(monkeypatch: pytest.MonkeyPatch, log: Path) -> None:
    """Each check of a fragment, in whichever process, as a line '<stage> <passed> <bytes>' in
    ``log``: early (the background check, what the fragment says), check (the check stage), write."""
    def logger(real: Callable[..., Any], stage: str) -> Callable[..., Any]:
        def logged(fmt: str, data: bytes, *args: Any) -> Any:
            verdict = real(fmt, data, *args)
            fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
            os.write(fd, f"{stage} {verdict not in (None, False)} {data[:200]!r}\n".encode())
            os.close(fd)
            return verdict
        return logged
    for module, name, stage in ((entry_check, "fragment_fields", "early"), (entry_check, "fragment_ok", "check"),
                                (fragments, "fragment_ok", "write")):
        monkeypatch.setattr(module, name, logger(getattr(module, name), stage))


def calls(log: Path) -> list[tuple[str, bool, str]]:
    if not log.exists():
        return []
    return [(stage, verdict == "True", rest) for stage, verdict, rest in
            (line.split(" ", 2) for line in log.read_text().splitlines())]


def forge_post(root: Path, title: str) -> int:
    """Forged content in the cached fragments (Atom and RSS) of the post titled ``title``."""
    db = sqlite3.connect(root / ".feeds-cache" / "config.sqlite3")
    changed = 0
    for fkey, data in cached_fragments(db):
        if f"<title>{title}</title>".encode() in data:
            tag = b'<content type="html">' if b"<entry>" in data else b"<description>"
            assert tag in data
            data = data.replace(tag, tag + b"&lt;script&gt;" + SECRET.encode() + b"&lt;/script&gt;", 1)
            store_fragment(db, fkey, data)
            changed += 1
    db.commit()
    db.close()
    return changed


def assert_as_cold(root: Path, result: Result, forged: int) -> None:
    assert result.exit_code == 0, result.output
    assert tree_bytes(root / "public") == tree_bytes(root.parent / "cold")
    assert SECRET.encode() not in b"".join(tree_bytes(root / "public").values())
    said = [line for line in result.stderr.splitlines() if WARNING in line]
    assert said == ([f".feeds-cache/config.sqlite3: warning: {forged} {WARNING}; nothing to do, or delete .feeds-cache"]
                    if forged else []), result.stderr


@pytest.mark.parametrize(("jobs", "stage"), [("2", "early"), ("1", "check")])
def test_each_cached_fragment_is_checked_once_and_the_write_stage_checks_none(
        site: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, jobs: str, stage: str) -> None:
    """Checking was the write workers' work, each checking every fragment of the feeds it was
    handed: a post in three feeds was checked up to three times. Now each once, before them:
    with two jobs, in the background from the start of the build; with one, in the check stage."""
    counted(monkeypatch, tmp_path / "calls")
    shutil.rmtree("public")
    shutil.rmtree(".public.feeds")
    assert_as_cold(site, invoke("build", "--jobs", jobs), 0)
    seen = calls(tmp_path / "calls")
    assert {stage for stage, _, _ in seen} == {stage}
    assert all(verdict for _, verdict, _ in seen)
    assert len(seen) == POSTS * 2  # every post is in its tag's feed, in Atom and RSS: each fragment once


def test_no_background_check_where_records_of_the_output_exist(site: Path, monkeypatch: pytest.MonkeyPatch,
                                                               tmp_path: Path) -> None:
    """A rebuild with the output's records looks at changed feeds only: a background check of every
    fragment would be work for nothing."""
    counted(monkeypatch, tmp_path / "calls")
    post = Path("_posts") / "2022-03-01-p0.md"
    post.write_text(post.read_text("utf-8").replace("Body", "New body"), "utf-8")
    assert invoke("build").exit_code == 0
    assert "early" not in {stage for stage, _, _ in calls(tmp_path / "calls")}


def test_a_forged_fragment_of_a_post_in_three_feeds_is_found_by_the_check_and_made_again(
        site: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The newest post is in the site's feed, its category's and its tag's, which two write
    workers share: the check stage finds its forged rows; they are counted once and made again."""
    assert forge_post(site, "P139") == 2
    counted(monkeypatch, tmp_path / "calls")
    assert_as_cold(site, fresh_clone(), 2)
    seen = calls(tmp_path / "calls")
    assert sorted(verdict for stage, verdict, _ in seen if stage == "check").count(False) == 2
    # the write stage looks again only at that post's rows (the forged ones, and those made anew)
    again = [(verdict, rest) for stage, verdict, rest in seen if stage == "write"]
    assert again and all("P139" in rest for _, rest in again) and not all(verdict for verdict, _ in again)
    # what was made again was stored: the next fresh clone finds nothing
    assert_as_cold(site, fresh_clone(), 0)


@pytest.mark.parametrize("room", [True, False])
def test_a_fragment_changed_after_its_check_is_never_published(site: Path, monkeypatch: pytest.MonkeyPatch,
                                                                room: bool) -> None:
    """The background check writes the bytes that passed into a file in memory, and the write stage
    takes them from there: a row forged in the cache after the check is not even read (the next
    build finds it). With no room for them, the write stage reads the rows and uses one only when
    its bytes are the ones checked (their SHA-256): the forged row is found there, counted and
    made again."""
    if not room:
        monkeypatch.setattr(handoff, "MAX_BYTES", 0)
    real = entry_check.check_cached_fragments

    def check_then_forge(*args: Any) -> dict[str, bytes]:
        checked = real(*args)
        assert forge_post(site, "P7") == 2
        return checked
    monkeypatch.setattr(entry_check, "check_cached_fragments", check_then_forge)
    assert_as_cold(site, fresh_clone(), 0 if room else 2)
    monkeypatch.setattr(entry_check, "check_cached_fragments", real)
    assert_as_cold(site, fresh_clone(), 2 if room else 0)  # found by the next one, if not already


def test_a_fresh_clone_reads_no_fragment_row_twice(site: Path, monkeypatch: pytest.MonkeyPatch,
                                                   asked: Callable[[], list[str]]) -> None:
    """With two jobs the background check reads every fragment row once; the write workers take
    each one it vouched for from the file it wrote them into, and ask the cache for none."""
    assert_as_cold(site, fresh_clone(), 0)
    assert asked() == []
    monkeypatch.setattr(handoff, "MAX_BYTES", 0)  # no room: every fragment read from the cache, as before
    assert_as_cold(site, fresh_clone(), 0)
    assert len(asked()) >= POSTS


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_forged_fragment_is_found_with_one_job_or_two(site: Path, jobs: str) -> None:
    assert forge_post(site, "P0") == 2
    shutil.rmtree("public")
    shutil.rmtree(".public.feeds")
    assert_as_cold(site, invoke("build", "--jobs", jobs), 2)


# --- the check of escaped HTML, tag by tag --------------------------------------------------------

TOKENS = st.sampled_from(["<p>", "</p>", "<span class=\"x\">", "</span>", '<a href="https://x.test/a?b=1&amp;c">',
                          '<a href="javascript:x()">', '<a href="https:x">', '<a href="">', "</a>", "<script>",
                          '<img src="https://x.test/i.png" alt="a>b">', '<img src="data:image/png;base64,AA">',
                          '<img srcset="https://x.test/a.png 2x, b.png 1x">', '<p onclick="x">', "<br>", "<br/>",
                          '<p title="a<b">', "<P>", "<p\n>", "<!--", "-->", "<", ">", "&", "&amp;", "&lt;", "&gt;",
                          "&quot;", "&#13;", '"', "中", " ", "a", "<video>", '<a  href="https://x.test/">'])
MARKUP = st.lists(TOKENS | st.text(max_size=4), max_size=25).map("".join)


def _escape(markup: str) -> str:
    return markup.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@given(markup=MARKUP)
def test_escaped_html_is_checked_as_its_unescaped_markup(markup: str) -> None:
    cfg = unit_config()
    assert escaped_html_ok(_escape(markup), cfg) == html_ok(markup, cfg)


@example(value='&lt;a href="https://x.test/&quot;onclick=&quot;"&gt;x')  # a quote only unescaping makes
@example(value="&lt;p&gt;&amp;lt;script&amp;gt;")  # text that reads as a tag once, never twice
@example(value="&lt;&lt;p&gt;")
@given(value=st.lists(st.sampled_from(["&lt;", "&gt;", "&amp;", "&quot;", "&#9;", "&amp;lt;", "p", "a href=",
                                       '"https://x.test/"', '"javascript:x"', " ", "/", "script", "<", ">", "&"])
                      | st.text(max_size=3), max_size=20).map("".join))
def test_any_escaped_text_is_checked_as_its_unescaped_markup(value: str) -> None:
    cfg = unit_config()
    assert escaped_html_ok(value, cfg) == html_ok(_unescape_text(value), cfg)


@given(tag=TOKENS.filter(lambda t: t.startswith("<") and t.endswith(">") and "<" not in t[1:-1] and ">" not in t[1:-1])
       | st.text(max_size=12).map(lambda t: "<" + t.replace("<", "").replace(">", "") + ">"))
def test_one_tag_is_checked_as_the_whole_check_checks_it(tag: str) -> None:
    cfg = unit_config()
    assert _tag_ok(tag, cfg) == _html_ok(tag, cfg)


def test_a_tag_that_passed_under_one_allowlist_is_checked_again_under_another() -> None:
    """Tags that passed are remembered per allowlist: a wider config's tags do not pass a narrower one."""
    wide = dataclasses.replace(unit_config(), content=ContentOptions(allow_tags=("iframe",)))
    assert escaped_html_ok(_escape("<iframe>x</iframe>"), wide)
    assert not escaped_html_ok(_escape("<iframe>x</iframe>"), unit_config())


# --- reading on a fresh clone: every mtime new, every post's bytes known -------------------------

def test_a_file_whose_bytes_the_cache_knows_is_hashed_not_decoded(site: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A fresh clone hashes every post (new mtimes); a post the cache has read is not decoded too."""
    from feeds import sources

    texts: list[str | None] = []
    real = sources.read_post_file

    def spy(*args: Any, **kwargs: Any) -> tuple[os.stat_result | None, sources.SourceText]:
        found = real(*args, **kwargs)
        texts.append(found[1].text)
        return found
    monkeypatch.setattr(reading, "read_post_file", spy)
    for post in Path("_posts").iterdir():
        os.utime(post)
    assert invoke("build", "--jobs", "1").exit_code == 0
    assert len(texts) == POSTS and texts == [None] * POSTS


def test_read_source_with_a_known_digest_gives_the_digest_alone(tmp_path: Path) -> None:
    from feeds.sources import read_source

    post = tmp_path / "p.md"
    post.write_bytes(b"---\ntitle: \xff\n---\n")  # not UTF-8: the cache can only know it if it was
    unknown = read_source(str(post), 1000)
    assert unknown.text is None and unknown.problem is not None
    known = read_source(str(post), 1000, known={unknown.digest}.__contains__)
    assert (known.text, known.digest, known.problem) == (None, unknown.digest, None)
    assert read_source(str(post), 1000, known=set().__contains__) == unknown


@pytest.mark.parametrize("url", ["https://[x.test/a.html", "http://x]/a", "https://[::1/a", "https://a\uff0fb/c",
                                 "https://[::1]/a", "https://x.test/[a]"])
def test_a_url_feeds_check_cannot_split_is_not_admitted(url: str) -> None:
    """What a random byte put in a cached entry showed: 'https://[x.test/...' passed the check and
    `feeds check` then called it not an absolute URL. The check now asks what `feeds check` asks."""
    from feeds.validate._doc import _split

    cfg = unit_config()
    markup = f'<a href="{url}">x</a>'
    assert html_ok(markup, cfg) is escaped_html_ok(_escape(markup), cfg) is bool(_split(url)[1])
