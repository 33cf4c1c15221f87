"""feeds.render: Markdown/HTML bodies -> clean HTML with absolute URLs, and plain-text summaries."""
from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import SITE_URL, make_post, read_site, unit_config

from feeds import load_config
from feeds.config import Config
from feeds.posts import read_body
from feeds.render import Rendered, render_post

POST_URL = f"{SITE_URL}/links/2022/03/04/relative-links.html"
FOLDER = f"{SITE_URL}/links/2022/03/04/"


def render(body: str, markdown: bool = True, summary: str = "", cfg: Config | None = None,
           url: str = POST_URL) -> Rendered:
    rendered, problems = render_post(make_post("p", url=url, markdown=markdown, summary=summary), body,
                                     cfg or unit_config())
    assert problems == []
    return rendered


def render_fixture(site_with: Callable[..., Path], name: str) -> tuple[Rendered, list]:  # type: ignore[type-arg]
    cfg_path = site_with(name)
    posts, _ = read_site(cfg_path)
    post = posts[name]
    return render_post(post, read_body(post), load_config(cfg_path))


def attrs(html: str, name: str) -> list[str]:
    return re.findall(rf'\b{name}="([^"]*)"', html)


def test_every_url_in_the_content_is_absolute(site_with: Callable[..., Path]) -> None:
    rendered, problems = render_fixture(site_with, "2022-03-04-relative-links.md")
    html = rendered.content
    assert problems == []
    assert attrs(html, "href") == [
        f"{FOLDER}other.html", f"{SITE_URL}/about/", f"{SITE_URL}/links/2022/03/emnews/", f"{POST_URL}#end",
        "https://cdn.example.org/a.js", "mailto:desk@example.org", "tel:+861012345678",
        "https://elsewhere.example.net/x"]
    assert attrs(html, "src") == [f"{FOLDER}img/a.png", "data:image/gif;base64,R0lGODlhAQABAAAAACw=",
                                  f"{FOLDER}clip.mp4"]
    assert attrs(html, "srcset") == [f"{FOLDER}img/a.png 1x, {SITE_URL}/img/b.png 2x"]
    assert attrs(html, "poster") == [f"{FOLDER}poster.jpg"]


def test_protocol_relative_links_take_the_sites_scheme() -> None:
    html = render("[a](//cdn.example.org/x)", cfg=unit_config(site_fields={"url": "http://plain.test"}),
                  url="http://plain.test/p.html").content
    assert attrs(html, "href") == ["http://cdn.example.org/x"]


def test_pretty_urls_resolve_inside_the_post_folder() -> None:
    html = render("![x](figure.png)", url=f"{SITE_URL}/2022/03/04/post/").content
    assert attrs(html, "src") == [f"{SITE_URL}/2022/03/04/post/figure.png"]


def test_markdown_is_commonmark_with_raw_html_passed_through() -> None:
    body = ('<p><span class="dateline">北京讯</span>正文</p>\n'
            '<center><img src="https://img.test/a.jpg" alt="图"></center>\n\n'
            "Then **bold**, a [link](x.html) and an autolink <http://example.org/p?x=1&y=2>.\n\n<>\n\n"
            "| a | b |\n|---|---|\n| 1 | 2 |\n")
    html = render(body).content
    assert '<span class="dateline">北京讯</span>' in html
    assert '<center><img src="https://img.test/a.jpg" alt="图"></center>' in html
    assert "<strong>bold</strong>" in html
    assert f'<a href="{FOLDER}x.html">link</a>' in html
    assert '<a href="http://example.org/p?x=1&amp;y=2">http://example.org/p?x=1&amp;y=2</a>' in html
    assert "<table>" in html and "<td>2</td>" in html


def test_html_posts_are_used_as_they_are(site_with: Callable[..., Path]) -> None:
    rendered, _ = render_fixture(site_with, "2022-03-04-html-post.html")
    assert "<h2>Heading</h2>" in rendered.content
    assert "This *is not emphasis* and [this](is-not-a-link)." in rendered.content


def test_liquid_highlight_site_url_and_raw(site_with: Callable[..., Path]) -> None:
    rendered, _ = render_fixture(site_with, "2022-03-04-liquid-highlight.md")
    html = rendered.content
    assert '<pre><code class="language-ruby">puts 1 &lt; 2\n</code></pre>' in html
    assert f'{SITE_URL}/about/' in html and "{{ site.url }}" not in html
    assert "{{ not_a_variable }}" in html and "{% raw %}" not in html and "{%" not in html


def test_unsafe_html_is_removed_but_layout_html_kept() -> None:
    html = render('<p onclick="steal()" style="display:none">hi</p><script>alert(1)</script>'
                  '<a href="javascript:alert(1)">x</a><iframe src="https://evil.test"></iframe>'
                  "<!-- an editor's note -->").content
    assert "<p>hi</p>" in html
    for gone in ("onclick", "script", "alert", "javascript:", "iframe", "editor's note"):
        assert gone not in html


def test_cdata_end_marker_stays_text(site_with: Callable[..., Path]) -> None:
    rendered, _ = render_fixture(site_with, "2022-03-04-cdata-end-in-body.md")
    assert "says ]]&gt; in prose" in rendered.content
    assert "<code>&lt;![CDATA[inside code]]&gt;</code>" in rendered.content
    assert "]]&gt; in an indented code block" in rendered.content


def test_control_characters_are_removed_with_a_warning_naming_the_file(site_with: Callable[..., Path]) -> None:
    rendered, problems = render_fixture(site_with, "2022-03-04-control-chars-in-body.md")
    assert rendered.content == ("<p>Backspace, verticaltab and formfeed are not XML.</p>\n"
                                "<p>The rest survives.</p>")
    assert len(problems) == 1 and not problems[0].is_error
    assert problems[0].path.endswith("_posts/2022-03-04-control-chars-in-body.md")
    assert problems[0].line == 5  # the first body line, where the first one is
    assert re.match(r"4 \D*character", problems[0].message) and "removed" in problems[0].message


def test_summary_is_the_first_paragraph_as_plain_text() -> None:
    rendered = render("<!-- x -->\nFirst *paragraph* with [a link](y.html) &amp; more.\n\nSecond paragraph.")
    assert rendered.summary == "First paragraph with a link & more."


def test_summary_from_front_matter_wins(site_with: Callable[..., Path]) -> None:
    rendered, _ = render_fixture(site_with, "2022-03-04-excerpt.md")
    assert rendered.summary == "The summary, as written by the author."
    assert "The first paragraph is not the summary here." in rendered.content
    assert "The second paragraph is still part of the full content." in rendered.content


def test_long_first_paragraphs_are_cut_at_a_word() -> None:
    rendered = render(" ".join(["word"] * 200))
    assert rendered.summary.endswith("…")
    assert len(rendered.summary) <= 301
    assert rendered.summary[:-1].split(" ")[-1] == "word"


def test_summary_without_paragraphs_uses_the_text() -> None:
    assert render("<ul><li>one</li><li>two</li></ul>", markdown=False).summary == "one two"


@pytest.mark.parametrize("body", ["", "\n\n", "<!-- only a comment -->"])
def test_empty_bodies_render_empty(body: str) -> None:
    assert render(body) == Rendered("", "")
