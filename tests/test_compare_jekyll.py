"""bench/compare_jekyll.py's content measure: visible text, word ratio, residue (issue 9's yardstick)."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
SPEC = importlib.util.spec_from_file_location("compare_jekyll", HERE.parent / "bench" / "compare_jekyll.py")
assert SPEC and SPEC.loader
compare = importlib.util.module_from_spec(SPEC)
sys.modules[SPEC.name] = compare  # dataclasses look their module up there
SPEC.loader.exec_module(compare)

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><generator uri="https://jekyllrb.com/">Jekyll</generator>
<id>https://x.test/feed.xml</id><title>t</title><updated>2024-01-02T00:00:00+00:00</updated>
{entries}</feed>"""
ENTRY = """<entry><id>https://x.test/{n}</id><link href="https://x.test/{n}" rel="alternate"/>
<title>p{n}</title><published>2024-01-0{n}T00:00:00+00:00</published><updated>2024-01-0{n}T00:00:00+00:00</updated>
<content type="html">{body}</content></entry>"""


def write(folder: Path, bodies: list[str]) -> None:
    folder.mkdir()
    entries = "".join(ENTRY.format(n=n, body=body) for n, body in enumerate(bodies, 1))
    (folder / "feed.xml").write_text(ATOM.format(entries=entries), encoding="utf-8")


def test_visible_text_drops_markup_scripts_and_extra_space() -> None:
    assert compare.visible_text("<p>a &amp;\n <b>b</b></p><script>x()</script><style>p{}</style><p>c</p>") == "a & b c"


@pytest.mark.parametrize(("theirs", "mine", "equal"), [
    ("one two three", "one two three", True),
    (" ".join(f"w{i}" for i in range(100)), " ".join(f"w{i}" for i in range(99)) + " other", True),
    ("one two three", "one two four", False),
])
def test_text_ratio_is_over_words(theirs: str, mine: str, equal: bool) -> None:
    assert (compare.text_ratio(theirs, mine) >= compare.RATIO) is equal


def test_residue_counts_template_and_kramdown_syntax_only() -> None:
    assert compare.residue("{% include x %} {{ page.y }} see[^1] {: .note} {:#id}") == 5
    assert compare.residue("a [link] {not this} x^2 50% {b}") == 0


def test_entries_are_compared_by_visible_text_and_residue(tmp_path: Path) -> None:
    write(tmp_path / "jekyll", ["&lt;p&gt;Hello &lt;em&gt;world&lt;/em&gt;&lt;/p&gt;", "&lt;p&gt;Same&lt;/p&gt;",
                                "&lt;p&gt;Note&lt;sup&gt;1&lt;/sup&gt;&lt;/p&gt;"])
    write(tmp_path / "ours", ["&lt;p&gt;Hello   world&lt;/p&gt;", "&lt;p&gt;Different text&lt;/p&gt;",
                              "&lt;p&gt;Note[^1]&lt;/p&gt;"])
    tally = compare.compare_feeds(tmp_path / "jekyll", tmp_path / "ours", show=5)
    assert tally.entries == 3 and tally.text_equal == 1
    assert tally.residue == {"Jekyll": 0, "ours": 1} and tally.residue_ours_only == 1
    table = dict(compare.rows(tally))
    assert table["% content text equal (ratio >= 0.98)"] == "33.33 %"
    assert any("Note[^1]" in line for line in compare.mismatches(tally, "feeds"))
