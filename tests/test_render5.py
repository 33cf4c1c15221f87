"""The render stage made cheaper (issue 10, "faster than Hugo, cold"), each change equal to what it
replaced: the old function (or the library's own call) is the oracle, given arbitrary text."""
from __future__ import annotations

import subprocess
import sys

import cmarkgfm
from hypothesis import example, given
from hypothesis import strategies as st

from feeds import commonmark

MARKDOWN = ["# ", "## h", "\n", "\n\n", "    ", "- ", "1. ", "> ", "```", "~~", "~", "|", "| a | b |\n|---|---|\n",
            "*", "_", "[a](/b)", "[^1]", "[^1]: n\n", "<div>", "</div>", "<p>", "<!--", "-->", "&amp;", "&#1;",
            "\x00", "\r\n", "\ufeff", "中文", "“", "'", '"', "--", "...", "<http://x.y/z>", "https://a.b/c", "\\",
            "[x]: /u\n", "![i](/j.png)", "<h2>", "</h2>", "\t", "é"]
BODIES = st.lists(st.one_of(st.sampled_from(MARKDOWN), st.text(max_size=6)), max_size=30).map("".join)
OPTIONS = st.sampled_from([commonmark.UNSAFE | commonmark.FOOTNOTES,
                           commonmark.UNSAFE | commonmark.FOOTNOTES | commonmark.SMART,
                           commonmark.UNSAFE | commonmark.FOOTNOTES | commonmark.SMART | commonmark.SOURCEPOS, 0])
EXTENSIONS = st.sampled_from([("table", "strikethrough"), (), ("table",), ("autolink", "strikethrough")])


@given(BODIES, OPTIONS, EXTENSIONS)
@example("| a | b |\n|---|---|\n| ~~c~~ | d |\n", commonmark.UNSAFE, ("table", "strikethrough"))
def test_cmark_called_directly_renders_as_cmarkgfm_does(body: str, options: int, extensions: tuple[str, ...]) -> None:
    expected = cmarkgfm.markdown_to_html_with_extensions(body, options=options, extensions=list(extensions))
    assert commonmark.to_html(body, options, extensions) == expected
    assert commonmark.to_html(body.encode(), options, extensions) == expected  # the bytes read from the file


LEAK = """
import resource, sys
from feeds import commonmark
body = ("Some *text* with [a link](/x) and more words, " * 40 + "\\n\\n") * 50  # ~100 KB
commonmark.to_html(body, 0, ("table", "strikethrough"))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
for _ in range(300):
    commonmark.to_html(body, 0, ("table", "strikethrough"))
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
"""


def test_rendering_markdown_keeps_no_memory() -> None:
    """cmarkgfm's own call leaves the tree and the HTML behind (about 1.5 MB for each of these
    100 KB bodies, 450 MB in all); rendered here, each is freed, and memory stays where it was."""
    grown_kb = int(subprocess.run([sys.executable, "-c", LEAK], capture_output=True, text=True, check=True,
                                  timeout=300).stdout)
    assert grown_kb < 50_000
