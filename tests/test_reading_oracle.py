"""Reading posts, made fast (issue 10), against main's reading code kept verbatim in
tests/reading_oracle.py: on arbitrary files, names, folders and settings, today's read_post gives
exactly the Post, problems and flags that the old one gave; and each replaced Jekyll rule
(parse_date, pretty_slug), read_source and source_root give what the old ones gave."""
from __future__ import annotations

import dataclasses
import os
import string
import tempfile
from datetime import timezone
from pathlib import Path, PurePath
from typing import Any

import pytest
import reading_oracle as old
from conftest import unit_config
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from feeds import jekyll
from feeds.config import Config
from feeds.posts import NEVER, read_post, site_zone
from feeds.sources import read_source, source_root_text

ROOT_SETTINGS = settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def outcome(fn: Any, *args: Any) -> Any:
    try:
        return "ok", fn(*args)
    except (ValueError, OSError) as exc:
        return type(exc).__name__, str(exc)


# --- the Jekyll rules ----------------------------------------------------------------------

DATE_TEXT = st.one_of(
    st.from_regex(r"\s?\d{2,5}-\d{1,2}-\d{1,2}([ T]+\d{1,2}:\d{2}(:\d{2}([.,]\d{1,7})?)?)?\s*"
                  r"(Z|UTC|gmt|[+-]\d{2}:?\d{2}|[+-]\d{1,2})?\s?", fullmatch=True),
    st.text(st.sampled_from(list("0123456789-:+ TZz.,\t")), max_size=30),
    st.text(max_size=12),
)


@given(DATE_TEXT)
@example("2019-01-01 02:30:34")
@example("2019-02-30")
@example("0999-01-01")
@example("2019-01-01 10:00 +1500")
def test_parse_date_is_mains(text: str) -> None:
    for _ in range(2):  # the second time from the cache
        assert outcome(jekyll.parse_date, text) == outcome(old.parse_date, text)


@given(st.one_of(st.text(), st.text(st.sampled_from(string.printable), max_size=20)))
@example("a--b__c!!d  é")
@example("-Hello, World-")
def test_pretty_slug_is_mains(text: str) -> None:
    assert jekyll.pretty_slug(text) == old.pretty_slug.__wrapped__(text)


def test_pretty_slug_is_mains_for_every_ascii_pair() -> None:
    chars = [chr(i) for i in range(128)]
    for a in chars:
        for b in chars:
            assert jekyll.pretty_slug(f"x{a}{b}") == old.pretty_slug.__wrapped__(f"x{a}{b}")


# --- files ---------------------------------------------------------------------------------

BYTES = st.one_of(
    st.binary(max_size=40),
    st.builds(lambda bom, text, nl: bom + text.replace("\n", nl).encode("utf-8", "surrogatepass"),
              st.sampled_from([b"", b"\xef\xbb\xbf"]), st.text(max_size=40), st.sampled_from(["\n", "\r\n", "\r"])),
    st.builds(lambda bom, head, bad, tail: bom + head.encode() + bad + tail.encode(),
              st.sampled_from([b"", b"\xef\xbb\xbf"]), st.text(max_size=10),
              st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80"]), st.text(max_size=10)),
)


@ROOT_SETTINGS
@given(BYTES, st.sampled_from([1 << 30, 0, 5, 20]))
def test_read_source_is_mains(tmp_path: Path, data: bytes, limit: int) -> None:
    path = tmp_path / "post.md"
    path.write_bytes(data)
    assert read_source(str(path), limit) == old.read_source(path, limit)
    assert read_source(path, limit) == old.read_source(path, limit)


def test_read_source_of_what_cannot_be_read_is_mains(tmp_path: Path) -> None:
    (tmp_path / "folder.md").mkdir()
    for path in (tmp_path / "missing.md", tmp_path / "folder.md"):
        assert read_source(str(path), 1 << 30) == old.read_source(path, 1 << 30)


# --- posts ---------------------------------------------------------------------------------

FRONT_VALUES = st.one_of(
    st.sampled_from(["", "2022-03-04", "2022-03-04 13:23:21", "2022-03-04 13:23:21 +0800", "'2022-03-04 10:00'",
                     "2022-13-40", "+0800", "2099-01-01", "2023-01-29 18:30:22 2023 -0800", "0999-01-01",
                     "[a, b]", "a b c", "[]", "null", "true", "no", "Hello, World", '"Quoted: x"', "{name: Ann}",
                     "<b>x</b>", "/x/:title/", "https://elsewhere.test/x", "tag:x.test,2022:1", "a\x01b", "é 中"]),
    st.text(st.sampled_from(list("ab Z19-:/.#'\"[],{}&<>%中é\x01")), max_size=12),
)
KEYS = st.sampled_from(["title", "date", "categories", "category", "tags", "tag", "slug", "permalink", "draft",
                        "published", "id", "guid", "author", "description", "excerpt", "lang", "image",
                        "updated", "last_modified_at", "feed", "render_with_liquid", "layout"])
FRONT = st.lists(st.tuples(KEYS, FRONT_VALUES), max_size=7).map(
    lambda rows: "".join(f"{k}: {v}\n" for k, v in rows))
BODY = st.sampled_from(["", "Body\n", "Hello {{ site.time }} {% post_url x %}\n", "a\r\nb\r\n", "<p>x</p>\n"])
TEXT = st.one_of(
    st.builds(lambda lead, fm, close, body: lead + "---\n" + fm + close + body,
              st.sampled_from(["", "\n", "\ufeff"]), FRONT, st.sampled_from(["---\n", "---  \n", "", "...\n"]), BODY),
    st.builds(lambda fm, body: "+++\n" + fm.replace(": ", " = ") + "+++\n" + body, FRONT, BODY),
    st.text(max_size=30),
)
NAMES = st.one_of(
    st.sampled_from(["2022-03-04-hello-world.md", "2022-03-04-hello.html", "2022-3-4-x.markdown", "hello.md",
                     "2022-03-04-.md", "2022-03-04-a.", "2022-02-30-bad-day.md", "2022-03-04-Ünï Cödé.md",
                     "2022-03-04-a.b.c.md", ".md", "2022-03-04-x.HTM"]),
    st.builds(lambda d, s, e: d + s + e, st.sampled_from(["2022-03-04-", "", "1999-12-31-"]),
              st.text(st.sampled_from(list("abZ09 -_.!é中")), min_size=1, max_size=8),
              st.sampled_from([".md", ".html", ""])),
)
FOLDERS = st.sampled_from(["_posts", "news/_posts", "a/b/_posts", "_drafts", "_posts/sub", "News Ü/_posts",
                           "_posts/_drafts", "x"])
OPTIONS = st.fixed_dictionaries({
    "jekyll_site": st.booleans(), "drafts": st.booleans(), "future": st.booleans(), "unpublished": st.booleans(),
    "permalink": st.sampled_from(["/:categories/:year/:month/:day/:title:output_ext", "/:title/", "/blog/:slug",
                                  "/:year/:i_month/:short_year/:y_day/:categories/:name.html", "/plain/"]),
    "timezone": st.sampled_from(["Asia/Shanghai", "", "UTC"]),
    "defaults": st.sampled_from([(), (("", "posts", '{"author": "Ann", "tags": ["d"]}'),),
                                 (("news", "", '{"categories": "n"}'),)]),
})


def config(root: Path, options: dict[str, Any]) -> Config:
    return dataclasses.replace(unit_config(root), **options)


def both(path: Path, root: Path, cfg: Config) -> tuple[Any, Any]:
    zone = site_zone(cfg)
    now = NEVER if cfg.future else old.datetime(2030, 1, 1, tzinfo=timezone.utc)
    was = outcome(old.read_post, path, old.source_root(path, cfg), cfg, zone, now)
    return was, outcome(read_post, str(path), source_root_text(str(path), cfg), cfg, zone, now)


@ROOT_SETTINGS
@given(TEXT, NAMES, FOLDERS, OPTIONS)
@example("---\ntitle: T\ndate: 2022-03-04\n---\nBody\n", "2022-03-04-x.md", "_posts", {
    "jekyll_site": True, "drafts": False, "future": False, "unpublished": False, "permalink": "/:title/",
    "timezone": "Asia/Shanghai", "defaults": ()})
def test_read_post_is_mains(tmp_path: Path, text: str, name: str, folder: str, options: dict[str, Any]) -> None:
    root = Path(tempfile.mkdtemp(dir=tmp_path)) / "site"  # its own folder: a name may be another's folder
    path = root / folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="")
    cfg = config(root, options)
    was, now = both(path, root, cfg)
    assert now == was
    assert read_post(path, root, cfg, site_zone(cfg), NEVER) == old.read_post(path, root, cfg, site_zone(cfg), NEVER)


@pytest.mark.parametrize("root, path", [
    ("/s", "/s/_posts/2022-03-04-a.md"), ("/", "/_posts/2022-03-04-a.md"), ("/s", "/t/_posts/2022-03-04-a.md"),
    ("/s/", "/s//_posts/./2022-03-04-a.md"), ("s", "s/_posts/2022-03-04-a.md"), (".", "_posts/2022-03-04-a.md"),
    ("/s", "/s"), ("/s/x", "/s/xy/_posts/a.md"), ("/", "/"),
])
def test_paths_are_read_as_pathlib_reads_them(root: str, path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A post at an odd path (not there: read_source's problem, or the ValueError pathlib raised)."""
    cfg = unit_config(Path(root))
    text = old.SourceText("---\ntitle: T\ndate: 2022-03-04\n---\nBody\n", "d")
    zone = site_zone(cfg)
    was = outcome(old.read_post, Path(path), Path(root), cfg, zone, NEVER, text)
    assert outcome(read_post, path, root, cfg, zone, NEVER, text) == was
    assert outcome(read_post, Path(path), Path(root), cfg, zone, NEVER, text) == was
    if os.path.isabs(path):
        assert source_root_text(path, cfg) == str(old.source_root(Path(path), cfg))


def test_reading_a_post_at_a_plain_path_makes_no_pathlib_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """pathlib cost 1.5 s of a 10,000-post build's reading: the pipeline's string paths skip it."""
    from feeds import posts, sources
    path = tmp_path / "news" / "_posts" / "2022-03-04-a.md"
    path.parent.mkdir(parents=True)
    path.write_text("---\ntitle: T\ndate: 2022-03-04\n---\nBody\n")
    cfg = unit_config(tmp_path.resolve())
    root = source_root_text(str(path), cfg)

    def refuse(*args: object) -> None:
        raise AssertionError("pathlib was used")

    monkeypatch.setattr(posts, "PurePath", refuse)
    monkeypatch.setattr(sources, "Path", refuse)
    post, problems, _ = read_post(str(path), root, cfg, timezone.utc, NEVER)
    assert post is not None and post.categories == ("news",) and not problems


PATHS = st.one_of(st.sampled_from(["/", "/a", "/a/b", "/ab", "a/b", "a", ".", "//a", "/a/./b", "/a/", "/a/.md",
                                   "/a/b.", "/x/..md", "/a/b.c.d"]),
                  st.text(st.sampled_from(list("/ab._")), max_size=8))


@given(PATHS, PATHS)
def test_string_paths_are_pathlib_paths(file: str, root: str) -> None:
    from feeds.posts import _name_parts, _parts_under, _plain
    pure, top = PurePath(file or "."), PurePath(root or ".")
    assert _plain(file or ".") == str(pure)
    plain, plain_root = _plain(file or "."), _plain(root or ".")
    assert _parts_under(plain, plain_root) == (pure.relative_to(top).parts if pure.is_relative_to(top) else None)
    assert _name_parts(plain) == (pure.name, pure.stem, pure.suffix)
