"""The render task's Python, cheaper (issue 10, render10): each cheaper way gives what the old way
gave (the old check is kept here as the oracle where the code no longer holds it), and is shown
taken (the test fails on the code before)."""
from __future__ import annotations

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from feeds import kramdown, render
from feeds.kramdown import before

# the markers, and CJK characters with a '{' or '^' byte, high or low: 第 U+7B2C, 年 U+5E74, 乻 U+4E7B
MARKERS = ["{", "{:", "{#", "^", "\n^", "$", "$$", "[", "[^", ":", "\n: ", "markdown=", "第", "年", "\u4e7b", "中",
           "\n", " ", "\t"]
TEXT = st.lists(st.one_of(st.sampled_from(MARKERS), st.text(max_size=4)), max_size=40).map(
    lambda parts: re.sub("[\ud800-\udfff]", "", "".join(parts)))


def old_uses_kramdown(text: str) -> bool:
    """uses_kramdown as it was: every marker but '[' and ':' looked for in the text."""
    return (("{" in text and ("{:" in text or "{#" in text)) or ("[" in text and before._bracket_trigger(text))
            or ("^" in text and "\n^" in text) or ("$" in text and "$$" in text) or "markdown=" in text
            or (":" in text and before._definition(text)))


@example("年年\n^")
@example("第{#x}")
@given(TEXT)
def test_kramdown_is_noticed_with_the_bytes_as_before(value: str) -> None:
    assert kramdown.uses_kramdown(value, value.encode()) == old_uses_kramdown(value)


class _Logged(str):
    """A text that notes each single character looked for in it."""
    asked: list[str]

    def __contains__(self, part: object) -> bool:
        self.asked.append(str(part))
        return super().__contains__(str(part))


def test_braces_and_carets_are_looked_for_in_the_bytes() -> None:
    """In CJK text a search for '{' or '^' stops at every character with such a byte (第, 年); with
    the bytes at hand, the text is not searched for them."""
    body = "第一年经济\n\n[改革](/news/1.html) 等等：常年\n" * 20
    text = _Logged(body)
    text.asked = []
    assert not kramdown.uses_kramdown(text, body.encode())
    assert "{" not in text.asked and "^" not in text.asked
    text.asked = []
    assert not kramdown.uses_kramdown(text)  # without the bytes, the text's way
    assert "{" in text.asked and "^" in text.asked


@pytest.mark.parametrize("base", ["https://x.test/2022/03/04/post.html", "https://x.test/", "https://x.test/a/b/",
                                  "https://x.test/p"])
def test_a_plain_base_is_its_own_folder(base: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A base URL without dot or empty segments (nearly every post's) gives its folder as its text up
    to the last "/": no segments split and resolved, once a post."""
    render._base_parts.cache_clear()
    monkeypatch.setattr(render, "_resolved", lambda segments: pytest.fail("segments resolved"))
    for url in ("../news/", "img/a.png", "../../x", "../../../../../y/", "a/b/"):
        assert render.plain_absolute(url, base, "https") == render.absolute(url, base, "https")
    render._base_parts.cache_clear()
