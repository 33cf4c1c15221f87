"""Rendering a post body's template: the Jekyll environment (tags, filters, ``site`` global),
unknown tags and filters kept as written, Liquid errors as ``path:line`` warnings."""
from __future__ import annotations

import io
import json
import os
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from liquid import DictLoader, Environment
from liquid.exceptions import LiquidError, TemplateNotFoundError

from ..config import Config
from ..errors import WARNING, Problem, display_path
from ..posts import Post, page_data
from .filters import jekyll_filters
from .site import LiquidSite, load_site
from .tags import Highlight, JekyllInclude, Link, PostUrl

Markdownify = Callable[[str], str]
_TAG_NAME = re.compile(r"{%-?\s*([A-Za-z_][\w-]*)")
_OUTPUT = re.compile(r"{{(.*?)}}", re.S)
_TAG = re.compile(r"{%-?\s*([A-Za-z_][\w-]*)(.*?)-?%}", re.S)
_RAW = re.compile(r"{%-?\s*raw\s*-?%}.*?{%-?\s*endraw\s*-?%}", re.S)
_COMMENT = re.compile(r"{%-?\s*comment\s*-?%}.*?{%-?\s*endcomment\s*-?%}", re.S)
_STRING = re.compile(r"\"[^\"]*\"|'[^']*'")
_FILTER = re.compile(r"\|\s*([A-Za-z_][\w-]*)")
_UNKNOWN = "unknown Liquid "
_INNER_TAGS = {"else", "elsif", "when", "endraw", "break", "continue", "#"}


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
        self.conditions: dict[str, Any] = {}  # where_exp's expressions, parsed once
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
        for name, func in jekyll_filters(variables["url"], variables["baseurl"], self).items():
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


    def test(self, context: Any, variable: str, expression: str, item: Any) -> bool:
        """Whether a Liquid condition (``where_exp``'s) holds with ``variable`` bound to ``item``."""
        template = self.conditions.get(expression)
        if template is None:
            template = self.conditions[expression] = self.from_string(f"{{% if {expression} %}}1{{% endif %}}")
        out = io.StringIO()
        template.render_with_context(context, out, partial=True, **{variable: item})
        return out.getvalue() == "1"


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
