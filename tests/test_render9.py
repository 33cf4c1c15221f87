"""Round 9 of the render worker's own cost (issue 10): the same answers as before, cheaper.

- the summary's first paragraph is found by two searches, its start and its end, and its
  spaces are folded by ``split``: each is what the regex it replaces found or made;
- the cache binds bytes through an adapter of their own: the rows are the same BLOBs;
- a body is read without its file's size asked first: the bytes are the file's.
"""
from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from feeds import cache, render, sources, text

OLD_FIRST_PARAGRAPH = re.compile(r"<p[\s>].*?</p>", re.S | re.I)
OLD_SPACE = re.compile(r"\s+")
PIECES = ["<p>", "<P ", "<p\n", "</p>", "</P>", "</p", "<", "/p>", "p", ">", "a", "中", " ", "\n", "<p", "</", "<br>"]
# every character Python's str.isspace() takes (the \s of a str pattern), some it does not, and markup
SPACES = [" ", "\t", "\n", "\r", "\x0b", "\x0c", "\x1c", "\x1f", "\x85", "\xa0", "\u1680", "\u2000", "\u2028",
          "\u3000", "\u200b", "\ufeff", "a", "文", "&amp;", "&nbsp;", "<b>", "</b>", "<br/>"]


@example("<p>a</p><p>b</p>")
@example("<P\tclass=x>a<b>c</b></P>")
@example("<p>no end <p>x</p>")
@example("<pre>x</pre><p>a</p>")
@given(st.lists(st.sampled_from(PIECES), max_size=14).map("".join))
def test_the_first_paragraph_is_the_one_the_lazy_regex_found(html: str) -> None:
    old = OLD_FIRST_PARAGRAPH.search(html)
    assert render.first_paragraph(html) == (old.group(0) if old else "")


@example(" \x85a\xa0 b\u3000", 0)
@given(st.lists(st.sampled_from(SPACES), max_size=20).map("".join), st.sampled_from([0, 3, 300]))
def test_plain_text_folds_spaces_as_the_regex_did(fragment: str, limit: int) -> None:
    import html

    old = OLD_SPACE.sub(" ", html.unescape(text._TAG.sub(" ", fragment))).strip()
    if limit and len(old) > limit:
        cut = old.rfind(" ", 0, limit)
        old = old[: cut if cut > limit // 2 else limit].rstrip() + "…"
    assert text.plain_text(fragment, limit) == old


@given(st.lists(st.sampled_from(SPACES), max_size=12).map("".join))
def test_names_fold_spaces_as_the_regex_did(name: str) -> None:
    folded = OLD_SPACE.sub(" ", text.unicodedata.normalize("NFC", text.xml_safe(name)[0])).strip()
    assert text._cleaned_name(name) == text.no_markup(folded)


def test_bytes_are_stored_as_the_same_blobs() -> None:
    """The adapter ``cache`` registers for bytes hands back the very object: a BLOB as before."""
    assert cache.sqlite3 is sqlite3
    adapter = sqlite3.adapters[(bytes, sqlite3.PrepareProtocol)]
    assert adapter in (bytes, getattr(bytes, "__bytes__", bytes))  # bytes.__bytes__ from Python 3.11
    assert all(adapter(v) is v for v in (b"", b"\x00\xff<p>", "中".encode() * 3))
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE t (v)")
    values = [b"", b"\x00\xff<p>", "中".encode() * 3, bytearray(b"x")]
    db.executemany("INSERT INTO t VALUES (?)", [(v,) for v in values])
    assert db.execute("SELECT v, typeof(v) FROM t").fetchall() == [(bytes(v), "blob") for v in values]


@pytest.mark.parametrize("size", [0, 1, 1000, sources._FIRST_READ - 18, sources._FIRST_READ - 17, sources._FIRST_READ,
                                  sources._FIRST_READ + 1, 3 * sources._FIRST_READ + 5])
def test_a_body_is_read_whole_whatever_its_size(tmp_path: Path, size: int) -> None:
    """Read without asking the size first, then, past the first read, the rest: the bytes are the file's."""
    path = tmp_path / "post.md"
    path.write_bytes(b"---\nt: x\n---\n" + bytes(i % 251 for i in range(size)))
    for offset in (0, 17, size + 17, size + 100):
        assert sources._read_tail(str(path), offset) == path.read_bytes()[offset:]


def test_a_short_body_takes_no_stat(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "post.md"
    path.write_bytes(b"---\ntitle: x\n---\n" + "正文\n".encode() * 2000)
    asked: list[int] = []

    class Counting:  # the os module as sources sees it, counting fstat calls
        def __getattr__(self, name: str) -> object:
            return (lambda fd: asked.append(fd) or os.fstat(fd)) if name == "fstat" else getattr(os, name)
    monkeypatch.setattr(sources, "os", Counting())
    assert sources._read_tail(str(path), 17) == path.read_bytes()[17:]
    assert asked == []


def test_a_body_that_grows_while_read_is_read_to_its_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The size asked after the first read is a hint: bytes written after it are read too, as read() reads them."""
    path = tmp_path / "post.md"
    path.write_bytes(b"x" * (sources._FIRST_READ + 10))
    real = sources.os.fstat

    def fstat(fd: int) -> os.stat_result:
        found = real(fd)
        with path.open("ab") as f:
            f.write(b"y" * 100_000)
        return found
    monkeypatch.setattr(sources.os, "fstat", fstat)
    assert sources._read_tail(str(path), 5) == b"x" * (sources._FIRST_READ + 5) + b"y" * 100_000


def test_a_host_programs_own_bytes_adapter_is_kept(tmp_path: Path) -> None:
    """A program that set an adapter for bytes before importing feeds keeps it."""
    script = ("import sqlite3, zlib; sqlite3.register_adapter(bytes, zlib.compress); import feeds.cache; "
              "print(sqlite3.adapters[(bytes, sqlite3.PrepareProtocol)] is zlib.compress)")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "True"
