"""A post body's Liquid template -> its Markdown or HTML, as Jekyll renders it (before Markdown).

The only module that imports the Liquid engine: python-liquid 2 (maintained, pure Python, typed,
and extensible with tags and filters of our own, which Jekyll's ``include``, ``post_url``,
``link`` and ``highlight`` and its filters need). The site's inputs (``_includes``, ``_data``,
the config, the list of posts) are read once per build into a ``LiquidSite``, whose hashes go
into the render cache key of the posts that use Liquid (``site_key``): an edited include or
data file re-renders the Liquid posts, never the others.

A body without ``{%`` or ``{{`` never reaches the engine. An unknown tag or filter stays as
written (one warning per kind and build); a Liquid error leaves the post as written, with a
``path:line`` warning, and the renderer drops the URLs that still hold Liquid.
"""
from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote, quote_plus, urlsplit

from liquid import DictLoader, Environment
from liquid.ast import BlockNode, Node
from liquid.exceptions import LiquidError, TemplateNotFoundError
from liquid.parser import get_parser
from liquid.tag import Tag
from liquid.token import TOKEN_EOF, TOKEN_EXPRESSION, TOKEN_TAG, Token

from .config import Config
from .errors import WARNING, Problem, display_path
from .posts import LIQUID_POSTS, Post, page_data
from .text import smartify
from .yamlload import YamlProblem, load_text_yaml

Markdownify = Callable[[str], str]
_DATA_SUFFIXES = (".yml", ".yaml", ".json", ".csv", ".tsv")
_POSTS_WORDS = re.compile(r"post_url|{%-?\s*link\s|site\.(?:posts|categories|tags)")
_TAG_NAME = re.compile(r"{%-?\s*([A-Za-z_][\w-]*)")
_OUTPUT = re.compile(r"{{(.*?)}}", re.S)
_TAG = re.compile(r"{%-?\s*([A-Za-z_][\w-]*)(.*?)-?%}", re.S)
_RAW = re.compile(r"{%-?\s*raw\s*-?%}.*?{%-?\s*endraw\s*-?%}", re.S)
_COMMENT = re.compile(r"{%-?\s*comment\s*-?%}.*?{%-?\s*endcomment\s*-?%}", re.S)
_STRING = re.compile(r"\"[^\"]*\"|'[^']*'")
_FILTER = re.compile(r"\|\s*([A-Za-z_][\w-]*)")
_ARG = re.compile(r"([\w-]+)\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s\"']+)")
_SLUG = re.compile(r"[^\w]+|_+")
_SPACE = re.compile(r"\s+")
_HTML_TAG = re.compile(r"<[^>]*>")
_BACKTICKS = re.compile(r"`+")
_UNKNOWN = "unknown Liquid "
_INNER_TAGS = {"else", "elsif", "when", "endraw", "break", "continue", "#"}


@dataclass(frozen=True)
class LiquidSite:
    """What a template can see of the site, read once per build (frozen: it travels to workers)."""

    root: str  # the site folder
    config: str  # JSON: site.* besides data and posts
    includes: tuple[tuple[str, str], ...]  # name under _includes -> text
    data: str  # JSON: site.data
    posts: str  # JSON: site.posts, newest first (url, title, date, id, categories, tags, path)
    inputs: str  # hash of config, includes and data
    posts_key: str  # hash of the posts list

    def key(self, post: Post) -> str:
        """What the post's rendering depends on besides its own bytes: "" for a Liquid-free post."""
        if not post.liquid:
            return ""
        uses_posts = post.liquid & LIQUID_POSTS or any(_POSTS_WORDS.search(text) for _, text in self.includes)
        return self.inputs + (self.posts_key if uses_posts else "")


def load_site(cfg: Config, posts: Iterable[Post]) -> tuple[LiquidSite, list[Problem]]:
    """The site's Liquid inputs: its config, ``_includes``, ``_data`` and the posts."""
    root = cfg.sources[0] if cfg.sources else cfg.root
    problems: list[Problem] = []
    includes = tuple(sorted(_read_includes(root / "_includes", problems)))
    data = json.dumps(_read_data(root / "_data", problems), sort_keys=True, default=str)
    config = json.dumps(_site_vars(cfg), sort_keys=True, default=str)
    listed = json.dumps([_post_vars(p, cfg.site.url) for p in sorted(posts, key=lambda p: (p.date, p.path),
                                                                      reverse=True)], default=str)
    inputs = _hash(config, *(f"{n}\0{t}" for n, t in includes), data)
    return LiquidSite(str(root), config, includes, data, listed, inputs, _hash(listed)), problems


def _hash(*parts: str) -> str:
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        h.update(part.encode("utf-8", "surrogateescape") + b"\0")
    return h.hexdigest()


def _read_includes(folder: Path, problems: list[Problem]) -> Iterable[tuple[str, str]]:
    if not folder.is_dir():
        return
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            try:
                yield path.relative_to(folder).as_posix(), path.read_text(encoding="utf-8-sig")
            except (OSError, UnicodeDecodeError) as exc:
                problems.append(Problem(display_path(path), None, f"cannot read this include ({exc}); "
                                        "posts that include it render without it; fix or delete it", WARNING))


def _read_data(folder: Path, problems: list[Problem]) -> dict[str, Any]:
    """``_data`` as Jekyll reads it: site.data.<file stem>, site.data.<folder>.<stem> for sub-folders."""
    found: dict[str, Any] = {}
    if not folder.is_dir():
        return found
    for path in sorted(folder.iterdir()):
        if path.is_dir():
            found[path.name] = _read_data(path, problems)
        elif path.suffix.lower() in _DATA_SUFFIXES:
            try:
                found[path.stem] = _data_file(path)
            except (OSError, UnicodeDecodeError, ValueError, YamlProblem, csv.Error) as exc:
                message = exc.message if isinstance(exc, YamlProblem) else str(exc)
                problems.append(Problem(display_path(path), getattr(exc, "line", None), f"cannot read this data "
                                        f"file ({message}); site.data.{path.stem} is empty; fix it", WARNING))
    return found


def _data_file(path: Path) -> Any:
    text = path.read_text(encoding="utf-8-sig")
    suffix = path.suffix.lower()
    if suffix == ".json":
        return json.loads(text)
    if suffix in (".csv", ".tsv"):
        return list(csv.DictReader(io.StringIO(text), delimiter="," if suffix == ".csv" else "\t"))
    return load_text_yaml(text)


def _site_vars(cfg: Config) -> dict[str, Any]:
    """site.*: the raw _config.yml keys, then what feeds made of them (url and baseurl as Jekyll
    splits them: site.url has no path; site.baseurl is the path)."""
    found: dict[str, Any] = json.loads(cfg.jekyll_raw) if cfg.jekyll_raw else {}
    parts = urlsplit(cfg.site.url)
    found.update(url=f"{parts.scheme}://{parts.netloc}", baseurl=parts.path.rstrip("/"), title=cfg.site.title,
                 description=cfg.site.description)
    if cfg.site.language:
        found.setdefault("lang", cfg.site.language)
    return found


def _post_vars(post: Post, site_url: str) -> dict[str, Any]:
    relative = post.url[len(site_url):] if post.url.startswith(site_url) else post.url
    entry_id = post.id[len(site_url):] if post.id.startswith(site_url) else post.id
    return {"url": relative, "title": post.title, "date": post.date.isoformat(), "id": entry_id,
            "categories": list(post.categories), "tags": list(post.tags), "path": post.path}


def one_per_kind(problems: list[Problem]) -> list[Problem]:
    """The first warning about each unknown tag or filter in the build, with how many more there are."""
    first: dict[str, int] = {}
    counts: dict[str, int] = {}
    kept: list[Problem] = []
    for problem in problems:
        kind = problem.message.split(":", 1)[0] if problem.message.startswith(_UNKNOWN) else ""
        if kind and kind in first:
            counts[kind] += 1
            continue
        if kind:
            first[kind], counts[kind] = len(kept), 0
        kept.append(problem)
    for kind, at in first.items():
        if counts[kind]:
            p = kept[at]
            kept[at] = Problem(p.path, p.line, f"{p.message} (and {counts[kind]} more use(s) in this build)", p.level)
    return kept


# --- rendering a body ---------------------------------------------------------------------

def expand(post: Post, body: str, cfg: Config, site: LiquidSite | None, markdownify: Markdownify
           ) -> tuple[str, list[Problem]]:
    """The body after Liquid, as Jekyll hands it to Markdown; problems say what was left as written."""
    if "{" not in body or ("{%" not in body and "{{" not in body):  # the common case: a scan, nothing more
        return body, []
    site = site or load_site(cfg, [post])[0]
    env = _environment(site, cfg, markdownify)
    env.said = []
    page = page_data(post, cfg)
    if str(page.get("render_with_liquid", "")).strip().lower() in ("false", "no", "off"):
        return body, []
    unclosed = _unclosed_markup(body)
    if unclosed >= 0:  # the engine would refuse it too, after a time that grows with the square of them
        line = post.body_line + body.count("\n", 0, unclosed)
        return body, [Problem(post.path, line, "Liquid: a '{%' or '{{' is not closed before the next one opens; "
                              "the post is published without Liquid, as written; close it, or wrap the text in "
                              "{% raw %}…{% endraw %}", WARNING)]
    try:
        out = env.from_string(env.guard(body, post.path, post.body_line)).render(page=page)
    except LiquidError as exc:
        return body, env.said + [_error(exc, post, site.root, body)]
    except Exception as exc:  # noqa: BLE001 - an engine on arbitrary text: its failure is the post's, not ours
        return body, env.said + [Problem(post.path, None, f"Liquid: {exc}; the post is published without "
                                         "Liquid; fix the template", WARNING)]
    return out, env.said


_MARKUP = re.compile(r"{[{%]")
_VERBATIM = re.compile(r"{%-?\s*(raw|comment)\s*-?%}")


def _unclosed_markup(body: str) -> int:
    """Where the first '{%' or '{{' is that another opens before it is closed (-1: none), in one
    scan; the text of {% raw %} and {% comment %} blocks is skipped, as Liquid skips it. Such a
    template is an error in Liquid, but the engine takes quadratic time to say so."""
    pos = 0
    while (opening := _MARKUP.search(body, pos)) is not None:
        start = opening.start()
        end = body.find("%}" if opening.group() == "{%" else "}}", start + 2)
        following = _MARKUP.search(body, start + 2)
        if end < 0 or (following is not None and following.start() < end):
            return start
        pos = end + 2
        verbatim = _VERBATIM.match(body, start)
        if verbatim:
            closing = re.compile(r"{%-?\s*end" + verbatim.group(1) + r"\s*-?%}").search(body, pos)
            pos = closing.end() if closing else len(body)
    return -1


def _error(exc: LiquidError, post: Post, root: str, body: str) -> Problem:
    """A Liquid error as a warning at its line: the post's, or the include's that holds it."""
    context = exc.context()
    line = context[0] if context else None
    message = str(exc.message or type(exc).__name__).rstrip(".")
    unclosed = re.match(r"expected tag end(\w+)", message)
    if unclosed and line is None:  # a block never closed: the engine points at the end; point at its start
        opened = list(re.finditer(r"{%-?\s*" + unclosed.group(1) + r"\b", body))
        if opened:
            line = body.count("\n", 0, opened[-1].start()) + 1
            message = f"'{unclosed.group(1)}' is never closed (no {{% end{unclosed.group(1)} %}})"
    if isinstance(exc, TemplateNotFoundError):
        message = f"include '{exc.message}': no such file in _includes"
    elif exc.template_name:  # the error is in an include
        where = display_path(Path(root) / "_includes" / str(exc.template_name))
        return Problem(where, line, f"Liquid: {message} (included by {post.path}); {post.path} is published "
                       "without Liquid, as written; fix the include", WARNING)
    return Problem(post.path, post.body_line + (line or 1) - 1, f"Liquid: {message}; the post "
                   "is published without Liquid, as written; fix the template (or wrap it in {% raw %}…"
                   "{% endraw %})", WARNING)


_ENVIRONMENTS: dict[tuple[LiquidSite, Config], JekyllEnvironment] = {}


def _environment(site: LiquidSite, cfg: Config, markdownify: Markdownify) -> JekyllEnvironment:
    """One environment per site and process: includes parsed once, data decoded once."""
    env = _ENVIRONMENTS.get((site, cfg))
    if env is None:
        _ENVIRONMENTS.clear()
        env = _ENVIRONMENTS[(site, cfg)] = JekyllEnvironment(site, cfg, markdownify)
    env.markdownify = markdownify
    return env


class JekyllEnvironment(Environment):
    """Liquid as Jekyll 4 sets it up: its tags and filters, ``site`` global, lax undefined."""

    def __init__(self, site: LiquidSite, cfg: Config, markdownify: Markdownify):
        self.site_info, self.cfg, self.markdownify = site, cfg, markdownify
        self.said: list[Problem] = []
        self.includes = dict(site.includes)
        posts = json.loads(site.posts)
        for post in posts:
            post["date"] = datetime.fromisoformat(post["date"])
        variables = json.loads(site.config)
        variables.update(data=json.loads(site.data), posts=posts)
        variables["categories"] = _grouped(posts, "categories")
        variables["tags"] = _grouped(posts, "tags")
        self.by_name = {Path(p["path"]).stem: p for p in posts}
        self.by_path = {_site_relative(p["path"], site.root): p for p in posts}
        super().__init__(loader=_IncludeLoader(self), globals={"site": variables}, strict_filters=True)
        for tag in (JekyllInclude, PostUrl, Link, Highlight):
            self.add_tag(tag)
        for name, func in _filters(variables["url"], variables["baseurl"], self).items():
            self.add_filter(name, func)
        self.known_tags = set(self.tags) | {f"end{t}" for t in self.tags} | _INNER_TAGS | {"raw", "endhighlight"}

    def guard(self, text: str, where: str, first_line: int) -> str:
        """Unknown tags and filters stay as written: wrapped in raw, one warning per kind."""
        if not _TAG_NAME.search(text) and "|" not in text:
            return text
        protected = _RAW.sub(lambda m: "\0" * len(m.group(0)), _COMMENT.sub(lambda m: "\0" * len(m.group(0)), text))
        spans: list[tuple[int, int, str]] = []
        for m in _TAG.finditer(protected):
            if m.group(1) not in self.known_tags:
                spans.append((m.start(), m.end(), f"tag '{m.group(1)}'"))
        for m in _OUTPUT.finditer(protected):
            unknown = [f for f in _FILTER.findall(_STRING.sub("", m.group(1))) if f not in self.filters]
            if unknown:
                spans.append((m.start(), m.end(), f"filter '{unknown[0]}'"))
        if not spans:
            return text
        out, pos = [], 0
        for start, end, kind in sorted(spans):
            if start < pos:
                continue
            line = first_line + text.count("\n", 0, start)
            self.said.append(Problem(where, line, f"{_UNKNOWN}{kind}: left as written; Jekyll needs a plugin "
                                     "for it; feeds has no plugins: write the text it stands for", WARNING))
            out += [text[pos:start], "{% raw %}", text[start:end], "{% endraw %}"]
            pos = end
        return "".join(out + [text[pos:]])


def _grouped(posts: list[dict[str, Any]], key: str) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for post in posts:
        for name in post[key]:
            found.setdefault(name, []).append(post)
    return found


def _site_relative(path: str, root: str) -> str:
    try:
        return os.path.relpath(os.path.abspath(path), root).replace(os.sep, "/")
    except ValueError:
        return path


class _IncludeLoader(DictLoader):
    """``_includes`` from memory, each guarded for unknown tags and filters on first load."""

    def __init__(self, env: JekyllEnvironment):
        super().__init__({})
        self.env = env

    def get_source(self, env: Environment, template_name: str, *, context: Any = None, **kwargs: object) -> Any:
        if template_name not in self.templates:
            if template_name not in self.env.includes:
                raise TemplateNotFoundError(template_name, token=None)
            where = display_path(Path(self.env.site_info.root) / "_includes" / template_name)
            self.templates[template_name] = self.env.guard(self.env.includes[template_name], where, 1)
        return super().get_source(env, template_name, context=context, **kwargs)


# --- Jekyll's tags ------------------------------------------------------------------------

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


def code_block(code: str, lang: str) -> str:
    """A fenced code block that no line of ``code`` can close: the fence outruns every backtick run."""
    longest = max((len(run) for run in _BACKTICKS.findall(code)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"\n{fence}{lang}\n{code}\n{fence}\n"


class Highlight(Tag):
    name, end = "highlight", "endhighlight"

    def parse(self, stream: Any) -> Node:
        token, text = _expression(stream, eat=True)
        block = get_parser(self.env).parse_block(stream, frozenset(("endhighlight", TOKEN_EOF)))
        stream.expect(TOKEN_TAG, value="endhighlight")
        return _HighlightNode(token, (text.split() or [""])[0], block)


# --- Jekyll's filters ---------------------------------------------------------------------

def _as_date(value: Any) -> datetime | date | None:
    if isinstance(value, (datetime, date)):
        return value
    try:
        return datetime.fromisoformat(str(value).strip())
    except ValueError:
        return None


def _date_filter(fmt: str) -> Callable[..., Any]:
    def apply(value: Any, *_: Any) -> Any:
        when = _as_date(value)
        return value if when is None else when.strftime(fmt)
    return apply


def _xmlschema(value: Any) -> Any:
    when = _as_date(value)
    return when.isoformat() if when is not None else value


def _slugify(value: Any, mode: str = "default") -> str:
    text = str(value)
    if mode == "raw":
        text = _SPACE.sub("-", text)
    elif mode == "pretty":
        text = re.sub(r"[^\w._~!$&'()+,;=@]+", "-", text)
    else:
        text = re.sub(r"[^\w]+", "-", text)
    return text.strip("-").lower()


def _to_list(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [[k, v] for k, v in value.items()]
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _sentence(value: Any, connector: str = "and") -> str:
    items = [str(i) for i in _to_list(value)]
    if len(items) <= 2:
        return f" {connector} ".join(items)
    return ", ".join(items[:-1]) + f", {connector} {items[-1]}"


def _group_by(value: Any, key: str) -> list[dict[str, Any]]:
    groups: dict[str, list[Any]] = {}
    for item in _to_list(value):
        name = item.get(key) if isinstance(item, dict) else None
        groups.setdefault("" if name is None else str(name), []).append(item)
    return [{"name": name, "items": items, "size": len(items)} for name, items in groups.items()]


def _filters(url: str, baseurl: str, env: JekyllEnvironment) -> dict[str, Callable[..., Any]]:
    def relative_url(value: Any) -> str:
        text = str(value if value is not None else "")
        if urlsplit(text).scheme or text.startswith("//"):
            return text
        return (baseurl + "/" + text.lstrip("/")) if (baseurl or text) else "/"

    def absolute_url(value: Any) -> str:
        text = str(value if value is not None else "")
        if urlsplit(text).scheme or text.startswith("//"):
            return text
        return url + relative_url(text)

    return {
        "relative_url": relative_url, "absolute_url": absolute_url,
        "date_to_xmlschema": _xmlschema, "date_to_rfc822": _date_filter("%a, %d %b %Y %H:%M:%S %z"),
        "date_to_string": _date_filter("%d %b %Y"), "date_to_long_string": _date_filter("%d %B %Y"),
        "xml_escape": lambda v: html.escape(str(v if v is not None else ""), quote=True).replace("&#x27;", "&#39;"),
        "cgi_escape": lambda v: quote_plus(str(v)), "uri_escape": lambda v: quote(str(v), safe="!#$&'()*+,/:;=?@[]~"),
        "slugify": _slugify, "markdownify": lambda v: env.markdownify(str(v if v is not None else "")),
        "jsonify": lambda v: json.dumps(v, ensure_ascii=False, default=str),
        "group_by": _group_by, "number_of_words": lambda v: len(str(v).split()),
        "array_to_sentence_string": _sentence, "normalize_whitespace": lambda v: _SPACE.sub(" ", str(v)).strip(),
        "smartify": lambda v: smartify(str(v if v is not None else "")),
        "strip_html": lambda v: _HTML_TAG.sub("", str(v if v is not None else "")),
        "inspect": lambda v: json.dumps(v, default=str),
    }
