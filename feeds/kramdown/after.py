"""After Markdown: ``finish`` applies to the rendered HTML what ``prepare`` set aside (IALs, math,
raw blocks, the end-of-block marker), and writes footnotes, header ids and abbreviations as kramdown
does."""
from __future__ import annotations

import html
import re

from .before import EOB, Extras
from .quotes import CODE, PLAIN_QUOTES

_MATH_TOKEN = re.compile("\ufdd4(\\d+)\ufdd5")  # noncharacters: xml_safe has removed any from the body
_BLOCK_MATH = re.compile("(?:<p>)?\ufdd6(\\d+)\ufdd5(?:</p>)?")
_RAW_TOKEN = re.compile("\ufdd7(\\d+)\ufdd5")
_TD_P = re.compile(r"<td>\n<p>((?:(?!</?p[\s>]).)*)</p>\n</td>", re.S)
_HTML_AS_CODE = re.compile(r"<pre><code>[^<]*?&lt;[A-Za-z/!]")
_RAW_MARKER = re.compile(r"<!--kd:raw:(\d+)-->\n?")
_MARKER = re.compile(r"<!--kd:(\d+):([pn])-->\n?")
_NEXT_TAG = re.compile(r"<[A-Za-z][^>]*>")
_CLOSING_AT_END = re.compile(r"</([A-Za-z][\w-]*)>\Z")
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


def needs_raw_blocks(rendered: str) -> bool:
    """Whether the common reading went wrong where kramdown's differs, so that the body is read again
    with kramdown's rules: HTML came out as an indented code block (an HTML block with a blank line in
    it, which CommonMark ends there and kramdown at its end tag: the jekyll docs' tables, ``<tr>``
    indented), or a table without a header came out as a paragraph."""
    # each search for several characters behind one for a single character (memchr's speed: in Chinese
    # text a search for "<p>|" costs five times one for "|"): _HTML_AS_CODE needs the "&" of its "&lt;"
    return (("&" in rendered and "<pre><code>" in rendered and _HTML_AS_CODE.search(rendered) is not None)
            or _paragraph_starts_bar(rendered))


# '|' looked at one by one; past these, "<p>|" searched for. Fewer than before.py's 32: each '|' costs a
# find and a slice here, and tables put many in one post, where one search is then cheaper
_LOOKED_AT = 16


def _paragraph_starts_bar(rendered: str) -> bool:
    """``"<p>|" in rendered``, told by the few '|' a post has (each found at memchr's speed), not by
    a search for four characters (which reads every character of Chinese text at ~5 instructions)."""
    at = rendered.find("|")
    for _ in range(_LOOKED_AT):
        if at < 0:
            return False
        if rendered[at - 3:at] == "<p>":
            return True
        at = rendered.find("|", at + 1)
    return "<p>|" in rendered


def has_raw_headers(text: str) -> bool:
    """Whether the Markdown holds HTML header tags (kramdown gives ids to Markdown headers only)."""
    # one search (for "<h" first, as before, cost as much again: every autolink <http…> holds one); an
    # upper-case tag counts only beside a "<h", as it did
    found = _RAW_HEADER.search(text) if "<" in text else None
    return found is not None and (text[found.start() + 1] == "h" or "<h" in text)


_TAG_DIGITS = frozenset("123456")
_TAG_DIGIT_BYTES = frozenset(bytes([b]) for b in b"123456")


def may_hold_raw_headers(text: str, utf8: bytes = b"") -> bool:
    """False where ``has_raw_headers`` is false for sure: no "<h" or "<H" right before a digit 1-6
    (the start of every tag its regex matches). A few searches at C speed, in the UTF-8 when the
    caller has it, where the regex reads every character; a post's "<h" is mostly an autolink's
    ``<http``."""
    data: str | bytes = utf8 or text
    marks, digits = ((b"<h", b"<H"), _TAG_DIGIT_BYTES) if utf8 else (("<h", "<H"), _TAG_DIGITS)
    for mark in marks:
        at = data.find(mark)  # type: ignore[arg-type]
        while at >= 0:
            if data[at + 2:at + 3] in digits:
                return True
            at = data.find(mark, at + 2)  # type: ignore[arg-type]
    return False


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
        if EOB in text:
            text = text.replace(EOB + "\n", "").replace(EOB, "")
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
    if (auto_ids or (extras is not None and extras.headers)) and "</h" in text:  # (no header: no search)
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
    for m in _ATTR.finditer(spec.translate(PLAIN_QUOTES).replace("&quot;", '"')):
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

    parts = CODE.split(text)  # code at the odd places
    return "".join(part if n % 2 else words.sub(wrap, part) for n, part in enumerate(parts))
