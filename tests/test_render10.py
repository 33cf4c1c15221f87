"""The render task's Python, cheaper (issue 10, render10): each cheaper way gives what the old way
gave (the old check is kept here as the oracle where the code no longer holds it), and is shown
taken (the test fails on the code before)."""
from __future__ import annotations

import pytest

from feeds import render


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
