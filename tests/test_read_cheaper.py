"""Reading made cheaper again (issue 10, read4): each shortcut gives exactly what the long way
gave, on arbitrary input, and the long way is no longer taken where the shortcut applies."""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
import reading_oracle as old
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from test_read_cost import old_plain_value  # the typing of a plain value before its shortcut

from feeds import posts, rows, sources, yamlload
from feeds.sources import read_source


def read_post_file(*args: Any) -> Any:
    return sources.read_post_file(*args)  # looked up when called: each test fails alone without it

FILE_SETTINGS = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
BYTES = st.one_of(
    st.binary(max_size=40),
    st.builds(lambda bom, text: bom + text.encode("utf-8", "surrogatepass"),
              st.sampled_from([b"", b"\xef\xbb\xbf"]), st.text(max_size=40)),
    st.builds(lambda head, bad: head.encode() + bad, st.text(max_size=10), st.sampled_from([b"\xff", b"\xc3"])),
)


# --- read_post_file: one open and one fstat -------------------------------------------------

@FILE_SETTINGS
@given(BYTES, st.sampled_from([1 << 30, 0, 5, 20]))
def test_read_post_file_is_read_source(tmp_path: Path, data: bytes, limit: int) -> None:
    path = tmp_path / "post.md"
    path.write_bytes(data)
    st_ = os.stat(path)
    seen, source = read_post_file(str(path), limit)
    assert seen is not None and _signed(seen) == _signed(st_)  # the open file's fstat: what a stat says
    assert source == read_source(str(path), limit) == old.read_source(path, limit)


def _signed(st_: os.stat_result) -> tuple[int, ...]:
    """What the shortcut's record signs of a file's stat (``signature.stat_fields``)."""
    return st_.st_mode, st_.st_size, st_.st_mtime_ns, st_.st_ino, st_.st_ctime_ns


@pytest.mark.parametrize("limit", [1 << 30, 0])
def test_read_post_file_of_what_cannot_be_read_is_read_source(tmp_path: Path, limit: int) -> None:
    """A missing file, a folder named like a post, a file nobody may read, a dangling link: the
    same problem as before (and the size and mtime when the file system knows them)."""
    (tmp_path / "folder.md").mkdir()
    locked = tmp_path / "locked.md"
    locked.write_text("---\ntitle: x\n---\n")
    locked.chmod(0)
    (tmp_path / "dangling.md").symlink_to(tmp_path / "nowhere")
    for name in ("missing.md", "folder.md", "locked.md", "dangling.md"):
        path = str(tmp_path / name)
        seen, source = read_post_file(path, limit)
        assert source == read_source(path, limit) == old.read_source(Path(path), limit)
        assert source.text is None or os.getuid() == 0  # root reads the locked file
        try:
            st_ = os.stat(path)
            assert seen is not None and _signed(seen) == _signed(st_)
        except FileNotFoundError:
            assert seen is None


def test_read_post_file_reads_a_file_that_grew(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The size is the open file's; bytes written after it are read too, as file.read() reads them."""
    path = tmp_path / "post.md"
    path.write_bytes(b"x" * 10)
    real = os.fstat

    def stale(fd: int) -> Any:
        found = real(fd)
        return os.stat_result((*found[:6], 3, *found[7:]))  # says 3 bytes: the file grew since

    monkeypatch.setattr(sources.os, "fstat", stale)
    assert read_post_file(str(path), 1 << 30)[-1].text == "x" * 10
    path.write_bytes(b"y" * 200_000)  # more than one read
    assert read_post_file(str(path), 1 << 30)[-1].text == "y" * 200_000


def test_read_post_file_makes_no_file_object(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "post.md"
    path.write_text("---\ntitle: x\n---\n")
    asked: list[str] = []
    real = os.stat
    monkeypatch.setattr(sources, "open", lambda *a, **k: asked.append("open") or open(*a, **k), raising=False)
    monkeypatch.setattr(sources.os, "stat", lambda p, *a, **k: asked.append(str(p)) or real(p, *a, **k))
    try:
        text = read_post_file(str(path), 1 << 30)[-1].text
    finally:
        monkeypatch.undo()
    assert text == "---\ntitle: x\n---\n" and asked == []


# --- the closing boundary, found without splitting off the body ---------------------------

LINES = st.lists(st.sampled_from(["---", "--- ", "----", "---x", " ---", "+++", "+++ \t", "++++", "a: b", "",
                                  " ", "\t", "-- -", "---\r", "x---", "+++x"]), max_size=8)


@given(LINES, st.sampled_from(["\n", "\n\n", " \n", "\n \n"]))
@example(["---", "", "---"], "\n")
@example(["---", "---"], "\n")
@example(["---  ", "", "  ", "---"], "\n")
def test_the_closing_boundary_is_where_frontmatter_splits(lines: list[str], joint: str) -> None:
    for handler in (posts._HANDLER, posts._TOML):
        text = joint.join(lines)
        opening = handler.FM_BOUNDARY.match(text)
        if opening is None:
            continue
        closing = posts._closing(handler.FM_BOUNDARY, handler.START_DELIMITER, text, opening.end())
        try:
            fm, body = handler.split(text)
        except ValueError:
            assert closing is None
            continue
        assert closing is not None
        assert (text[opening.end():closing.start()], text[closing.end():]) == (fm, body)


def test_the_body_is_not_copied_to_find_where_it_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    """python-frontmatter's split copies the body (a str slice scans every character): 6 µs a post."""
    monkeypatch.setattr(posts._HANDLER, "split", lambda text: pytest.fail("split"))
    text = "---\ntitle: T\ndate: 2022-01-02\n---\n" + "中文" * 1000
    fm, problems = posts.split_front_matter(text, "x.md")
    assert fm is not None and fm.body_start == len(text) - 2001 and fm.body_line == 4 and not problems


def test_key_lines_come_from_the_fast_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fast reader knows each key's row: the rows are not matched again."""
    monkeypatch.setattr(posts, "_key_lines", lambda *a: pytest.fail("rows matched again"))
    fm, _ = posts.split_front_matter("---\n# c\ntitle: T\n\ntags:\n- a\ndate: 2022-01-02\n---\nb\n", "x.md")
    assert fm is not None and fm.line_of == {"title": 3, "tags": 5, "date": 7}


@given(st.lists(st.sampled_from(["title: T", "date: 2022-01-02", "tags:", "- a", "  - b", "# c", "", "x: 'a: b'",
                                 "y: [a, b]", "- 'k: v'", "title: again", "z: a: b", "  k: v", "k:v", "w:"]),
                max_size=8))
def test_key_lines_are_the_ones_matched_before(rows: list[str]) -> None:
    """Whichever reader reads the front matter, every key has the line the row scan gave it."""
    text = "---\n" + "\n".join(rows) + "\n---\nbody\n"
    fm, _ = posts.split_front_matter(text, "x.md")
    if fm is None:
        return
    lines = posts._key_lines(fm.data, "\n" + "\n".join(rows) + "\n", 0, posts._HANDLER)
    assert fm.line_of == lines


def test_no_regex_scan_of_the_whole_text_for_the_boundary() -> None:
    """The closing '---' is looked for with str.find, then checked with the boundary pattern."""
    assert posts._closing(re.compile(r"^-{3,}\s*$", re.MULTILINE), "---", "---\na\n---x\n---\nb", 3).start() == 11


# --- dates, names, the permalink's categories, the Post itself ---------------------------

DIGIT = st.sampled_from("0123456789") | st.sampled_from(["٣", "x", " "])
PLAIN_DATE = st.builds(lambda d, sep: "".join(d[:4]) + "-" + "".join(d[4:6]) + "-" + "".join(d[6:8]) + sep
                       + "".join(d[8:10]) + ":" + "".join(d[10:12]) + ":" + "".join(d[12:14]),
                       st.lists(DIGIT, min_size=14, max_size=14), st.sampled_from([" ", "T", "  ", "t"]))


def _outcome(fn: Any, text: str) -> Any:
    """What ``fn(text)`` gives: its value, or the kind of error and what it says."""
    try:
        return "ok", fn(text)
    except ValueError as exc:
        return type(exc).__name__, str(exc)


@given(PLAIN_DATE)
@example("2019-01-01 02:30:34")
@example("0999-01-01 02:30:34")
@example("2019-02-30 02:30:34")
@example("2019-01-01 24:00:00")
@example("2019-01-01T02:30:60")
def test_the_commonest_date_is_read_as_the_pattern_reads_it(text: str) -> None:
    from feeds import jekyll

    ours = jekyll._parse_text if text == text.strip() else jekyll.parse_date
    assert _outcome(ours, text) == _outcome(old.parse_date, text)


def test_the_commonest_date_is_not_matched_by_the_pattern(monkeypatch: pytest.MonkeyPatch) -> None:
    from feeds import jekyll
    monkeypatch.setattr(jekyll, "_DATE", None)  # any use of the pattern fails
    assert jekyll._parse_text("2019-01-01 02:30:34") == (jekyll.datetime(2019, 1, 1, 2, 30, 34), False)


NAME_ITEMS = st.lists(st.sampled_from(["a", "A", "b c", " ", "", "é", "e\u0301", "<b>", "x\x01", "\x7f", "1", "a"]),
                      max_size=4)


@given(NAME_ITEMS, st.booleans(), st.sampled_from(["list", "text"]))
def test_names_remembered_are_the_names_and_warnings_read_before(items: list[str], singular: bool, shape: str) -> None:
    from feeds.posts import EMPTY_FRONT_MATTER, _Fields
    key = "category" if singular else "categories"
    value: Any = items if shape == "list" else " ".join(items)
    for _ in range(2):  # the second time remembered
        fields = _Fields(EMPTY_FRONT_MATTER, "x.md", data={key: value})
        oracle = old._Fields(old.EMPTY_FRONT_MATTER, "x.md", data={key: value})
        assert fields.names("category", "categories") == oracle.names("category", "categories")
        assert fields.problems == oracle.problems


def test_names_are_cleaned_once_per_distinct_list(monkeypatch: pytest.MonkeyPatch) -> None:
    from feeds.posts import EMPTY_FRONT_MATTER, _clean_names, _Fields
    _clean_names.cache_clear()
    for _ in range(3):
        assert _Fields(EMPTY_FRONT_MATTER, "x.md", data={"tags": ["a", "B "]}).names("tag", "tags") == ["a", "B"]
    assert _clean_names.cache_info().misses == 1 and _clean_names.cache_info().hits == 2


@given(st.lists(st.sampled_from(["A", "a", "B", "é", "É", "x y", "Ⅻ"]), max_size=20))
def test_the_categories_placeholder_remembered_is_as_before(categories: list[str]) -> None:
    from feeds import jekyll
    when = jekyll.datetime(2022, 1, 2)
    expected = "/".join(dict.fromkeys(x.lower() for x in categories))
    for _ in range(2):
        assert jekyll._PLACEHOLDERS["categories"](when, "s", categories, ".html") == expected


def test_the_categories_placeholder_is_made_once_per_distinct_categories() -> None:
    from feeds import jekyll
    jekyll._categories_path.cache_clear()
    when = jekyll.datetime(2022, 1, 2)
    for slug in ("a", "b", "c"):
        assert jekyll.expand_permalink("/:categories/:title", when, slug, ["News", "x"], ".html") == f"/news/x/{slug}"
    assert jekyll._categories_path.cache_info().hits == 2


def test_reading_a_post_does_not_run_the_dataclass_init(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from conftest import unit_config

    from feeds.posts import NEVER, Post, read_post
    path = tmp_path / "_posts" / "2022-03-04-x.md"
    path.parent.mkdir()
    path.write_text("---\ntitle: T\n---\nbody\n")
    made: list[str] = []
    real = Post.__init__
    monkeypatch.setattr(Post, "__init__", lambda self, *a, **k: made.append("init") or real(self, *a, **k))
    post, _, _ = read_post(str(path), str(tmp_path), unit_config(tmp_path), posts.timezone.utc, NEVER)
    assert post is not None and post.title == "T" and made == []


def test_a_post_read_has_every_field_a_made_post_has(tmp_path: Path) -> None:
    """_assemble fills the Post's __dict__ itself: every field, in order, as Post(...) would."""
    import dataclasses

    from conftest import unit_config

    from feeds.posts import NEVER, Post, read_post
    path = tmp_path / "_posts" / "2022-03-04-x.md"
    path.parent.mkdir()
    path.write_text("---\ntitle: T\ncategories: a b\ntags: [c]\n---\n{{ site.time }}\n")
    for text in ("---\ntitle: T\ncategories: a b\ntags: [c]\n---\nbody\n", "---\ntitle: T\n---\n{{ site.time }}\n"):
        path.write_text(text)
        post, _, _ = read_post(str(path), str(tmp_path), unit_config(tmp_path), posts.timezone.utc, NEVER)
        assert post is not None
        made = Post(**{f.name: getattr(post, f.name) for f in dataclasses.fields(Post)})
        assert list(vars(post)) == list(vars(made)) and vars(post) == vars(made) and post == made


def test_reading_a_post_with_the_folder_known_asks_no_getcwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from conftest import unit_config

    from feeds import errors
    from feeds.posts import NEVER, read_post
    path = tmp_path / "_posts" / "2022-03-04-x.md"
    path.parent.mkdir()
    path.write_text("---\ntitle: T\n---\nbody\n")
    monkeypatch.chdir(tmp_path)
    expected = read_post(str(path), str(tmp_path), unit_config(tmp_path), posts.timezone.utc, NEVER)
    asked: list[str] = []
    real = os.getcwd
    monkeypatch.setattr(errors.os, "getcwd", lambda: asked.append("getcwd") or real())
    try:
        got = read_post(str(path), str(tmp_path), unit_config(tmp_path), posts.timezone.utc, NEVER, None,
                        str(tmp_path))
    finally:
        monkeypatch.undo()
    assert got == expected and got[0] is not None and got[0].path == "_posts/2022-03-04-x.md" and asked == []


@given(PLAIN_DATE | st.sampled_from(["2019-01-01 02:30:34", "2019-1-1 2:30:34", "2019-01-01t02:30:34"]))
def test_the_commonest_timestamp_is_typed_as_the_patterns_type_it(text: str) -> None:
    try:
        expected: Any = ("ok", old_plain_value(text))
    except LookupError as exc:
        expected = ("lookup", str(exc))
    got = ("ok", yamlload._plain_value(text))
    assert got == expected and type(got[1]) is type(expected[1])


def test_the_commonest_timestamp_runs_no_pattern(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yamlload, "_RESOLVERS", None)
    assert type(yamlload._plain_value("2019-01-01 02:30:34")) is yamlload.Timestamp


@given(PLAIN_DATE)
@example("2019-01-01t02:30:34")
def test_parse_date_of_the_commonest_date_is_as_before(text: str) -> None:
    from feeds import jekyll

    assert _outcome(jekyll.parse_date, text) == _outcome(old.parse_date, text)


def test_a_posts_own_date_is_not_remembered() -> None:
    """Each post has its own date and time: remembering them only filled the cache."""
    from feeds import jekyll
    jekyll._remembered_date.cache_clear()
    assert jekyll.parse_date("2019-01-01 02:30:34") == (jekyll.datetime(2019, 1, 1, 2, 30, 34), False)
    assert jekyll._remembered_date.cache_info().currsize == 0
    jekyll.parse_date("2019-01-01")  # a file name's day is shared: remembered
    assert jekyll._remembered_date.cache_info().currsize == 1


def test_a_row_says_a_date_once_when_it_is_also_the_update() -> None:
    from conftest import make_post

    when = posts.datetime(2022, 1, 2, tzinfo=posts.timezone.utc)
    post = make_post(date=when, updated=when)
    row = rows.post_to_json(post)
    assert row[rows._DATE] == row[rows._UPDATED] == when.isoformat()
    later = make_post(date=when, updated=when.replace(hour=3))
    assert rows.post_to_json(later)[rows._UPDATED] == "2022-01-02T03:00:00+00:00"


def test_a_post_files_digest_is_sha256_cut_to_128_bits(tmp_path: Path) -> None:
    """blake2b (CPython's reference C) was a tenth of a read worker's instructions; sha256 runs in hardware."""
    import hashlib
    path = tmp_path / "post.md"
    path.write_bytes(b"---\ntitle: x\n---\n" + "中".encode() * 3000)
    assert read_post_file(str(path), 1 << 30)[-1].digest == hashlib.sha256(path.read_bytes()).hexdigest()[:32]


# --- the parent's share: rows as UTF-8, no sweeping of a cache made by this build ----------

def _site(tmp_path: Path, count: int = 3) -> Any:
    import dataclasses

    from conftest import unit_config
    folder = tmp_path / "_posts"
    folder.mkdir()
    for n in range(count):
        (folder / f"2022-03-0{n + 1}-p{n}.md").write_text(f"---\ntitle: 标题 {n}\ntags: [a, é]\n---\nbody\n")
    cfg = dataclasses.replace(unit_config(tmp_path), jobs=1)
    return cfg, sorted(str(p) for p in folder.iterdir())


def test_rows_come_back_in_utf8_and_are_stored_as_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from feeds import cache, reading
    cfg, files = _site(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(reading.parallel, "context", lambda kind: reading.ReadContext(cfg, tuple(files), frozenset()))
    size, mtime, digest, result, row, _ = reading._read_task(0)
    assert type(row) is bytes and result is not None and row.decode() == rows.read_row(result)
    monkeypatch.undo()
    monkeypatch.chdir(tmp_path)
    store = cache.Cache(tmp_path / ".cache")
    results = reading.read_all(cfg, files, store, None)
    stored = dict(store.db.execute("SELECT path, data FROM posts"))
    assert [type(v) for v in stored.values()] == [str] * 3
    assert stored == {f: rows.read_row(r) for f, r in zip(files, results)}
    store.close()
    again = cache.Cache(tmp_path / ".cache")  # and read back, as the next build reads them
    assert reading.read_all(cfg, files, again, None) == results and not again.damaged
    again.close()


def test_a_cache_this_build_made_is_not_swept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A new cache holds only this build's rows, of files present: reading back every path, or
    deleting the rows of other keys, finds nothing (and costs a scan of each table)."""
    from feeds import cache, reading
    cfg, files = _site(tmp_path)
    monkeypatch.chdir(tmp_path)
    store = cache.Cache(tmp_path / ".cache")
    said: list[str] = []
    store.db.set_trace_callback(said.append)
    reading.read_all(cfg, files, store, None)
    assert not [s for s in said if s.startswith("SELECT path FROM files") or "key !=" in s]
    store.close()
    (Path(files[0])).unlink()  # a cache from before: a file gone is forgotten, as ever
    old_store = cache.Cache(tmp_path / ".cache")
    assert not old_store.new
    reading.read_all(cfg, files[1:], old_store, None)
    assert {p for (p,) in old_store.db.execute("SELECT path FROM files")} == set(files[1:])
    assert {p for (p,) in old_store.db.execute("SELECT path FROM posts")} == set(files[1:])
    old_store.close()
