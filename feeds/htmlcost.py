"""What an HTML fragment would cost the sanitiser, estimated in one linear pass, before it runs.

html5ever (inside nh3) walks its stack of open elements for most start and end tags, so its
time grows with the number of tags times their depth: 80,000 nested ``<blockquote>`` or
``<div>`` take minutes. And every ``&`` in a text or an attribute costs it the length of the
rest of that string: 1.6 MB of ``&`` in one paragraph take minutes too (and so does a long run of
the characters U+0080 to U+00BF, such as ``«`` or a no-break space). This module reads the
HTML the way an HTML5 tokenizer does (quoted attributes, comments, raw text) and models the tree
builder's stack closely enough to never see less nesting than it builds: where unsure, it
assumes an element stays open. No outside library: it must be cheap, and it must not be the
library whose cost it measures.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

_WS = "\t\n\f\r "
_MARKUP = re.compile(r"<(?:(/?)([A-Za-z][^\t\n\f\r />]*+)|!--|[!?]|/(?!>))")
# the rest of a tag after its name, up to its '>'; possessive, so a failed match costs one scan
_TAG_REST = re.compile(rf"(?:([{_WS}/]++)|[^{_WS}/>][^{_WS}/>=]*+(?:[{_WS}]*+=[{_WS}]*+"
                       rf"(?:\"[^\"]*+\"|'[^']*+'|[^{_WS}>]++)?+)?+)*+>")
_QUOTED = r"""(?:[^<>"']++|"[^"]*+"|'[^']*+')*+"""
_COMMENT = re.compile(r"<!--.*?-->", re.S)
_VOID_TAG = re.compile(rf"<(?:area|base|basefont|bgsound|br|col|embed|frame|hr|image|img|input|keygen|link|meta|"
                       rf"param|source|track|wbr)(?=[{_WS}/>]){_QUOTED}>", re.I)
_PAIR = re.compile(rf"<([A-Za-z][^{_WS}/>]*+){_QUOTED}>[^<]*+</\1[{_WS}]*+>", re.I)
_RUN_START = re.compile(rf"(?=<(?!(?:html|body|head|frameset|t[dhr]|tbody|thead|tfoot|caption|colgroup)"
                        rf"[{_WS}/>])[A-Za-z]|<!--)", re.I)
VOID = frozenset("area base basefont bgsound br col embed frame hr image img input keygen link meta param "
                 "source track wbr".split())
RAW_TEXT = frozenset("script style xmp iframe noembed noframes noscript textarea title".split())
FOREIGN = frozenset(("svg", "math"))
# html5ever's "special" elements: an end tag for any other element does not close them
SPECIAL = frozenset("address applet area article aside base basefont bgsound blockquote body br button caption "
                    "center col colgroup dd details dir div dl dt embed fieldset figcaption figure footer form "
                    "frame frameset h1 h2 h3 h4 h5 h6 head header hgroup hr html iframe img input keygen li "
                    "link listing main marquee menu meta nav noembed noframes noscript object ol p param "
                    "plaintext pre script search section select source style summary table tbody td template "
                    "textarea tfoot th thead title tr track ul wbr xmp mi mo mn ms mtext annotation-xml "
                    "foreignobject desc".split())
# scope boundaries, all kinds at once: a special end tag does not reach past them (more kept open
# than html5ever keeps is the safe side of the estimate)
BOUNDARY = frozenset("applet caption html table td th marquee object template ol ul button select mi mo mn ms "
                     "mtext annotation-xml foreignobject desc svg math".split())
CLOSES_P = frozenset("address article aside blockquote center details dialog dir div dl fieldset figcaption "
                     "figure footer header hgroup main menu nav ol p search section summary ul h1 h2 h3 h4 h5 "
                     "h6 pre listing form plaintext table hr xmp".split())
LIST_ITEMS = {"li": ("li",), "dd": ("dd", "dt"), "dt": ("dd", "dt")}
TABLE_PARTS = {"td": ("tr", "table"), "th": ("tr", "table"), "tr": ("tbody", "thead", "tfoot", "table"),
               "tbody": ("table",), "thead": ("table",), "tfoot": ("table",), "caption": ("table",),
               "colgroup": ("table",)}
FORMATTING = frozenset("a b big code em font i nobr s small strike strong tt u".split())
INTEGRATION = frozenset("mi mo mn ms mtext annotation-xml foreignobject desc title".split())
BREAKOUT = frozenset("b big blockquote body br center code dd div dl dt em embed h1 h2 h3 h4 h5 h6 head hr i img "
                     "li listing menu meta nobr ol p pre ruby s small span strong strike sub sup table tt u ul "
                     "var font".split())
MARKERS = frozenset("applet caption marquee object td th template".split())


@dataclass
class Cost:
    depth: int = 0  # the deepest nesting of elements
    nesting: int = 0  # the sum of the depth at every element made: what scope checks cost
    ampersands: int = 0  # '&' in the costliest run of text (see amp_work)
    run: int = 0  # that run's length
    amp_work: int = 0  # the sum over runs of ('&' in it) x (its length); or a bound on it (estimate)


class _Stack:
    """The open elements, with each name's positions, so that no step walks the stack."""

    def __init__(self, cost: Cost) -> None:
        self.cost = cost
        self.names: list[str] = []
        self.keys: list[str] = []  # formatting elements: name and attributes, as html5ever compares them
        self.where: dict[str, list[int]] = {}
        self.special: list[int] = []
        self.boundary: list[int] = []
        self.markers: list[int] = []
        self.tables: list[int] = []  # table scope's own boundaries (table, template)
        self.alien: list[bool] = []  # SVG or MathML elements
        self.listed: dict[str, list[int]] = {}  # formatting key -> positions still in the list

    def top(self, name: str) -> int:
        spots = self.where.get(name)
        return spots[-1] if spots else -1

    def above(self, marks: list[int], at: int) -> bool:
        return bool(marks) and marks[-1] > at

    def alien_top(self) -> bool:
        return bool(self.alien) and self.alien[-1]

    def in_foreign(self) -> bool:
        """The current node is SVG or MathML, and not one where HTML comes back."""
        return self.alien_top() and self.names[-1] not in INTEGRATION

    def break_out(self) -> None:
        """An HTML tag such as <p> or <div> inside SVG or MathML closes it, up to HTML again."""
        while self.names and self.in_foreign():
            self.pop_to(len(self.names) - 1)

    def push(self, name: str, key: str = "", foreign: bool = False) -> None:
        at = len(self.names)
        self.alien.append(foreign)
        if key:
            self._noahs_ark(key)
            self.listed.setdefault(key, []).append(at)
        self.names.append(name)
        self.keys.append(key)
        self.where.setdefault(name, []).append(at)
        if name in SPECIAL:
            self.special.append(at)
        if name in BOUNDARY:
            self.boundary.append(at)
        if name in MARKERS:
            self.markers.append(at)
        if name in ("table", "template"):
            self.tables.append(at)
        self.cost.nesting += at + 1
        self.cost.depth = max(self.cost.depth, at + 1)

    def _noahs_ark(self, key: str) -> None:
        """At most three alike in the list after the last marker: the earliest leaves the list
        (it stays open, but will not be made again)."""
        spots = self.listed.get(key, [])
        after = [i for i in spots[-3:] if not self.markers or i > self.markers[-1]]
        if len(after) == 3:
            spots.remove(after[0])
            self.keys[after[0]] = ""

    def pop_to(self, at: int, own: bool = False) -> None:
        """Pop every element from position ``at`` up.

        Formatting elements (``<b>``, ``<i>``, …) popped by another element's end stay in
        html5ever's list of active formatting elements and are made again at the next insertion,
        unless a cell, caption or template they were opened in closes. ``own``: the element at
        ``at`` is closed by its own end tag, so it leaves the list."""
        again: list[tuple[str, str]] = []
        while len(self.names) > at:
            name, key = self.names.pop(), self.keys.pop()
            self.alien.pop()
            here = len(self.names)
            self.where[name].pop()
            for marks in (self.special, self.boundary, self.markers, self.tables):
                if marks and marks[-1] == here:
                    marks.pop()
            if key:
                self.listed[key].pop()
            if name in MARKERS:
                again.clear()
            elif key and not (own and here == at):
                again.append((name, key))
        for name, key in reversed(again):  # outermost first, as html5ever rebuilds them
            self.push(name, key)


def estimate(html: str, max_depth: int, max_nesting: int, max_amp_work: int = -1, count_amps: bool = True) -> Cost:
    """Nesting and '&' runs of ``html`` as html5ever would build it (or more, never much less).
    Stops as soon as the depth passes ``max_depth`` or the nesting ``max_nesting``. When all the
    '&' times the whole length is at most ``max_amp_work`` (nearly always), that product is the
    '&' cost given, with the whole text as the run: no run can cost more. ``count_amps`` False: the
    caller knows the '&' cannot matter (the '&' cost is then 0 where the cheap bound holds)."""
    quick = _quick_bound(html, max_depth, max_nesting, max_amp_work, count_amps)
    if quick is not None:
        return quick
    cost = Cost()
    stack = _Stack(cost)
    run_start = pos = amps = 0  # amps: '&' in the current run
    while (found := _MARKUP.search(html, pos)) is not None:
        if cost.depth > max_depth or cost.nesting > max_nesting:
            return cost
        closing, name = found.group(1), (found.group(2) or "").lower()
        rest = _TAG_REST.match(html, found.end()) if name else None
        end = rest.end() if rest else _skip_comment(html, found, stack.alien_top())
        if end < 0:  # cut off by the end of the text: html5ever drops it and everything after
            break
        amps += _amps(html, pos, end)  # attributes count too: they are strings of their own
        pos = end
        if closing:
            _end_tag(stack, name)
            continue
        if name:
            sep = rest.span(1) if rest else (-1, -1)
            key = f"{name} {html[found.end():end - 1].strip()}" if name in FORMATTING else ""
            if not _start_tag(stack, name, key, self_closing=sep[1] == end - 1 and html[end - 2] == "/"):
                continue  # ignored: the text goes on in the same string
        amps, run_start = _close_run(cost, amps, run_start, end)  # a node of its own: a new string
        if name == "plaintext" or name in RAW_TEXT and stack.names[-1:] == [name] and not stack.alien_top():
            closing_tag = re.compile(rf"</{re.escape(name)}[{_WS}/>]", re.I).search(html, pos)
            if closing_tag is None or name == "plaintext":
                break  # the rest is text
            if name in ("textarea", "title"):  # their character references are decoded
                amps += _amps(html, pos, closing_tag.start())
            pos = closing_tag.start()
    amps += _amps(html, pos, len(html))
    _close_run(cost, amps, run_start, len(html))
    return cost


def _quick_bound(html: str, max_depth: int, max_nesting: int, max_amp_work: int = -1, count_amps: bool = True
                 ) -> Cost | None:
    """A bound found at C speed, good enough for most HTML: comments and void tags gone, each
    pass removes the innermost ``<x>text</x>`` pairs, so html5ever nests no deeper than the
    passes plus twice the tags left (formatting elements it makes again). None: no such luck."""
    tags = _tags(html)
    if tags < 0:
        return None  # a comment never closed: the model knows where it really starts
    depth = 2 * tags + 3  # the bound below with nothing removed: never less, and enough for most posts
    if depth > max_depth or tags * depth > max_nesting:
        depth = _pairs_bound(html, max_depth)
        if depth < 0:
            return None
    nesting = tags * depth
    if depth > max_depth or nesting > max_nesting:
        return None
    cost = Cost(depth=depth, nesting=nesting)
    if not count_amps:
        return cost
    count = _amps(html, 0, len(html))
    if count * len(html) <= max_amp_work:  # a bound at C speed; run by run costs a Python step per tag
        _close_run(cost, count, 0, len(html))
        return cost
    start = 0
    for run in _RUN_START.split(html):  # text goes on in one string across end tags
        amps = _amps(run, 0, len(run))
        _close_run(cost, amps, start, start + len(run))
        start += len(run)
    return cost


def quickly_within(html: str, max_depth: int, max_nesting: int) -> bool:
    """Whether the bound ``_quick_bound`` starts from, with nothing removed, keeps ``html`` within
    ``max_depth`` and ``max_nesting`` ('&' aside): ``estimate``'s answer for nearly every post's HTML,
    told without making its ``Cost`` (a tenth of the bound's cost) or the calls around it."""
    tags = _tags(html)
    depth = 2 * tags + 3
    return tags >= 0 and depth <= max_depth and tags * depth <= max_nesting


def _tags(html: str) -> int:
    """The '<' in ``html``; -1 when a comment is never closed."""
    # one character is found at memchr's speed; then only what follows the last "<!--" is searched
    if "!" in html and (opened := html.rfind("<!--")) >= 0 and html.find("-->", opened) < 0:
        return -1
    return html.count("<")


def _pairs_bound(html: str, max_depth: int) -> int:
    """The passes that remove the innermost pairs, plus twice the tags left, plus 3 (html, body
    and an implied tbody or so); -1 when that takes more than ``max_depth // 4`` passes."""
    rest = _VOID_TAG.sub("", _COMMENT.sub("", html) if "<!--" in html else html)
    passes, removed = 0, 1
    while removed:
        if passes > max_depth // 4:
            return -1
        rest, removed = _PAIR.subn("", rest)
        passes += bool(removed)
    return passes + 2 * rest.count("<") + 3


_LATIN1_SIGN_BYTES = bytes(range(0x80, 0xC0))


def _amps(html: str, start: int, end: int) -> int:
    """What costs html5ever the rest of its string: '&' that stay '&' (not the &lt; &gt; &quot;
    that Markdown writes for < > "), and the characters U+0080 to U+00BF (« » © no-break space:
    nh3 0.3.8 takes a second on 200,000 of them in one paragraph, four on 400,000)."""
    amps = html.count("&", start, end)
    if amps:
        amps -= sum(html.count(ref, start, end) for ref in ("&lt;", "&gt;", "&quot;"))
    if not html.isascii():  # Latin-1 keeps one byte per character up to U+00FF and drops the rest
        latin1 = (html[start:end] if start or end < len(html) else html).encode("latin-1", "ignore")
        amps += len(latin1) - len(latin1.translate(None, _LATIN1_SIGN_BYTES))
    return amps


def _skip_comment(html: str, found: re.Match[str], foreign: bool) -> int:
    """The end of a comment, a bogus comment (``<!x>``, ``<?x>``, ``</1>``), a doctype or, in SVG
    and MathML, a CDATA section; -1 when it never ends."""
    if found.group() == "<!--":
        end, size = html.find("-->", found.start() + 2), 3
    elif found.group() == "<!" and foreign and html.startswith("[CDATA[", found.end()):
        end, size = html.find("]]>", found.end()), 3
    else:
        end, size = html.find(">", found.end()), 1
    return end + size if end >= 0 else -1


def _close_run(cost: Cost, amps: int, run_start: int, end: int) -> tuple[int, int]:
    """A new node starts at ``end``: the '&' so far cost at most their count times the run's length."""
    work = amps * (end - run_start)
    cost.amp_work += work
    if work > cost.ampersands * cost.run:
        cost.ampersands, cost.run = amps, end - run_start
    return 0, end


def _start_tag(stack: _Stack, name: str, key: str, self_closing: bool) -> bool:
    """Model one start tag; False when html5ever ignores it (no node, the text goes on)."""
    if stack.in_foreign():
        if name not in BREAKOUT:  # in SVG and MathML every other tag nests
            if not self_closing:
                stack.push(name, foreign=True)
            return True
        stack.break_out()
    if name in ("html", "body", "head", "frameset"):
        return False  # merged into the one html5ever already has
    if name in TABLE_PARTS:
        if stack.top("table") < 0:
            return False  # ignored outside a table
        stack.pop_to(max(stack.top(p) for p in TABLE_PARTS[name]) + 1)
        parent = TABLE_PARTS[name][0]
        if parent in ("tr", "tbody") and stack.names[-1] == "table":
            stack.push("tbody")  # <tr> or <td> right inside <table> gets a <tbody>
        if parent == "tr" and stack.names[-1] in ("tbody", "thead", "tfoot"):
            stack.push("tr")
    elif name == "table" and stack.names and stack.names[-1] in ("table", "tbody", "thead", "tfoot", "tr"):
        stack.pop_to(stack.top("table"))  # a table right inside a table ends it
    elif name in CLOSES_P and (p := stack.top("p")) >= 0 and not stack.above(stack.boundary, p):
        stack.pop_to(p)
    if name in VOID or self_closing and name in FOREIGN:
        return True
    if name in LIST_ITEMS:
        item = max(stack.top(n) for n in LIST_ITEMS[name])
        if item >= 0 and not stack.above(stack.special, item):
            stack.pop_to(item)
    elif stack.names and stack.names[-1] == ("option" if name == "optgroup" else name) in ("option", "a"):
        stack.pop_to(len(stack.names) - 1, own=True)
    stack.push(name, key, foreign=name in FOREIGN)
    return True


def _end_tag(stack: _Stack, name: str) -> None:
    """Model one end tag: close up to its element, unless html5ever would ignore the tag."""
    at = stack.top(name)
    if at < 0:
        return
    scope = stack.tables if name in TABLE_PARTS or name == "table" else stack.boundary
    if stack.above(scope, at) or name not in SPECIAL and stack.above(stack.special, at):
        return
    stack.pop_to(at, own=True)
