"""A second look at the render stage's direct cmark-gfm calls (render5): what cmark hands back
is always read, and freed with the allocator that made it."""
from __future__ import annotations

import ast
import ctypes
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cmarkgfm
import pytest
from conftest import make_post, unit_config
from hypothesis import given
from hypothesis import strategies as st

from feeds import commonmark
from feeds.posts import read_body_utf8
from feeds.render import render_post

# cmark writes U+FFFE and U+FFFF as the lone bytes 0xFE and 0xFF (never UTF-8): main's cmarkgfm call
# and render5's both raised UnicodeDecodeError, a traceback for a post holding such a reference
NONCHARACTERS = ["&#xFFFE;", "&#xffff;", "&#65534;", "&#65535;", "&#XFFFE;", '[x](/a "&#xFFFE;")',
                 "| &#xFFFF; |\n|---|\n| b |\n", "~~&#65534;~~ and “&#xFFFF;”"]


@pytest.fixture(params=["freed", "left"])
def cmark_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Both ways of calling cmark: freeing what it returns, and leaving it (no symbols found)."""
    commonmark._direct.cache_clear()
    if request.param == "left":
        monkeypatch.setattr(commonmark, "_frees", lambda: None)
    yield request.param
    commonmark._direct.cache_clear()


@pytest.mark.parametrize("markdown", NONCHARACTERS)
def test_a_reference_to_a_noncharacter_is_rendered_not_a_traceback(markdown: str, cmark_path: str) -> None:
    for text in (markdown, markdown.encode()):
        html = commonmark.to_html(text, commonmark.UNSAFE | commonmark.SMART, ("table", "strikethrough"))
        assert "\ufffe" in html or "\uffff" in html


@pytest.mark.parametrize("markdown", NONCHARACTERS)
def test_a_post_with_a_noncharacter_reference_is_published_without_it(tmp_path: Path, markdown: str) -> None:
    head = "---\ntitle: T\n---\n"
    path = tmp_path / "p.md"
    path.write_text(f"{head}before {markdown} after\n", encoding="utf-8")
    post = make_post(file=path, body_start=len(head), body_line=4)
    rendered, problems = render_post(post, *read_body_utf8(post)[:1], unit_config(), None,
                                     read_body_utf8(post)[1])
    assert "before" in rendered.content and "after" in rendered.content
    assert "\ufffe" not in rendered.content and "\uffff" not in rendered.content
    (problem,) = problems
    assert f"{markdown.count('&#')} character reference(s) to control characters" in problem.message


def test_what_cmark_returns_is_freed_without_another_c_library(monkeypatch: pytest.MonkeyPatch) -> None:
    """The HTML string is freed by cmark's own allocator, not by a ``free`` looked up in the
    process: ``ctypes.CDLL(None)`` is a TypeError on Windows (and another C runtime's ``free`` there
    would not be the one cmark allocated with)."""
    real = ctypes.CDLL

    def no_process_library(name: Any, *args: Any, **kwargs: Any) -> Any:
        if name is None:
            raise TypeError("LoadLibrary() argument 1 must be str, not None")
        return real(name, *args, **kwargs)
    commonmark._direct.cache_clear()
    monkeypatch.setattr(ctypes, "CDLL", no_process_library)
    try:
        frees = commonmark._frees()
        assert frees is not None
        assert commonmark.to_html("*a*", 0, ()) == "<p><em>a</em></p>\n"
    finally:
        commonmark._direct.cache_clear()


@pytest.mark.parametrize("eol", ["\r\n", "\r"])
def test_a_body_with_crlf_is_read_once(tmp_path: Path, eol: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """One reader of a body's bytes (``sources``): a body with CR line ends was read a second time,
    with open() (``read_body``), another version of the file when it changed in between; now its
    text is the one read, its line ends made LF, and no bytes are handed on."""
    head = "---\ntitle: T\n---\n"
    path = tmp_path / "p.md"
    path.write_bytes(f"{head}a{eol}中文{eol}".encode())
    post = make_post(file=path, body_start=len(head), body_line=4)
    opened: list[object] = []
    real_open = os.open
    monkeypatch.setattr(os, "open", lambda *a, **k: opened.append(str(a[0])) or real_open(*a, **k))
    monkeypatch.setattr("builtins.open", lambda *a, **k: pytest.fail("open() called"))
    assert read_body_utf8(post) == ("a\n中文\n", b"")
    assert opened == [str(path)]


def test_each_rendering_library_is_imported_in_its_one_module() -> None:
    """The house rule, with cmark-gfm now behind ``commonmark``: cmarkgfm there only, nh3 in render."""
    feeds_dir = Path(commonmark.__file__).parent

    def importers(library: str) -> list[str]:
        found = []
        for module in sorted(feeds_dir.rglob("*.py")):
            tree = ast.parse(module.read_text(encoding="utf-8"))
            names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
            names |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
            if any(name.split(".")[0] == library for name in names):
                found.append(module.relative_to(feeds_dir).as_posix())
        return found
    assert importers("cmarkgfm") == ["commonmark.py"]
    assert importers("nh3") == ["render.py"]


@given(st.lists(st.one_of(st.sampled_from(NONCHARACTERS + ["&#1;", "\n", "*", "“", "中", "| a |\n|---|\n", "`"]),
                          st.text(st.characters(blacklist_categories=("Cs",)), max_size=4)), max_size=20).map("".join))
def test_any_markdown_renders_to_text_as_cmarkgfm_renders_it(markdown: str) -> None:
    """Whatever references a body holds, its HTML comes back as text: cmarkgfm's own where that
    call can decode it, and otherwise with the noncharacters cmark wrote as single bytes."""
    options, extensions = commonmark.UNSAFE | commonmark.SMART, ("table", "strikethrough")
    html = commonmark.to_html(markdown.encode(), options, extensions)
    assert commonmark.to_html(markdown, options, extensions) == html
    try:
        expected = cmarkgfm.markdown_to_html_with_extensions(markdown, options=options, extensions=list(extensions))
    except UnicodeDecodeError:
        assert "\ufffe" in html or "\uffff" in html
    else:
        assert html == expected
