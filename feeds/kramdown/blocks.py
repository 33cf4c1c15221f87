"""The block constructs ``prepare`` rewrites line by line: HTML blocks ending where kramdown ends
them, tables without a header row, definition lists, ``[text] [ref]`` gaps and the end of a
``markdown="1"`` block."""
from __future__ import annotations

import re
from typing import Any

_OPEN_CLOSE = re.compile(r"<(/?)([A-Za-z][\w-]*)(?=[\s/>])")
DEFINITION = re.compile(r" {0,3}:[ \t]+(.*)\Z")
_ITEM = re.compile(r" *(?:[*+-]|\d{1,9}[.)]) +")
_GAP = re.compile(r"\]([ \t]+)\[([^\]\n]+)\]")
_TABLE_RULE = re.compile(r" {0,3}\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*\Z|\s*\|[-=+:| ]*\Z")
_RAW_TAG = re.compile(r"<!--.*?-->|<\?.*?\?>|</([\w:][\w.:-]*)\s*>|<([\w:][\w.:-]*)((?:\s+[\w:][\w.:-]*(?:\s*=\s*"
                      r"(?:\w+|\"[^\"]*\"|'[^']*'))?)*)\s*(/)?>", re.S)
_RAW_START = re.compile(r" {0,3}<([\w:][\w.:-]*)")
_SPAN_TAGS = frozenset("a abbr acronym b big bdo br button cite code del dfn em i img input ins kbd label mark "
                       "option q rb rbc rp rt rtc ruby samp select small span strong sub sup tt u var".split())
_VOID_TAGS = frozenset("area base br col command embed hr img input keygen link meta param source track wbr".split())
_BLANK_LINE = re.compile(r"\n[ \t]*\n")


def raw_block(text: str, starts: list[int], at: int) -> tuple[int, bool] | None:
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


def headerless_table(lines: list[str], at: int, out: list[str]) -> int:
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


def link_label(label: str) -> str:
    return " ".join(label.split()).lower()


def close_gaps(line: str, labels: set[str]) -> str:
    """``[text] [ref]`` -> ``[text][ref]`` where ``ref`` is defined (kramdown allows the space),
    outside code spans."""
    def close(m: re.Match[str]) -> str:
        if link_label(m.group(2)) not in labels or line.count("`", 0, m.start()) % 2:
            return m.group(0)
        return f"][{m.group(2)}]"

    return _GAP.sub(close, line)


def close_markdown_block(line: str, blocks: list[list[Any]]) -> int | None:
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


def definition_list(lines: list[str], at: int, out: list[str]) -> tuple[int, str] | None:
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


def definitions(lines: list[str], at: int, out: list[str], pad: int, marker: str) -> int:
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
        while i < len(lines) and (found := DEFINITION.match(_inside(lines[i], pad))):
            body = [found.group(1)]
            i += 1
            while i < len(lines) and ((line := _inside(lines[i], pad)).startswith((" ", "\t")) or (
                    not line.strip() and i + 1 < len(lines) and _inside(lines[i + 1], pad).startswith(("    ", "\t"))
            ) or (body[-1].strip() and line.strip() and line != "\0" and not DEFINITION.match(line))):
                body.append(line[4:] if line.startswith("    ") else line.strip())  # indented or lazy
                i += 1
            block.extend(["<dd >" if spaced else "<dd>", "", *body, "", "</dd>"])
            spaced = False
            if i + 1 < len(lines) and not lines[i].strip() and DEFINITION.match(_inside(lines[i + 1], pad)):
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
    while i < len(lines) and lines[i].strip() and not DEFINITION.match(_inside(lines[i], pad)):
        i += 1
    terms = [_inside(line, pad) for line in lines[start:i]]
    if i < len(lines) and not lines[i].strip():
        i += 1
    if not terms or i >= len(lines) or not DEFINITION.match(_inside(lines[i], pad)) or any(
            t.lstrip().startswith(("<", "#", "-", "*", "|", "{:", "\0")) for t in terms):
        return [], start
    return terms, i
