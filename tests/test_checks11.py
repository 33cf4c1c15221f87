"""The render task's cheaper checks (issue 10, round 11): each new way of asking gives exactly the
answer of the way it replaces, held to it over arbitrary text (Chinese, controls, the markers
themselves, noncharacters)."""
from __future__ import annotations

from hypothesis import example, given
from hypothesis import strategies as st

from feeds.kramdown import hide_typed_quotes, needs_raw_blocks, uses_kramdown
from feeds.kramdown.after import _HTML_AS_CODE
from feeds.kramdown.before import _bracket_trigger, _bracket_trigger_utf8, _definition, _definition_utf8

# the markers the checks look for, and characters around them: CJK (whose code units hold the same
# low bytes as '[' or '|'), curly quotes and their lead byte's neighbours, controls, noncharacters
PIECES = ["[", "]", "^", "*", " ", "\t", "\n", ":", "{", "{:", "{#", "$", "$$", "markdown=", "k", "|", "<p>", "</p>",
          "<p>|", "<pre><code>", "&lt;", "&", "<", ">", "<span>", "</span>", "<P>", "a", "学", "孩", "工", "，",
          "年", "‘", "’", "“", "”", "—", "…", "\x01", "\x7f", "\x85", "\ufffe", "\uffff", "\ufdd0", "é", "😀"]
texts = st.lists(st.sampled_from(PIECES) | st.text(max_size=3), max_size=40).map("".join)


@example(text="[^1]")
@example(text="a] [b")
@example(text="*[HTML]: x")
@example(text="\n : def")
@example(text="{: .c}")
@example(text="x <div markdown=1>")
@given(text=texts)
def test_uses_kramdown_reads_the_bytes_as_the_text(text: str) -> None:
    data = text.encode("utf-8", "surrogatepass")
    assert uses_kramdown(text, data) == uses_kramdown(text)
    assert _bracket_trigger_utf8(data) == _bracket_trigger(text)
    assert _definition_utf8(data) == _definition(text)


@given(text=texts)
def test_bracket_and_definition_after_many_markers(text: str) -> None:
    """Past the occurrences looked at one by one, the searches answer."""
    for padded in ("[x]" * 40 + text, "a:b" * 40 + text):
        data = padded.encode("utf-8", "surrogatepass")
        assert _bracket_trigger_utf8(data) == _bracket_trigger(padded)
        assert _definition_utf8(data) == _definition(padded)


@example(rendered="<p>|a|</p>")
@example(rendered="|<p>|")
@example(rendered="<pre><code>&lt;tr&gt;")
@given(rendered=texts)
def test_needs_raw_blocks_as_before(rendered: str) -> None:
    before = ("<pre><code>" in rendered and _HTML_AS_CODE.search(rendered) is not None) or "<p>|" in rendered
    assert needs_raw_blocks(rendered) == before
    assert needs_raw_blocks("|" * 20 + rendered) == (before or "<p>|" in "|" * 20 + rendered)


@given(text=texts)
def test_typed_quotes_hidden_as_before(text: str) -> None:
    assert hide_typed_quotes(text, text.encode("utf-8", "surrogatepass")) == hide_typed_quotes(text)
