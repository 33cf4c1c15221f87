"""Before Markdown: what ``prepare`` takes out of a post's kramdown text, or turns into what the
CommonMark renderer reads as kramdown means it (see the package's docstring), and the ``Extras`` it
hands to ``finish``."""
from __future__ import annotations

import bisect
import itertools
import re
from dataclasses import dataclass, field
from typing import Any

from .blocks import (
    DEFINITION,
    close_gaps,
    close_markdown_block,
    definition_list,
    definitions,
    headerless_table,
    link_label,
    raw_block,
)

# single bytes asked for as ints: ``b"{" in data`` first tries the bytes as a number, at twice a search's cost
_LBRACE, _LBRACKET, _RBRACKET, _CARET, _STAR, _COLON, _DOLLAR, _K = b"{[]^*:$k"
_SPACE_TAB = (ord(" "), ord("\t"))
TRIGGERS = ("{:", "[^", "markdown=", "*[", "{#", "\n^", "] [", "]\t[", "$$")
# a definition (indented too: in a list item)
_TRIGGER = re.compile(r"\n[ \t]*:[ \t]")
_TRIGGER_UTF8 = re.compile(rb"\n[ \t]*:[ \t]")
_NOTEWORTHY = frozenset("`~{*:<^|")  # a line's first character, when the line may matter here
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_ALD = re.compile(r" {0,3}\{:([A-Za-z0-9_][\w-]*):(.*)\}\s*\Z")
_IAL_LINE = re.compile(r" {0,3}\{:(?!:)\s*(.*?)\}\s*\Z")
_ABBR = re.compile(r" {0,3}\*\[([^\]]+)\]:(.*)\Z")
_MD_OPEN = re.compile(r"(\s*)<([A-Za-z][\w-]*)([^>]*?)\s+markdown=(\"|'|)(?:1|block)\4([^>]*)>(.*)\Z")
EOB = "<!--kd:eob-->"  # kramdown's end-of-block marker ``^``: ends a list, a quote, a paragraph
_LINK_DEF = re.compile(r"^ {0,3}\[([^\n\]]+)\]:", re.M)
_MATH = re.compile(r"\$\$(.*?)\$\$", re.S)
_EXTENSION = re.compile(r"\{::(comment|nomarkdown)\}(.*?)\{:/(?:\1)?\}|\{::(options|\w+)\b[^}]*/\}", re.S)
_NO_AUTO_IDS = re.compile(r"auto_ids=(\"|')false\1")
_FENCES = re.compile(r"^ {0,3}(?:`{3,}|~{3,})", re.M)


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


def uses_kramdown(text: str, utf8: bytes = b"") -> bool:
    """Whether ``text`` holds one of the ``TRIGGERS``, or a definition. Written out, and grouped by
    a character each needs: a search for one character is a quick scan, for two a slow one (in
    text beyond Latin-1, four times slower), so the '[' and ':' that nearly every post has (links,
    URLs) are each looked at where they are, not searched for again in pairs.
    ``utf8``: ``text`` in UTF-8, when the caller has it: the '[' and ':' are then looked for there.
    In UTF-8 an ASCII byte is never part of another character, so each search stops at them only;
    in the text, beyond Latin-1, it stops at every character whose low byte is '[' or ':' as well
    (many CJK ones) and looks again, a call each (five times the work of the bytes' search).
    The '{' and '^' are looked for there too: in the text each search stops at every character
    with such a byte, high or low, and whole blocks of common CJK ones have one ('第', '等' are
    U+7Bxx, '年', '常' U+5Exx); in the bytes, at memchr's speed whatever the text."""
    if utf8:
        # a byte is asked for as an int: ``b"{" in utf8`` first tries the bytes as a number, and the
        # TypeError it raises and clears costs twice the search; "markdown=" is looked for where its
        # rarest letter is (a 'k' is rare in the HTML of Chinese posts, a search for one character cheap)
        return ((_LBRACE in utf8 and ("{:" in text or "{#" in text)) or _bracket_trigger_utf8(utf8)
                or (_CARET in utf8 and "\n^" in text) or (_DOLLAR in utf8 and "$$" in text)
                or (_K in utf8 and "markdown=" in text) or _definition_utf8(utf8))
    return (("{" in text and ("{:" in text or "{#" in text)) or ("[" in text and _bracket_trigger(text))
            or ("^" in text and "\n^" in text) or ("$" in text and "$$" in text) or "markdown=" in text
            or (":" in text and _definition(text)))


_LOOKED_AT = 32  # occurrences of '[' or ':' looked at one by one; past these, searched for (C speed)


def _bracket_trigger(text: str) -> bool:
    """``[^``, ``*[``, ``] [`` or ``]\t[`` is in ``text``."""
    at = text.find("[")
    for _ in range(_LOOKED_AT):
        if at < 0:
            return False
        before = text[at - 1:at]
        if text[at + 1:at + 2] == "^" or before == "*" or before in (" ", "\t") and text[at - 2:at - 1] == "]":
            return True
        at = text.find("[", at + 1)
    return "[^" in text or "*[" in text or "] [" in text or "]\t[" in text


def _definition(text: str) -> bool:
    """``_TRIGGER`` matches: a line that starts (after spaces or tabs) with ':' and a space or tab."""
    at = text.find(":")
    for _ in range(_LOOKED_AT):
        if at < 0:
            return False
        if text[at + 1:at + 2] in (" ", "\t"):
            line = text.rfind("\n", 0, at)
            if line >= 0 and not text[line + 1:at].strip(" \t"):
                return True
        at = text.find(":", at + 1)
    return (": " in text or ":\t" in text) and _TRIGGER.search(text) is not None


def _bracket_trigger_utf8(data: bytes) -> bool:
    """``_bracket_trigger`` of UTF-8 bytes, each byte read as an int (a slice is an object made)."""
    at, last = data.find(_LBRACKET), len(data) - 1
    for _ in range(_LOOKED_AT):
        if at < 0:
            return False
        if at < last and data[at + 1] == _CARET:
            return True
        before = data[at - 1] if at else -1
        if before == _STAR or before in _SPACE_TAB and at > 1 and data[at - 2] == _RBRACKET:
            return True
        at = data.find(_LBRACKET, at + 1)
    return b"[^" in data or b"*[" in data or b"] [" in data or b"]\t[" in data


def _definition_utf8(data: bytes) -> bool:
    """``_definition`` of UTF-8 bytes."""
    at, last = data.find(_COLON), len(data) - 1
    for _ in range(_LOOKED_AT):
        if at < 0:
            return False
        if at < last and data[at + 1] in _SPACE_TAB:
            line = data.rfind(b"\n", 0, at)
            if line >= 0 and not data[line + 1:at].strip(b" \t"):
                return True
        at = data.find(_COLON, at + 1)
    return (b": " in data or b":\t" in data) and _TRIGGER_UTF8.search(data) is not None


def prepare(text: str, raw_blocks: bool = False) -> tuple[str, Extras]:
    """``raw_blocks``: HTML blocks end where kramdown ends them, at the element's end tag and not at a
    blank line (see ``needs_raw_blocks``)."""
    extras = Extras(spans="{:" in text, headers="{#" in text)
    labels = {link_label(m) for m in _LINK_DEF.findall(text)} if "] [" in text or "]\t[" in text else None
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
            line = close_gaps(line, labels)
        first = line[:1] if line[:1] != " " else line.lstrip(" ")[:1]
        if first == "^" and not line[1:].strip():
            out.append(EOB)
            continue
        if first not in _NOTEWORTHY or (first == "<" and not blocks and "markdown=" not in line):
            found = raw_block(text, starts, i - 1) if raw_blocks and first == "<" and not blocks else None
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
            closed = close_markdown_block(line, blocks)
            if closed is not None:
                out.extend([line[:closed], "", line[closed:]])
                continue
        previous_blank = not out or not out[-1].strip()
        if first == "|" and previous_blank and not blocks:
            taken = headerless_table(lines, i - 1, out)
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
        if line.lstrip(" ").startswith(":") and DEFINITION.match(line.lstrip(" ")):
            where = definition_list(lines, i - 1, out)
            if where:
                i = definitions(lines, i - 1, out, *where)
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
