"""Typographic quotes by kramdown's rules: the renderer pairs them, ``requote`` sets each one from
the characters around it, as kramdown would."""
from __future__ import annotations

import html
import re

CODE = re.compile(r"(<(?:pre|code)\b.*?</(?:pre|code)>)", re.S)
PLAIN_QUOTES = str.maketrans("“”‘’\ufdd2\ufdd3\ufdd0\ufdd1", "\"\"''\"\"''")
_QUOTE_LEAD = 0xE2  # the first byte of ‘’“” in UTF-8
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


def hide_typed_quotes(text: str, utf8: bytes = b"") -> tuple[str, bool]:
    """Quotes the author typed as ‘’“” are kept as they are (kramdown sets straight ones only): hidden
    from ``requote`` until it is done. ``utf8``: ``text``'s UTF-8, when the caller has it: the four
    start with the byte 0xE2, whose absence one memchr tells (the four searches in Chinese text cost
    five times that)."""
    if utf8 and _QUOTE_LEAD not in utf8:
        return text, False
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
        if quote not in html_text:  # ``in`` takes no arguments to parse: a third of a ``find`` that finds none
            continue
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
    if "&" in html_text and ("&lt;&lt;" in html_text or "&gt;&gt;" in html_text):  # '&' alone: at memchr's speed
        parts = CODE.split(html_text)  # code at the odd places
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
