"""Round 9 of the render worker's own cost (issue 10): the same answers as before, cheaper.

- the summary's first paragraph is found by two searches, its start and its end, and its
  spaces are folded by ``split``: each is what the regex it replaces found or made;
- the cache binds bytes through an adapter of their own: the rows are the same BLOBs.
"""
from __future__ import annotations

import re
import sqlite3

from hypothesis import example, given
from hypothesis import strategies as st

from feeds import cache, render, text

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
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE t (v)")
    values = [b"", b"\x00\xff<p>", "中".encode() * 3, bytearray(b"x")]
    db.executemany("INSERT INTO t VALUES (?)", [(v,) for v in values])
    assert db.execute("SELECT v, typeof(v) FROM t").fetchall() == [(bytes(v), "blob") for v in values]
