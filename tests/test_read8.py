"""The read stage's per-post work, cut (issue 10, read8): each step a common post no longer takes is
checked here by counting it; that the Posts, problems and rows stay what they were is held by
tests/test_reading_oracle.py (read_post against main's code on arbitrary front matter),
tests/test_fastyaml.py (the front matter reader against PyYAML) and the tests named below."""
from __future__ import annotations

from typing import Any

import pytest

from feeds import posts, yamlload
from feeds.posts import split_front_matter

COMMON = ('---\nlayout: post\ntitle: "扎实新闻 降低学生"\ndate: 2019-01-01 02:30:34\n'
          "categories: zhongguo huojiquandi\ntags: [成都理论, 南京苏州报道]\n---\n\nBody {x}.\n")


class _Counted:
    """A compiled pattern whose searches are counted."""

    def __init__(self, pattern: Any, asked: list[str]):
        self.pattern, self.asked = pattern, asked

    def search(self, text: str, *args: Any) -> Any:
        self.asked.append(text)
        return self.pattern.search(text, *args)

    def subn(self, *args: Any) -> Any:
        return self.pattern.subn(*args)


@pytest.mark.parametrize("text", [COMMON, COMMON.replace("---", "+++").replace(": ", " = ", 0),
                                  "+++\ntitle = \"T\"\n+++\nbody\n", "no front matter\n", "\n\n---\ntitle: x\n---\n",
                                  "---\ntitle: x\n", "----\ntitle: x\n----\n", "--- \ntitle: x\n---\n"])
@pytest.mark.parametrize("as_jekyll_post", [True, False])
def test_the_opening_boundary_is_matched_once_not_detected_first(monkeypatch: pytest.MonkeyPatch, text: str,
                                                                as_jekyll_post: bool) -> None:
    """The handler is the one whose boundary opens the text: its match is kept, not asked again
    after python-frontmatter's ``detect`` asked the same; what is split is what it was."""
    was = split_front_matter(text, "p.md", as_jekyll_post)

    def refuse(text: str) -> bool:
        raise AssertionError("detect() asked")
    monkeypatch.setattr(posts._HANDLER, "detect", refuse)
    monkeypatch.setattr(posts._TOML, "detect", refuse)
    assert split_front_matter(text, "p.md", as_jekyll_post) == was


@pytest.mark.parametrize("control", ["", "\x07", "\x00\x1b"])
def test_front_matter_is_searched_for_control_characters_once(monkeypatch: pytest.MonkeyPatch, control: str) -> None:
    """posts drops them (and warns); the YAML reader is told so and does not look again. A text
    the reader gets from anyone else is still searched."""
    text = COMMON.replace("layout: post", f"layout: po{control}st")
    was = split_front_matter(text, "p.md", True)
    asked: list[str] = []
    monkeypatch.setattr(posts, "NOT_YAML", _Counted(posts.NOT_YAML, asked))
    monkeypatch.setattr(yamlload, "NOT_YAML", _Counted(yamlload.NOT_YAML, asked))
    assert split_front_matter(text, "p.md", True) == was
    assert len(asked) == 1
    assert was[0] is not None and was[0].data["layout"] == "post" and len(was[1]) == (1 if control else 0)
    with pytest.raises(yamlload.YamlProblem):
        yamlload.load_text_yaml("\na: b\x07\n")
    assert len(asked) == 2
