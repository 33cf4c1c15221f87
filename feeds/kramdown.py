"""The kramdown syntax Jekyll posts use, on top of a CommonMark + GFM renderer (see render.py).

Jekyll renders Markdown with kramdown (input "GFM"). CommonMark agrees with it on the common
syntax; what kramdown adds is handled here, in pure Python around the C renderer, so a post that
uses none of it pays one scan for a few marker strings:

- ``prepare`` (before Markdown) finds, outside fenced code: ALD definitions (``{:ref: .x}``) and
  abbreviation definitions (``*[HTML]: …``), which it removes; block IALs (``{: .note}`` on a line
  of their own), which become HTML comment markers; ``markdown="1"`` HTML blocks, whose content it
  sets apart with blank lines so that it is read as Markdown; definition lists (``Term`` / ``: def``),
  which become ``<dl><dt>``/``<dd>`` HTML blocks around Markdown.
  Also: math (``$$…$$``) and the extensions (``{::comment}``, ``{::nomarkdown}``, ``{::options /}``)
  as tokens; the end-of-block marker ``^``; ``[text] [ref]``; tables without a header row as HTML
  around Markdown cells; and, when the common reading went wrong (``needs_raw_blocks``), HTML blocks
  ending at their end tag as kramdown ends them.
- ``finish`` (after Markdown) applies the markers and span IALs (``*x*{: .c}``, ``[a](b){:#id}``) to
  their elements, rewrites GFM footnotes as kramdown writes them (``fn:1``, ``fnref:1``), gives
  headers kramdown's GFM ids (``## Hello, World!`` -> ``hello-world``, ``-1`` for a repeat) or the
  ``{#id}`` written after them, and wraps defined abbreviations in ``<abbr title>``.

Typographic dashes and ellipses come from the renderer's "smart" option (the same characters); its
quotes are then set by kramdown's rules (``requote``), which look at the characters around a quote
where the renderer pairs quotes: ``` `Box`'tır ``` -> ‘, ``：“A`` -> ”, ``'Happy …'라는`` -> ‘…’.
"""
from __future__ import annotations

import bisect
import html
import itertools
import re
from dataclasses import dataclass, field
from typing import Any

TRIGGERS = ("{:", "[^", "markdown=", "*[", "{#", "\n^", "] [", "]\t[", "$$")
# a definition (indented too: in a list item)
_TRIGGER = re.compile(r"\n[ \t]*:[ \t]")
_NOTEWORTHY = frozenset("`~{*:<^|")  # a line's first character, when the line may matter here
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_ALD = re.compile(r" {0,3}\{:([A-Za-z0-9_][\w-]*):(.*)\}\s*\Z")
_IAL_LINE = re.compile(r" {0,3}\{:(?!:)\s*(.*?)\}\s*\Z")
_ABBR = re.compile(r" {0,3}\*\[([^\]]+)\]:(.*)\Z")
_OPEN_CLOSE = re.compile(r"<(/?)([A-Za-z][\w-]*)(?=[\s/>])")
_DEF = re.compile(r" {0,3}:[ \t]+(.*)\Z")
_ITEM = re.compile(r" *(?:[*+-]|\d{1,9}[.)]) +")
_MD_OPEN = re.compile(r"(\s*)<([A-Za-z][\w-]*)([^>]*?)\s+markdown=(\"|'|)(?:1|block)\4([^>]*)>(.*)\Z")
_EOB = "<!--kd:eob-->"  # kramdown's end-of-block marker ``^``: ends a list, a quote, a paragraph
_GAP = re.compile(r"\]([ \t]+)\[([^\]\n]+)\]")
_LINK_DEF = re.compile(r"^ {0,3}\[([^\n\]]+)\]:", re.M)
_MATH = re.compile(r"\$\$(.*?)\$\$", re.S)
_MATH_TOKEN = re.compile("\ufdd4(\\d+)\ufdd5")  # noncharacters: xml_safe has removed any from the body
_BLOCK_MATH = re.compile("(?:<p>)?\ufdd6(\\d+)\ufdd5(?:</p>)?")
_EXTENSION = re.compile(r"\{::(comment|nomarkdown)\}(.*?)\{:/(?:\1)?\}|\{::(options|\w+)\b[^}]*/\}", re.S)
_NO_AUTO_IDS = re.compile(r"auto_ids=(\"|')false\1")
_RAW_TOKEN = re.compile("\ufdd7(\\d+)\ufdd5")
_TABLE_RULE = re.compile(r" {0,3}\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*\Z|\s*\|[-=+:| ]*\Z")
_TD_P = re.compile(r"<td>\n<p>((?:(?!</?p[\s>]).)*)</p>\n</td>", re.S)
_FENCES = re.compile(r"^ {0,3}(?:`{3,}|~{3,})", re.M)
_RAW_TAG = re.compile(r"<!--.*?-->|<\?.*?\?>|</([\w:][\w.:-]*)\s*>|<([\w:][\w.:-]*)((?:\s+[\w:][\w.:-]*(?:\s*=\s*"
                      r"(?:\w+|\"[^\"]*\"|'[^']*'))?)*)\s*(/)?>", re.S)
_RAW_START = re.compile(r" {0,3}<([\w:][\w.:-]*)")
_SPAN_TAGS = frozenset("a abbr acronym b big bdo br button cite code del dfn em i img input ins kbd label mark "
                       "option q rb rbc rp rt rtc ruby samp select small span strong sub sup tt u var".split())
_VOID_TAGS = frozenset("area base br col command embed hr img input keygen link meta param source track wbr".split())
_HTML_AS_CODE = re.compile(r"<pre><code>[^<]*?&lt;[A-Za-z/!]")
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_RAW_MARKER = re.compile(r"<!--kd:raw:(\d+)-->\n?")
_MARKER = re.compile(r"<!--kd:(\d+):([pn])-->\n?")
_NEXT_TAG = re.compile(r"<[A-Za-z][^>]*>")
_CLOSING_AT_END = re.compile(r"</([A-Za-z][\w-]*)>\Z")
_CODE = re.compile(r"(<(?:pre|code)\b.*?</(?:pre|code)>)", re.S)
_TAG_END = (" ", ">", "\n", "\t", "/")
_SPAN_IAL = re.compile(r"\{:(?!:)\s*([^}]*)\}")
_ATTR = re.compile(r"""([#.])([\w-]+)|([\w:-]+)=(?:"([^"]*)"|'([^']*)'|(\S+))|([A-Za-z0-9_][\w-]*)""")
_RAW_HEADER = re.compile(r"<[hH][1-6][\s/>]")
_SOURCEPOS_HEADER = re.compile(r'(<h[1-6]) data-sourcepos="[^"]*"')
_SOURCEPOS = re.compile(r' data-sourcepos="[^"]*"')
_HEADER = re.compile(r"<h([1-6])((?:\s[^>]*)?)>(.*?)</h\1>", re.S)
_HEADER_ID = re.compile(r"\s*\{#([\w:.-]+)\}\s*\Z")
_TAG = re.compile(r"<[^>]*>")
_NON_WORD = re.compile(r"[^\w\- \t]")
_DL_P = re.compile(r"<(dt|dd)>\n<p>((?:(?!</?p[\s>]).)*)</p>\n</\1>", re.S)
_FN_REF = re.compile(r'<sup class="footnote-ref"><a href="#fn-([^"]*)" id="fnref-([^"]*)" data-footnote-ref>')
_REPEAT = re.compile(r"(.+)-(\d+)\Z")
_FN_BACK = re.compile(r'<a href="#fnref-([^"]*)" class="footnote-backref"[^>]*>')
_FN_ITEM = re.compile(r'<li id="fn-([^"]*)">')
_QUOTES = str.maketrans("“”‘’\ufdd2\ufdd3\ufdd0\ufdd1", "\"\"''\"\"''")
_HIDDEN = "\ufdd0\ufdd1\ufdd2\ufdd3"  # noncharacters: xml_safe has removed any from the body
# kramdown's typographic << and >> (the renderer escapes them), a space beside them made non-breaking;
# not inside a tag (an attribute's value)
_GUILLEMETS = re.compile(r"<[^>]*>|&lt;&lt; | &gt;&gt;|&lt;&lt;|&gt;&gt;")
_GUILLEMET = {"&lt;&lt; ": "«\u00a0", " &gt;&gt;": "\u00a0»", "&lt;&lt;": "«", "&gt;&gt;": "»"}
_SPACE = " \t\r\n\f\v"  # Ruby's \s
_NOT_CLOSING = " \t\r\n\f\v\\[{(->‘’“”'"  # kramdown's SQ_CLOSE is any other character before a quote
_SQ_PUNCT = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"
_WORD = re.compile(r"\w", re.ASCII)
_DECADE = re.compile(r"\d\ds")
_NEXT_TAGS = {"<em": "*", "<strong": "*", "</em": "*", "</strong": "*", "<a": "[", "<img": "!", "<code": "`"}


@dataclass
class Extras:
    """What ``prepare`` took out of the text for ``finish``."""
    ials: list[str] = field(default_factory=list)
    alds: dict[str, str] = field(default_factory=dict)
    abbrs: dict[str, str] = field(default_factory=dict)
    spans: bool = False  # a span IAL may be there
    headers: bool = False  # a {#id} may follow a header
    math: list[str] = field(default_factory=list)  # $$…$$, each in the text as a token
    raw: list[str] = field(default_factory=list)  # HTML blocks that hold a blank line, as written
    auto_ids: bool = True  # {::options auto_ids="false" /} turns header ids off


def uses_kramdown(text: str) -> bool:
    """Whether ``text`` holds one of the ``TRIGGERS``, or a definition. Written out, and grouped by
    a character each needs (one quick scan rules out several): a body is scanned half as long as
    by ``any`` over them."""
    return (("{" in text and ("{:" in text or "{#" in text))
            or ("[" in text and ("[^" in text or "*[" in text or "] [" in text or "]\t[" in text))
            or ("^" in text and "\n^" in text) or ("$" in text and "$$" in text) or "markdown=" in text
            or (": " in text or ":\t" in text) and _TRIGGER.search(text) is not None)


def prepare(text: str, raw_blocks: bool = False) -> tuple[str, Extras]:
    """``raw_blocks``: HTML blocks end where kramdown ends them, at the element's end tag and not at a
    blank line (see ``needs_raw_blocks``)."""
    extras = Extras(spans="{:" in text, headers="{#" in text)
    labels = {_label(m) for m in _LINK_DEF.findall(text)} if "] [" in text or "]\t[" in text else None
    if "{::" in text:
        text = _take_extensions(text, extras)
    if "$$" in text:
        text = _take_math(text, extras.math)
    lines = text.split("\n")
    starts = list(itertools.accumulate((len(line) + 1 for line in lines), initial=0)) if raw_blocks else []
    out: list[str] = []
    fence = ""
    blocks: list[list[Any]] = []  # the markdown="1" blocks open: [tag, depth of that tag]
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if fence:
            out.append(line)
            if line.strip().startswith(fence) and not line.strip().strip(fence[0]):
                fence = ""
            continue
        if labels and "]" in line:
            line = _close_gaps(line, labels)
        first = line[:1] if line[:1] != " " else line.lstrip(" ")[:1]
        if first == "^" and not line[1:].strip():
            out.append(_EOB)
            continue
        if first not in _NOTEWORTHY or (first == "<" and not blocks and "markdown=" not in line):
            found = _raw_block(text, starts, i - 1) if raw_blocks and first == "<" and not blocks else None
            if found and found[0] == -1:
                raw_blocks = False  # an element that never ends: the ones after it are not looked for again
            elif found and not found[1]:
                last = bisect.bisect_right(starts, found[0]) - 1  # no blank line: CommonMark agrees, and
                out.extend([line, *lines[i:last + 1]])  # the elements inside are not looked at one by one
                i = last + 1
                continue
            elif found:
                end = found[0]
                extras.raw.append(text[starts[i - 1]:end])
                out.append(f"<!--kd:raw:{len(extras.raw) - 1}-->")
                i = bisect.bisect_right(starts, end) - 1
                if text[end:starts[i + 1] - 1].strip():
                    lines[i] = text[end:starts[i + 1] - 1]  # after the end tag: what follows, read anew
                else:
                    i += 1
                continue
            out.append(line)  # most lines: nothing of kramdown's can start here
            continue
        opened = _FENCE.match(line)
        if opened:
            fence = opened.group(1)
            out.append(line)
            continue
        if "markdown=" in line and (block := _MD_OPEN.match(line)):
            # <div markdown="1"> … </div>: the tags on lines of their own, blank lines around the
            # content so that CommonMark reads it as Markdown; the rest of this line is content
            indent, tag, before, after, rest = block.group(1, 2, 3, 5, 6)
            out.extend([f"{indent}<{tag}{before}{after}>", ""])
            blocks.append([tag.lower(), 1])
            if rest.strip():
                i -= 1
                lines[i] = rest
            continue
        if blocks and "<" in line:
            closed = _close(line, blocks)
            if closed is not None:
                out.extend([line[:closed], "", line[closed:]])
                continue
        previous_blank = not out or not out[-1].strip()
        if first == "|" and previous_blank and not blocks:
            taken = _headerless_table(lines, i - 1, out)
            if taken:
                i = taken
                continue
        if "{:" in line:
            ald = _ALD.match(line)
            if ald:
                extras.alds[ald.group(1)] = ald.group(2)
                out.append("")
                continue
            ial = _IAL_LINE.match(line)
            if ial:
                extras.ials.append(ial.group(1))
                out.append(f"<!--kd:{len(extras.ials) - 1}:{'n' if previous_blank else 'p'}-->")
                continue
        if line.lstrip().startswith("*["):
            abbr = _ABBR.match(line)
            if abbr:
                extras.abbrs[abbr.group(1)] = abbr.group(2).strip()
                out.append("")
                continue
        if line.lstrip(" ").startswith(":") and _DEF.match(line.lstrip(" ")):
            where = _definition_list(lines, i - 1, out)
            if where:
                i = _definitions(lines, i - 1, out, *where)
                continue
        out.append(line)
    return "\n".join(out), extras


def _take_extensions(text: str, extras: Extras) -> str:
    """kramdown's extensions: ``{::comment}…{:/comment}`` becomes an HTML comment, ``{::nomarkdown}…
    {:/nomarkdown}`` its text as written, not Markdown (both inline too; ``{:/}`` closes either);
    ``{::options … /}`` is removed (its ``auto_ids="false"`` kept). Each stands as a token (a marker
    line for a block) until ``finish``."""
    raw = extras.raw
    in_code = _InCode(text)

    def token(m: re.Match[str]) -> str:
        start, end = m.span()
        if in_code(start):
            return m.group(0)
        name, body = m.group(1) or m.group(3), m.group(2) or ""
        if name == "comment":
            body = f"<!-- {body.strip().replace('--', '- -')} -->"
        elif name != "nomarkdown":
            body = ""
            if name == "options" and _NO_AUTO_IDS.search(m.group(0)):
                extras.auto_ids = False
        line_start = in_code.line
        block = start - line_start < 4 and not text[line_start:start].strip(" ") and text[end:end + 1] in ("\n", "")
        if block and not body:
            return ""
        raw.append(body if block else body.strip("\n"))
        return f"<!--kd:raw:{len(raw) - 1}-->" if block else f"\ufdd7{len(raw) - 1}\ufdd5"

    return _EXTENSION.sub(token, text)


class _InCode:
    """Whether a position (asked in increasing order) is inside a code span of its line or a fenced
    block; counts each stretch of text once."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.fences = [m.start() for m in _FENCES.finditer(text)] if "``" in text or "~~" in text else []
        self.pos, self.line, self.ticks = 0, 0, 0

    def __call__(self, start: int) -> bool:
        line_start = self.text.rfind("\n", self.pos, start) + 1 or self.line
        if line_start != self.line:
            self.line, self.pos, self.ticks = line_start, line_start, 0
        self.ticks += self.text.count("`", self.pos, start)
        self.pos = start
        return bool(self.ticks % 2 or bisect.bisect_left(self.fences, start) % 2)


def _take_math(text: str, math: list[str]) -> str:
    """kramdown's math: ``$$…$$`` (across lines too) is TeX for MathJax, not Markdown. A token stands
    for each until ``finish``: a block one (after and before a blank line) or an inline one. Not in
    code: fenced blocks and code spans on the line are left alone."""
    in_code = _InCode(text)

    def token(m: re.Match[str]) -> str:
        start, end = m.span()
        if in_code(start):
            return m.group(0)
        line_start = in_code.line
        math.append(m.group(1).strip())
        after = text[end:end + 2]
        after_blank = start - line_start < 4 and not text[line_start:start].strip(" ") and (
            line_start < 2 or text[line_start - 2] == "\n")
        alone = after_blank and (not after.strip(" \t") or after.startswith("\n") and (
            end + 1 >= len(text) or text[end + 1] == "\n"))
        return f"\ufdd6{len(math) - 1}\ufdd5" if alone else f"\ufdd4{len(math) - 1}\ufdd5"

    return _MATH.sub(token, text)


def needs_raw_blocks(rendered: str) -> bool:
    """Whether the common reading went wrong where kramdown's differs, so that the body is read again
    with kramdown's rules: HTML came out as an indented code block (an HTML block with a blank line in
    it, which CommonMark ends there and kramdown at its end tag: the jekyll docs' tables, ``<tr>``
    indented), or a table without a header came out as a paragraph."""
    return ("<pre><code>" in rendered and _HTML_AS_CODE.search(rendered) is not None) or "<p>|" in rendered


def _raw_block(text: str, starts: list[int], at: int) -> tuple[int, bool] | None:
    """Where the HTML block element that starts line ``at`` ends, as kramdown reads it (its end tag,
    nested elements counted, void and self-closed elements and comments skipped) and whether a blank
    line lies inside (else CommonMark reads it the same way); (-1, False) when it never ends; None
    when the line does not start an HTML block element."""
    found = _RAW_START.match(text, starts[at])
    if not found or found.group(1).lower() in _SPAN_TAGS:
        return None
    stack: list[str] = []
    for m in _RAW_TAG.finditer(text, found.start(1) - 1):
        closing, opening = m.group(1), m.group(2)
        if opening:
            name = opening.lower()
            if "markdown=" in m.group(3):
                return None  # Markdown inside: see the markdown="1" blocks
            if not m.group(4) and name not in _VOID_TAGS:
                stack.append(name)
        elif closing and stack and closing.lower() == stack[-1]:
            stack.pop()
        if not stack:
            end = m.end()
            inside = text[starts[at]:end]
            return end, "\n\n" in inside or _BLANK_LINE.search(inside) is not None
    return -1, False


def _headerless_table(lines: list[str], at: int, out: list[str]) -> int:
    """kramdown's table without a header (rows of ``| a | b |`` and no ``|---|`` line, which GFM
    needs) as an HTML table, each cell's Markdown set apart by blank lines (``finish`` unwraps the
    ``<p>``); returns where it stopped, or 0 when the rows are not such a table."""
    end = at
    while end < len(lines) and lines[end].lstrip(" ").startswith("|") and len(lines[end]) - len(
            lines[end].lstrip(" ")) < 4:
        end += 1
    if end == at or any(_TABLE_RULE.match(line) for line in lines[at:end]):
        return 0  # GFM's table (or kramdown's sections, left as they are)
    out.extend(["<table>", "<tbody>"])
    for line in lines[at:end]:
        out.append("<tr>")
        for cell in _cells(line):
            out.extend(["<td>", "", cell, "", "</td>"] if cell else ["<td></td>"])
        out.append("</tr>")
    out.extend(["</tbody>", "</table>", ""])
    return end


def _cells(line: str) -> list[str]:
    """A table row's cells: split at ``|`` outside code spans and not escaped."""
    row = line.strip()
    row = row[1:] if row.startswith("|") else row
    row = row[:-1] if row.endswith("|") and not row.endswith("\\|") else row
    cells: list[str] = []
    cell: list[str] = []
    ticks = 0
    for n, char in enumerate(row):
        if char == "`":
            ticks += 1
        if char == "|" and not ticks % 2 and (not n or row[n - 1] != "\\"):
            cells.append("".join(cell).strip())
            cell = []
        else:
            cell.append(char)
    cells.append("".join(cell).strip())
    return cells


def _label(label: str) -> str:
    return " ".join(label.split()).lower()


def _close_gaps(line: str, labels: set[str]) -> str:
    """``[text] [ref]`` -> ``[text][ref]`` where ``ref`` is defined (kramdown allows the space),
    outside code spans."""
    def close(m: re.Match[str]) -> str:
        if _label(m.group(2)) not in labels or line.count("`", 0, m.start()) % 2:
            return m.group(0)
        return f"][{m.group(2)}]"

    return _GAP.sub(close, line)


def _close(line: str, blocks: list[list[Any]]) -> int | None:
    """Counts the line's tags of the open ``markdown="1"`` blocks' kinds; where the first of them
    closes (that block and any closing on the same line are done), or None."""
    first = None
    for m in _OPEN_CLOSE.finditer(line):
        if not blocks:
            break
        if m.group(2).lower() == blocks[-1][0]:
            blocks[-1][1] += -1 if m.group(1) else 1
            if blocks[-1][1] == 0:
                blocks.pop()
                first = m.start() if first is None else first
    return first


def _definition_list(lines: list[str], at: int, out: list[str]) -> tuple[int, str] | None:
    """Whether ``: …`` at ``lines[at]`` defines the paragraph before it (kramdown: a term is a
    paragraph's lines, at most one blank line away), and where: (indent, list marker). A definition
    indented as far as its terms, or as the content of the list item the terms begin, is a list
    inside that item; one indented at most 3 spaces under unindented terms is at the top."""
    pad = len(lines[at]) - len(lines[at].lstrip(" "))
    back = len(out) - 1
    if back > 0 and not out[back].strip():
        back -= 1
    if back < 0 or not out[back].strip():
        return None
    if pad:
        first = back
        while first > 0 and out[first - 1].strip() and out[first - 1].startswith(" " * pad):
            first -= 1
        indented = out[first].startswith(" " * pad)
        head = out[first - 1] if indented and first and out[first - 1].strip() else "" if indented else out[first]
        item = _ITEM.match(head)
        if item and item.end() == pad:
            return pad, item.group(0)
        if not head:
            return pad, ""
    if pad > 3 or out[back].lstrip().startswith(("<", "#", "-", "*", "|")):
        return None
    return 0, ""


def _definitions(lines: list[str], at: int, out: list[str], pad: int, marker: str) -> int:
    """Moves the term lines from ``out`` into a ``<dl>`` and writes the definitions after them, and
    the next terms and definitions, as kramdown joins them into one list; returns where it stopped.
    A definition after a blank line is a paragraph (``<dd >`` keeps its ``<p>``, see ``finish``).
    ``pad``: the list's indent (inside a list item); ``marker``: the item's marker, when the terms
    begin the item."""
    spaced = not out[-1].strip()
    while out and not out[-1].strip():
        out.pop()
    terms: list[str] = []
    while out and out[-1].strip() and not out[-1].startswith("<!--kd:"):
        terms.insert(0, out.pop())
        if marker and terms[0].startswith(marker):
            terms[0] = terms[0][len(marker):]
            break
        if pad and not terms[0].startswith(" " * pad):
            break
    indent = " " * pad
    block: list[str] = ["<dl>"]
    i = at
    while True:
        for term in terms:
            block.extend(["<dt>", "", term.strip(), "", "</dt>"])
        while i < len(lines) and (found := _DEF.match(_inside(lines[i], pad))):
            body = [found.group(1)]
            i += 1
            while i < len(lines) and ((line := _inside(lines[i], pad)).startswith((" ", "\t")) or (
                    not line.strip() and i + 1 < len(lines) and _inside(lines[i + 1], pad).startswith(("    ", "\t"))
            ) or (body[-1].strip() and line.strip() and line != "\0" and not _DEF.match(line))):
                body.append(line[4:] if line.startswith("    ") else line.strip())  # indented or lazy
                i += 1
            block.extend(["<dd >" if spaced else "<dd>", "", *body, "", "</dd>"])
            spaced = False
            if i + 1 < len(lines) and not lines[i].strip() and _DEF.match(_inside(lines[i + 1], pad)):
                i, spaced = i + 1, True
        terms, j = _next_terms(lines, i, pad)
        if not terms:
            break
        i, spaced = j, not lines[j - 1].strip()
    block.append("</dl>")
    out.extend(f"{indent}{line}" if line else "" for line in block)
    if marker:
        out[-len(block)] = marker + block[0]
    out.append("")
    return i


def _inside(line: str, pad: int) -> str:
    """The line as the list item ``pad`` deep sees it; "\0" when it is not inside the item."""
    if not pad or not line.strip():
        return line
    return line[pad:] if line.startswith(" " * pad) else "\0"


def _next_terms(lines: list[str], i: int, pad: int) -> tuple[list[str], int]:
    """After a definition: blank lines, term lines, at most one blank line, a definition?"""
    while i < len(lines) and not lines[i].strip():
        i += 1
    start = i
    while i < len(lines) and lines[i].strip() and not _DEF.match(_inside(lines[i], pad)):
        i += 1
    terms = [_inside(line, pad) for line in lines[start:i]]
    if i < len(lines) and not lines[i].strip():
        i += 1
    if not terms or i >= len(lines) or not _DEF.match(_inside(lines[i], pad)) or any(
            t.lstrip().startswith(("<", "#", "-", "*", "|", "{:", "\0")) for t in terms):
        return [], start
    return terms, i


def has_raw_headers(text: str) -> bool:
    """Whether the Markdown holds HTML header tags (kramdown gives ids to Markdown headers only)."""
    return "<h" in text and _RAW_HEADER.search(text) is not None


def mark_markdown_headers(text: str) -> str:
    """HTML rendered with source positions -> without them, the Markdown headers marked ``data-kd``."""
    return _SOURCEPOS.sub("", _SOURCEPOS_HEADER.sub(r"\1 data-kd", text))


def finish(text: str, extras: Extras | None, auto_ids: bool, marked: bool = False) -> str:
    """``marked``: only the headers marked by ``mark_markdown_headers`` get automatic ids."""
    if extras is not None:
        if extras.raw:
            text = _RAW_MARKER.sub(lambda m: extras.raw[int(m.group(1))] + "\n", text)
            text = _RAW_TOKEN.sub(lambda m: extras.raw[int(m.group(1))], text)
        if extras.math:
            text = _put_math(text, extras.math)
        if _EOB in text:
            text = text.replace(_EOB + "\n", "").replace(_EOB, "")
        if "footnote-ref" in text:
            text = _footnotes(text)
        if extras.ials or extras.spans:
            text = _attach(text, extras)
        if "<td>\n<p>" in text:
            text = _TD_P.sub(r"<td>\1</td>", text)
        if "<dl>" in text:
            text = _DL_P.sub(r"<\1>\2</\1>", text).replace("<dd >", "<dd>")
    if extras is not None and not extras.auto_ids:
        auto_ids = False
    if (auto_ids or (extras is not None and extras.headers)) and "<h" in text:  # (no header: no search)
        text = _header_ids(text, auto_ids, marked)
    if extras is not None and extras.abbrs:
        text = _abbreviations(text, extras.abbrs)
    return text


def _put_math(text: str, math: list[str]) -> str:
    """The math tokens as kramdown's MathJax output: ``\\[…\\]`` for a block, ``\\(…\\)`` inline."""
    def block(m: re.Match[str]) -> str:
        return f"\\[{html.escape(math[int(m.group(1))], quote=False)}\\]"

    def inline(m: re.Match[str]) -> str:
        return f"\\({html.escape(math[int(m.group(1))], quote=False)}\\)"

    return _MATH_TOKEN.sub(inline, _BLOCK_MATH.sub(block, text))


def _footnotes(text: str) -> str:
    """cmark-gfm's footnote markup -> kramdown's: ids ``fn:x``/``fnref:x`` (``fnref:x:1`` for the
    second reference to one note), classes ``footnote``/``reversefootnote``, a ``div`` around."""
    labels = set(_FN_ITEM.findall(text))

    def ref(value: str) -> str:
        repeat = _REPEAT.match(value)
        return f"{repeat.group(1)}:{int(repeat.group(2)) - 1}" if value not in labels and repeat else value

    text = _FN_REF.sub(lambda m: f'<sup id="fnref:{ref(m.group(2))}"><a href="#fn:{m.group(1)}" class="footnote">',
                       text)
    text = _FN_BACK.sub(lambda m: f'<a href="#fnref:{ref(m.group(1))}" class="reversefootnote">', text)
    text = _FN_ITEM.sub(r'<li id="fn:\1">', text).replace('<sup class="footnote-ref">', "<sup>")
    return text.replace('<section class="footnotes" data-footnotes>', '<div class="footnotes">').replace(
        "</ol>\n</section>", "</ol>\n</div>")


def _attributes(spec: str, alds: dict[str, str], seen: frozenset[str] = frozenset()) -> dict[str, str]:
    """An IAL's text (``.a #b key="v" ref``) as attributes; references expand their ALD."""
    attrs: dict[str, str] = {}
    for m in _ATTR.finditer(spec.translate(_QUOTES).replace("&quot;", '"')):
        kind, name, key, *values, ref = m.groups()
        if kind == ".":
            attrs["class"] = f"{attrs['class']} {name}" if "class" in attrs else name
        elif kind == "#":
            attrs["id"] = name
        elif key:
            attrs[key] = next((v for v in values if v is not None), "")
        elif ref in alds and ref not in seen:
            for k, v in _attributes(alds[ref], alds, seen | {ref}).items():
                attrs[k] = f"{attrs[k]} {v}" if k == "class" and k in attrs else v
    return attrs


def _with_attributes(opening: str, attrs: dict[str, str]) -> str:
    """``<p>`` or ``<p class="a">`` with ``attrs`` added (classes joined, others replaced)."""
    end = len(opening) - (2 if opening.endswith("/>") else 1)
    head, tail = opening[:end].rstrip(), opening[end:]
    for key, value in attrs.items():
        found = re.search(rf'\s{re.escape(key)}="([^"]*)"', head)
        if found and key == "class":
            value = f"{html.unescape(found.group(1))} {value}"
        if found:
            head = head[:found.start()] + head[found.end():]
        head += f' {key}="{html.escape(value)}"'
    return head + tail


def _attach(text: str, extras: Extras) -> str:
    """Block IAL markers and span IALs onto their elements; all edits are collected, then made in
    one pass. A marker written after its block (``p``) and a span IAL right after a closing tag or
    an ``<img>`` go to that element; a marker written before its block (``n``) to the next one."""
    edits: list[tuple[int, int, dict[str, str] | None]] = []  # (start, end, attributes to add or None: cut)
    for m in _MARKER.finditer(text):
        edits.append((m.start(), m.end(), None))
        if int(m.group(1)) >= len(extras.ials):
            continue  # a comment the author wrote that looks like ours
        attrs = _attributes(extras.ials[int(m.group(1))], extras.alds)
        if m.group(2) == "n":
            following = _NEXT_TAG.search(text, m.end())
            if following:
                edits.append((following.start(), following.end(), attrs))
            continue
        end = m.start()
        while end and text[end - 1] in " \t\n":
            end -= 1
        closing = _CLOSING_AT_END.search(text, max(0, end - 64), end)
        opening = _opening(text, closing.start(), closing.group(1).lower()) if closing else None
        if opening is not None:
            edits.append((opening, text.index(">", opening) + 1, attrs))
    for m in _SPAN_IAL.finditer(text):
        lt = text.rfind("<", 0, m.start())
        if not text.startswith(">", m.start() - 1) or lt < 0:
            continue  # kramdown's span IALs follow an element
        tag, attrs = text[lt:m.start()], _attributes(m.group(1), extras.alds)
        if tag.startswith("</"):
            opening = _opening(text, lt, tag[2:-1].strip().lower())
            if opening is None:
                continue
            edits.append((opening, text.index(">", opening) + 1, attrs))
        elif tag[:4].lower() == "<img":
            edits.append((lt, m.start(), attrs))
        else:
            continue
        edits.append((m.start(), m.end(), None))
    return _apply(text, edits)


def _opening(text: str, closing: int, tag: str) -> int | None:
    """Where the ``<tag …>`` that the ``</tag>`` at ``closing`` closes begins (searching back, so
    the cost is the element's own length)."""
    depth, pos = 0, closing
    while True:
        opened = text.rfind(f"<{tag}", 0, pos)
        while opened >= 0 and text[opened + len(tag) + 1:opened + len(tag) + 2] not in _TAG_END:
            opened = text.rfind(f"<{tag}", 0, opened)  # <abbr> when looking for <a>
        shut = text.rfind(f"</{tag}>", max(opened, 0), pos)
        if shut >= 0:
            depth, pos = depth + 1, shut
        elif opened < 0:
            return None
        elif depth:
            depth, pos = depth - 1, opened
        else:
            return opened


def _apply(text: str, edits: list[tuple[int, int, dict[str, str] | None]]) -> str:
    merged: dict[tuple[int, int], dict[str, str] | None] = {}
    for start, end, attrs in edits:
        if attrs is None:
            merged[(start, end)] = None
        else:
            into = merged.get((start, end)) or {}
            merged[(start, end)] = into
            _merge(into, attrs)
    out: list[str] = []
    last = 0
    for (start, end), attrs in sorted(merged.items()):
        if start < last:
            continue
        out.append(text[last:start])
        if attrs is not None:
            out.append(_with_attributes(text[start:end], attrs))
        last = end
    out.append(text[last:])
    return "".join(out)


def _merge(into: dict[str, str], attrs: dict[str, str]) -> None:
    for key, value in attrs.items():
        into[key] = f"{into[key]} {value}" if key == "class" and key in into else value


def _header_ids(text: str, auto_ids: bool, marked: bool) -> str:
    counter: dict[str, int] = {}

    def header(m: re.Match[str]) -> str:
        level, attrs, inner = m.groups()
        ours = not marked or " data-kd" in attrs
        attrs = attrs.replace(" data-kd", "")
        explicit = _HEADER_ID.search(inner)
        if explicit:
            inner = inner[:explicit.start()]
        if "id=" in attrs:
            return f"<h{level}{attrs}>{inner}</h{level}>"
        if explicit:
            return f'<h{level}{attrs} id="{explicit.group(1)}">{inner}</h{level}>'
        if not auto_ids or not ours:
            return f"<h{level}{attrs}>{inner}</h{level}>"
        ident = _NON_WORD.sub("", html.unescape(_TAG.sub("", inner)).lower()).replace(" ", "-").replace("\t", "-")
        counter[ident] = counter.get(ident, -1) + 1
        if counter[ident]:
            ident = f"{ident}-{counter[ident]}"
        return f'<h{level}{attrs} id="{html.escape(ident)}">{inner}</h{level}>'

    return _HEADER.sub(header, text)


def _abbreviations(text: str, abbrs: dict[str, str]) -> str:
    """Each defined abbreviation in text (not inside a tag, ``<code>`` or ``<pre>``) as ``<abbr title>``."""
    words = re.compile("(" + "|".join(re.escape(html.escape(a, quote=False))
                                      for a in sorted(abbrs, key=len, reverse=True)) + r")(?!\w)(?![^<>]*>)")

    def wrap(m: re.Match[str]) -> str:
        before = m.string[m.start() - 1:m.start()]
        if before.isalnum() or before in ("_", "&"):
            return m.group(0)  # part of a longer word
        return f'<abbr title="{html.escape(abbrs[html.unescape(m.group(1))])}">{m.group(1)}</abbr>'

    parts = _CODE.split(text)  # code at the odd places
    return "".join(part if n % 2 else words.sub(wrap, part) for n, part in enumerate(parts))


def hide_typed_quotes(text: str) -> tuple[str, bool]:
    """Quotes the author typed as ‘’“” are kept as they are (kramdown sets straight ones only): hidden
    from ``requote`` until it is done."""
    if "‘" not in text and "’" not in text and "“" not in text and "”" not in text:
        return text, False
    for curly, hidden in zip("‘’“”", _HIDDEN):
        text = text.replace(curly, hidden)
    return text, True


def requote(html_text: str, hidden: bool) -> str:
    """The renderer's typographic quotes as kramdown sets them (its smart_quotes.rb rules). Most
    quotes are ones both agree on (a closing one after a letter, an opening one between a space and
    a letter): only the others are looked at."""
    edits: list[tuple[int, str]] = []
    for quote in "‘’“”":
        at = html_text.find(quote)
        while at >= 0:
            before = html_text[at - 1] if at else ""
            if quote in "’”":
                agreed = bool(before) and before not in _NOT_CLOSING
            else:
                agreed = before in _SPACE and _WORD.match(html_text, at + 1) is not None and not (
                    quote == "‘" and _DECADE.match(html_text, at + 1))
            if not agreed and (kramdowns := _kramdown_quote(html_text, at)) != quote:
                edits.append((at, kramdowns))
            at = html_text.find(quote, at + 1)
    if edits:
        parts, last = [], 0
        for at, quote in sorted(edits):
            parts += [html_text[last:at], quote]
            last = at + 1
        html_text = "".join(parts) + html_text[last:]
    if "&lt;&lt;" in html_text or "&gt;&gt;" in html_text:
        parts = _CODE.split(html_text)  # code at the odd places
        html_text = "".join(part if n % 2 else _GUILLEMETS.sub(_guillemet, part) for n, part in enumerate(parts))
    if hidden:
        for curly, mark in zip("‘’“”", _HIDDEN):
            html_text = html_text.replace(mark, curly)
    return html_text


def _guillemet(m: re.Match[str]) -> str:
    return _GUILLEMET.get(m.group(0), m.group(0))  # a tag as it is


def _kramdown_quote(text: str, at: int) -> str:
    single = text[at] in "‘’"
    before = text[at - 1] if at else ""
    if before in ">‘’“”\"'":
        before = ""  # after an element or a quote: kramdown's rules see no character before
    after = text[at + 1:at + 5]
    if after.startswith("<"):
        after = next((v for k, v in _NEXT_TAGS.items() if after.startswith(k)), "")
    elif after.startswith("&"):
        after = html.unescape(text[at + 1:at + 9].split(";", 1)[0] + ";")[:1]
    opens = _opens(before, single, after)
    return ("‘" if opens else "’") if single else ("“" if opens else "”")


def _opens(before: str, single: bool, after: str) -> bool:
    """kramdown's SQ_RULES, in their order, for a quote with ``before`` (one character, "" when its
    parser sees none) and the text ``after`` it."""
    first, second = after[:1], after[1:2]
    word = bool(_WORD.match(second))
    if first in "'\"‘’“”" and word and (not before or before in " \t\r\n\f\v"):
        return True  # "'Quoted' words": both open
    if not before:
        if first in "_*" and after.lstrip("_*")[:1].strip() and len(after) - len(after.lstrip("_*")) <= 2:
            return True
        if first and first in _SQ_PUNCT and after[:2] != ".." and not word:
            return False
        if single and _DECADE.match(after):
            return False
        return not (not first or first in " \t\r\n\f\v" or (first == "s" and not _WORD.match(second)))
    if before in " \t\r\n\f\v":
        return not (single and _DECADE.match(after))
    return before in "\\[{(-"
