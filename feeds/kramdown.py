"""The kramdown syntax Jekyll posts use, on top of a CommonMark + GFM renderer (see render.py).

Jekyll renders Markdown with kramdown (input "GFM"). CommonMark agrees with it on the common
syntax; what kramdown adds is handled here, in pure Python around the C renderer, so a post that
uses none of it pays one scan for a few marker strings:

- ``prepare`` (before Markdown) finds, outside fenced code: ALD definitions (``{:ref: .x}``) and
  abbreviation definitions (``*[HTML]: …``), which it removes; block IALs (``{: .note}`` on a line
  of their own), which become HTML comment markers; ``markdown="1"`` HTML blocks, whose content it
  sets apart with blank lines so that it is read as Markdown; definition lists (``Term`` / ``: def``),
  which become ``<dl><dt>``/``<dd>`` HTML blocks around Markdown.
- ``finish`` (after Markdown) applies the markers and span IALs (``*x*{: .c}``, ``[a](b){:#id}``) to
  their elements, rewrites GFM footnotes as kramdown writes them (``fn:1``, ``fnref:1``), gives
  headers kramdown's GFM ids (``## Hello, World!`` -> ``hello-world``, ``-1`` for a repeat) or the
  ``{#id}`` written after them, and wraps defined abbreviations in ``<abbr title>``.

Typographic quotes and dashes come from the renderer's "smart" option (the same characters).
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

TRIGGERS = ("{:", "[^", "markdown=", "*[", "\n:", "{#")
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_ALD = re.compile(r" {0,3}\{:([A-Za-z0-9_][\w-]*):(.*)\}\s*\Z")
_IAL_LINE = re.compile(r" {0,3}\{:(?!:)\s*(.*?)\}\s*\Z")
_ABBR = re.compile(r" {0,3}\*\[([^\]]+)\]:(.*)\Z")
_DEF = re.compile(r" {0,3}:[ \t]+(.*)\Z")
_MD_OPEN = re.compile(r"(\s*)<([A-Za-z][\w-]*)([^>]*?)\s+markdown=(\"|'|)(?:1|block)\4([^>]*)>(.*)\Z")
_MARKER = re.compile(r"<!--kd:(\d+):([pn])-->\n?")
_ATTR = re.compile(r"""([#.])([\w-]+)|([\w:-]+)=(?:"([^"]*)"|'([^']*)'|(\S+))|([A-Za-z0-9_][\w-]*)""")
_SPAN_IAL = re.compile(r"(</(?:em|strong|a|code|del|span|sup|sub|kbd|abbr)>|<img\b[^>]*>)\{:(?!:)\s*([^}]*)\}")
_HEADER = re.compile(r"<h([1-6])((?:\s[^>]*)?)>(.*?)</h\1>", re.S)
_HEADER_ID = re.compile(r"\s*\{#([\w:.-]+)\}\s*\Z")
_TAG = re.compile(r"<[^>]*>")
_NON_WORD = re.compile(r"[^\w\- \t]")
_DL_P = re.compile(r"<(dt|dd)>\n<p>((?:(?!</?p[\s>]).)*)</p>\n</\1>", re.S)
_FN_REF = re.compile(r'<sup class="footnote-ref"><a href="#fn-([^"]*)" id="fnref-([^"]*)" data-footnote-ref>')
_REPEAT = re.compile(r"(.+)-(\d+)\Z")
_FN_BACK = re.compile(r'<a href="#fnref-([^"]*)" class="footnote-backref"[^>]*>')
_FN_ITEM = re.compile(r'<li id="fn-([^"]*)">')
_QUOTES = str.maketrans("“”‘’", "\"\"''")


@dataclass
class Extras:
    """What ``prepare`` took out of the text for ``finish``."""
    ials: list[str] = field(default_factory=list)
    alds: dict[str, str] = field(default_factory=dict)
    abbrs: dict[str, str] = field(default_factory=dict)
    spans: bool = False  # a span IAL may be there
    headers: bool = False  # a {#id} may follow a header


def uses_kramdown(text: str) -> bool:
    return any(t in text for t in TRIGGERS)


def prepare(text: str) -> tuple[str, Extras]:
    extras = Extras(spans="{:" in text, headers="{#" in text)
    lines = text.split("\n")
    out: list[str] = []
    fence = ""
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if fence:
            out.append(line)
            if line.strip().startswith(fence) and not line.strip().strip(fence[0]):
                fence = ""
            continue
        opened = _FENCE.match(line)
        if opened:
            fence = opened.group(1)
            out.append(line)
            continue
        previous_blank = not out or not out[-1].strip()
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
        if "markdown=" in line:
            block = _MD_OPEN.match(line)
            if block:
                _markdown_block(block, lines, i, out)
                continue
        if line[:4].lstrip().startswith(":") and _DEF.match(line):
            if _definition_list(lines, i - 1, out):
                i = _definitions(lines, i - 1, out)
                continue
        out.append(line)
    return "\n".join(out), extras


def _markdown_block(block: re.Match[str], lines: list[str], i: int, out: list[str]) -> None:
    """``<div markdown="1">`` … ``</div>``: the tags on lines of their own, blank lines around the
    content so that CommonMark reads it as Markdown (``lines`` is edited: the content, nested
    blocks included, then goes through the main loop like any other)."""
    indent, tag, before, after, rest = block.group(1, 2, 3, 5, 6)
    out.extend([f"{indent}<{tag}{before}{after}>", ""])
    lines.insert(i, rest)
    opening, closing = re.compile(rf"<{tag}[\s>]", re.I), re.compile(rf"</{tag}\s*>", re.I)
    depth = 1
    for n in range(i, len(lines)):
        line = lines[n]
        events = sorted([(m.start(), 1) for m in opening.finditer(line)]
                        + [(m.start(), -1) for m in closing.finditer(line)])
        for at, step in events:
            depth += step
            if depth == 0:
                lines[n:n + 1] = [line[:at], "", line[at:]]
                return


def _definition_list(lines: list[str], at: int, out: list[str]) -> bool:
    """Whether ``: …`` at ``lines[at]`` defines the paragraph before it (kramdown: a term is a
    paragraph's lines, at most one blank line away)."""
    back = len(out) - 1
    if back > 0 and not out[back].strip():
        back -= 1
    return back >= 0 and bool(out[back].strip()) and not out[back].lstrip().startswith(("<", "#", "-", "*", "|"))


def _definitions(lines: list[str], at: int, out: list[str]) -> int:
    """Moves the term lines from ``out`` into a ``<dl>`` and writes the definitions after them, and
    the next terms and definitions, as kramdown joins them into one list; returns where it stopped.
    A definition after a blank line is a paragraph (``<dd >`` keeps its ``<p>``, see ``finish``)."""
    spaced = not out[-1].strip()
    while out and not out[-1].strip():
        out.pop()
    terms: list[str] = []
    while out and out[-1].strip() and not out[-1].startswith("<!--kd:"):
        terms.insert(0, out.pop())
    out.append("<dl>")
    i = at
    while True:
        for term in terms:
            out.extend(["<dt>", "", term.strip(), "", "</dt>"])
        while i < len(lines) and (found := _DEF.match(lines[i])):
            body = [found.group(1)]
            i += 1
            while i < len(lines) and (lines[i].startswith((" ", "\t")) or (
                    not lines[i].strip() and i + 1 < len(lines) and lines[i + 1].startswith(("    ", "\t")))):
                body.append(lines[i][4:] if lines[i].startswith("    ") else lines[i].strip())
                i += 1
            out.extend(["<dd >" if spaced else "<dd>", "", *body, "", "</dd>"])
            spaced = False
            if i + 1 < len(lines) and not lines[i].strip() and _DEF.match(lines[i + 1]):
                i, spaced = i + 1, True
        terms, j = _next_terms(lines, i)
        if not terms:
            break
        i, spaced = j, not lines[j - 1].strip()
    out.extend(["</dl>", ""])
    return i


def _next_terms(lines: list[str], i: int) -> tuple[list[str], int]:
    """After a definition: blank lines, term lines, at most one blank line, a definition?"""
    while i < len(lines) and not lines[i].strip():
        i += 1
    start = i
    while i < len(lines) and lines[i].strip() and not _DEF.match(lines[i]):
        i += 1
    terms = lines[start:i]
    if i < len(lines) and not lines[i].strip():
        i += 1
    if not terms or i >= len(lines) or not _DEF.match(lines[i]) or any(
            t.lstrip().startswith(("<", "#", "-", "*", "|", "{:")) for t in terms):
        return [], start
    return terms, i


def finish(text: str, extras: Extras | None, auto_ids: bool) -> str:
    if extras is not None:
        if "footnote-ref" in text:
            text = _footnotes(text)
        if extras.ials:
            text = _apply_markers(text, extras)
        if extras.spans:
            text = _spans(text, extras)
        if "<dl>" in text:
            text = _DL_P.sub(r"<\1>\2</\1>", text).replace("<dd >", "<dd>")
    if auto_ids or (extras is not None and extras.headers):
        text = _header_ids(text, auto_ids)
    if extras is not None and extras.abbrs:
        text = _abbreviations(text, extras.abbrs)
    return text


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


def _apply_markers(text: str, extras: Extras) -> str:
    parts: list[str] = []
    last = 0
    for m in _MARKER.finditer(text):
        attrs = _attributes(extras.ials[int(m.group(1))], extras.alds)
        if m.group(2) == "p":
            done = "".join(parts) + text[last:m.start()]
            parts = [_to_previous(done, attrs)]
        else:
            parts.append(text[last:m.start()])
            parts.append(f"<!--kd:next:{len(extras.ials)}-->")
            extras.ials.append(_spec(attrs))
        last = m.end()
    parts.append(text[last:])
    text = "".join(parts)
    return re.sub(r"<!--kd:next:(\d+)-->\s*(<[A-Za-z][^>]*>)?",
                  lambda m: _with_attributes(m.group(2), _attributes(extras.ials[int(m.group(1))], {}))
                  if m.group(2) else "", text)


def _spec(attrs: dict[str, str]) -> str:
    return " ".join(f'{k}="{v}"' for k, v in attrs.items())


def _to_previous(done: str, attrs: dict[str, str]) -> str:
    """``attrs`` onto the element that ends at the end of ``done``."""
    stripped = done.rstrip()
    closing = re.search(r"</([A-Za-z][\w-]*)>\Z", stripped)
    if not closing:
        return done
    tag = closing.group(1)
    depth = 0
    for m in reversed(list(re.finditer(rf"<(/?){tag}(?=[\s>/])[^>]*>", stripped[:closing.start()]))):
        if m.group(1):
            depth += 1
        elif depth:
            depth -= 1
        else:
            return done[:m.start()] + _with_attributes(m.group(0), attrs) + done[m.end():]
    return done


def _spans(text: str, extras: Extras) -> str:
    """Span IALs onto the element just before them (``<em>x</em>{: .c}``)."""
    pos = 0
    while found := _SPAN_IAL.search(text, pos):
        attrs = _attributes(found.group(2), extras.alds)
        if found.group(1).startswith("<img"):
            head = text[:found.start()] + _with_attributes(found.group(1), attrs)
        else:
            head = _to_previous(text[:found.end(1)], attrs)
        text = head + text[found.end():]
        pos = len(head)
    return text


def _header_ids(text: str, auto_ids: bool) -> str:
    counter: dict[str, int] = {}

    def header(m: re.Match[str]) -> str:
        level, attrs, inner = m.groups()
        explicit = _HEADER_ID.search(inner)
        if explicit:
            inner = inner[:explicit.start()]
        if "id=" in attrs:
            return f"<h{level}{attrs}>{inner}</h{level}>"
        if explicit:
            return f'<h{level}{attrs} id="{explicit.group(1)}">{inner}</h{level}>'
        if not auto_ids:
            return m.group(0)
        ident = _NON_WORD.sub("", html.unescape(_TAG.sub("", inner)).lower()).replace(" ", "-").replace("\t", "-")
        counter[ident] = counter.get(ident, -1) + 1
        if counter[ident]:
            ident = f"{ident}-{counter[ident]}"
        return f'<h{level}{attrs} id="{html.escape(ident)}">{inner}</h{level}>'

    return _HEADER.sub(header, text)


def _abbreviations(text: str, abbrs: dict[str, str]) -> str:
    """Each defined abbreviation in text (not in code, pre or tags) as ``<abbr title>``."""
    words = re.compile(r"(?<!\w)(" + "|".join(re.escape(html.escape(a, quote=False))
                                              for a in sorted(abbrs, key=len, reverse=True)) + r")(?!\w)")
    out: list[str] = []
    code = 0
    for piece in re.split(r"(<[^>]*>)", text):
        if piece.startswith("<"):
            name = re.match(r"</?(\w+)", piece)
            if name and name.group(1).lower() in ("code", "pre"):
                code += -1 if piece.startswith("</") else 1
            out.append(piece)
        elif code > 0:
            out.append(piece)
        else:
            out.append(words.sub(lambda m: f'<abbr title="{html.escape(abbrs[html.unescape(m.group(1))])}">'
                                 f"{m.group(1)}</abbr>", piece))
    return "".join(out)
