"""Jekyll's tags: ``include`` (with parameters), ``post_url``, ``link`` and ``highlight``."""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from liquid.ast import BlockNode, Node
from liquid.exceptions import LiquidError
from liquid.parser import get_parser
from liquid.tag import Tag
from liquid.token import TOKEN_EOF, TOKEN_EXPRESSION, TOKEN_TAG, Token

from ..text import code_block

if TYPE_CHECKING:
    from .engine import JekyllEnvironment

_ARG = re.compile(r"([\w-]+)\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s\"']+)")


def _expression(stream: Any, eat: bool) -> tuple[Token, str]:
    """The tag's token and its argument text as written; ``eat``: move past it (a block tag)."""
    token = stream.eat(TOKEN_TAG)
    text = ""
    if stream.current.kind == TOKEN_EXPRESSION:
        text = stream.current.value
        if eat:
            next(stream)
    return token, text.strip()


def _resolve(context: Any, text: str, token: Token) -> Any:
    """A Jekyll tag argument: a quoted string, or a variable (``page.x``, ``include.y``)."""
    if text[:1] in "\"'" and text[-1:] == text[:1] and len(text) > 1:
        return text[1:-1]
    path: list[object] = [int(p) if p.isdigit() else p for p in re.split(r"\.|\[|\]", text.replace("'", "")
                                                                         .replace('"', "")) if p]
    value = context.get(path, token=token, default=None) if path else None
    return "" if value is None else value


def _interpolate(context: Any, text: str, token: Token) -> str:
    """``{{ var }}`` inside a tag's argument, as Jekyll allows in include and link names."""
    return re.sub(r"{{\s*(.*?)\s*}}", lambda m: str(_resolve(context, m.group(1), token)), text)


class _Simple(Node):
    __slots__ = ("text", "kind")

    def __init__(self, token: Token, text: str, kind: str):
        super().__init__(token)
        self.text, self.kind = text, kind

    def render_to_output(self, context: Any, buffer: TextIO) -> int:
        env: JekyllEnvironment = context.env
        if self.kind == "include":
            return self._include(context, buffer)
        name = _interpolate(context, self.text, self.token).strip()
        found = env.by_name.get(name.rsplit("/", 1)[-1]) if self.kind == "post_url" else env.by_path.get(name)
        if found is None and self.kind == "link":
            found = _page_url(env, name)
        if found is None:
            raise LiquidError(f"{self.kind} '{name}': no such {'post' if self.kind == 'post_url' else 'file'} "
                              "in the site", token=self.token)
        buffer.write(env.filters["relative_url"](found["url"]))
        return True

    def _include(self, context: Any, buffer: TextIO) -> int:
        name, _, args = self.text.partition(" ")
        if name.startswith("{{"):  # {% include {{ page.x }} k=v %}
            close = self.text.find("}}") + 2
            name, args = self.text[:close], self.text[close:]
        name = _interpolate(context, name, self.token).strip()
        params = {k: _resolve(context, v, self.token) for k, v in _ARG.findall(args)}
        template = context.env.get_template(name, context=context, tag="include")
        with context.extend({"include": params}, template=template):
            template.render_with_context(context, buffer, partial=True)
        return True


def _page_url(env: JekyllEnvironment, name: str) -> dict[str, Any] | None:
    """A page or static file of the site for ``{% link %}``: its URL as Jekyll's default makes it."""
    if not (Path(env.site_info.root) / name).is_file():
        return None
    stem, suffix = os.path.splitext(name)
    if suffix.lower() in (".md", ".markdown", ".html", ".htm"):
        return {"url": "/" + (stem[:-5] if stem.endswith("index") else stem + ".html").lstrip("/")}
    return {"url": "/" + name}


class _SimpleTag(Tag):
    block = False
    kind = ""

    def parse(self, stream: Any) -> Node:
        token, text = _expression(stream, eat=False)
        return _Simple(token, text, self.kind)


class JekyllInclude(_SimpleTag):
    name = kind = "include"


class PostUrl(_SimpleTag):
    name = kind = "post_url"


class Link(_SimpleTag):
    name = kind = "link"


class _HighlightNode(Node):
    __slots__ = ("lang", "block")

    def __init__(self, token: Token, lang: str, block: BlockNode):
        super().__init__(token)
        self.lang, self.block = lang, block

    def render_to_output(self, context: Any, buffer: TextIO) -> int:
        inner = context.get_buffer(buffer)
        self.block.render(context, inner)
        code = inner.getvalue().strip("\r\n")
        buffer.write(code_block(code, self.lang))
        return True


class Highlight(Tag):
    name, end = "highlight", "endhighlight"

    def parse(self, stream: Any) -> Node:
        token, text = _expression(stream, eat=True)
        block = get_parser(self.env).parse_block(stream, frozenset(("endhighlight", TOKEN_EOF)))
        stream.expect(TOKEN_TAG, value="endhighlight")
        return _HighlightNode(token, (text.split() or [""])[0], block)
