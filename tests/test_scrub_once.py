"""The control-character scrub makes one pass over a field that holds none (issue 10): finding
where the first one is and which they are is paid for only when there is one to report."""
from __future__ import annotations

from datetime import timezone
from pathlib import Path
from typing import Any

import pytest
from conftest import make_post, unit_config

from feeds import text
from feeds.posts import NEVER, read_post
from feeds.render import render_post
from feeds.text import scrub, xml_safe


class CountingScans:
    """Stands in for text._NOT_XML: counts the scans over the watched text."""

    def __init__(self, pattern: Any, watched: str):
        self.pattern, self.watched, self.scans = pattern, watched, 0

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.pattern, name)

        def counted(*args: Any) -> Any:
            self.scans += any(isinstance(a, str) and a == self.watched for a in args)
            return method(*args)
        return counted


@pytest.fixture
def scans(monkeypatch: pytest.MonkeyPatch) -> Any:
    def watch(watched: str) -> CountingScans:
        counter = CountingScans(text._NOT_XML, watched)
        monkeypatch.setattr(text, "_NOT_XML", counter)
        return counter
    return watch


def test_a_clean_body_is_scanned_once(scans: Any) -> None:
    body = "<p>正文 without control characters</p>\n" * 50
    counter = scans(body)
    rendered, problems = render_post(make_post(markdown=False), body, unit_config())
    assert problems == [] and "正文" in rendered.content
    assert counter.scans == 1


def test_a_clean_front_matter_field_is_scanned_once(scans: Any, tmp_path: Path) -> None:
    title = "A title with nothing to remove 中文"
    path = tmp_path / "_posts" / "2022-03-04-x.md"
    path.parent.mkdir(parents=True)
    path.write_text(f"---\ntitle: {title}\ndate: 2022-03-04\n---\nBody\n", "utf-8")
    counter = scans(title)
    post, problems, _ = read_post(path, tmp_path, unit_config(tmp_path), timezone.utc, NEVER)
    assert post is not None and post.title == title and problems == []
    assert counter.scans <= 1  # none at all for one printable line (text._one_printable_line)


@pytest.mark.parametrize("value, expected", [
    ("", ("", 0, -1, "")), ("plain", ("plain", 0, -1, "")), ("a\x01b\x7f", ("ab", 2, 1, "U+0001, U+007F")),
    ("\ud800x\ufffe", ("x", 2, 0, "U+D800, U+FFFE")), ("\t\n\r kept", ("\t\n\r kept", 0, -1, "")),
    ("\x00\x01\x02\x03\x04", ("", 5, 0, "U+0000, U+0001, U+0002, U+0003, …")),
])
def test_scrub_gives_the_text_the_count_where_and_which(value: str, expected: tuple[str, int, int, str]) -> None:
    assert scrub(value) == expected
    assert xml_safe(value) == expected[:2]
