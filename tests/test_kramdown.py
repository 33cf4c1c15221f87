"""Markdown as Jekyll's kramdown renders it, checked against the real thing.

tests/fixtures/kramdown/*.md are small bodies, one feature each (plus raw HTML with Markdown
links, Chinese text, code holding kramdown syntax); *.html beside each is what Jekyll 4.3.1's own
Markdown converter (kramdown 2.4, input GFM, Jekyll's defaults) made of it, written by
tests/fixtures/regenerate_kramdown.sh. Ruby is not needed here.

The measures, on our content after sanitising (render_post), against kramdown's:
- visible text: tags removed, entities read, ALL whitespace removed -> equal (block boundaries
  differ only in whitespace; kramdown's rouge wraps code in spans);
- structure: the same multiset of ids, of class names (rouge's own left out), of link targets
  (ours are absolute against the post URL, theirs are joined to it), and of the feature tags
  (sup, dl/dt/dd, abbr, headers, tables, lists, em/strong, a, img).
"""
from __future__ import annotations

import dataclasses
import html
import re
import subprocess
import sys
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import pytest
from conftest import make_post, unit_config
from hypothesis import given
from hypothesis import strategies as st

from feeds.kramdown import requote
from feeds.render import clean_html, markdown_to_html, render_post

FIXTURES = Path(__file__).parent / "fixtures" / "kramdown"
CASES = sorted(p.stem for p in FIXTURES.glob("*.md"))
ROUGE = ("language-", "highlight", "highlighter-rouge")
FEATURE_TAGS = {"sup", "dl", "dt", "dd", "abbr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "tr", "th",
                "td", "ul", "ol", "li", "em", "strong", "a", "img", "blockquote", "code"}
POST = make_post("kramdown")


def ours(name: str) -> str:
    rendered, problems = render_post(POST, (FIXTURES / f"{name}.md").read_text(encoding="utf-8"), unit_config())
    assert not problems
    return rendered.content


def theirs(name: str) -> str:
    return (FIXTURES / f"{name}.html").read_text(encoding="utf-8")


def visible(fragment: str) -> str:
    return re.sub(r"\s+", "", html.unescape(re.sub(r"<[^>]*>", "", fragment)))


class _Shape(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.items: Counter[tuple[str, ...]] = Counter()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        classes = [c for c in (values.get("class") or "").split() if not c.startswith(ROUGE)]
        if tag == "span" and "class" in values:
            return  # rouge's tokens
        if tag in FEATURE_TAGS:
            self.items[("tag", tag)] += 1
        self.items.update(("class", c) for c in classes)
        if values.get("id"):
            self.items[("id", values["id"] or "")] += 1
        if tag == "a" and values.get("href") is not None:
            self.items[("href", urljoin(POST.url, values["href"] or ""))] += 1
        if tag == "abbr":
            self.items[("abbr", values.get("title") or "")] += 1


def shape(fragment: str) -> Counter[tuple[str, ...]]:
    parser = _Shape()
    parser.feed(fragment)
    return parser.items


@pytest.mark.parametrize("name", CASES)
def test_visible_text_is_kramdowns(name: str) -> None:
    assert visible(ours(name)) == visible(theirs(name))


@pytest.mark.parametrize("name", CASES)
def test_structure_is_kramdowns(name: str) -> None:
    assert shape(ours(name)) == shape(theirs(name))


@pytest.mark.parametrize("name", CASES)
def test_no_kramdown_residue_where_kramdown_rendered_it(name: str) -> None:
    mine, real = visible(ours(name)), visible(theirs(name))
    for residue in ("[^", "{:", "{#", "*[", 'markdown="'):
        assert mine.count(residue) == real.count(residue), residue


def test_footnotes_link_both_ways_with_kramdowns_ids() -> None:
    content = ours("footnotes")
    base = POST.url
    assert f'<sup id="fnref:b"><a href="{base}#fn:b" class="footnote">1</a></sup>' in content
    assert f'<sup id="fnref:a:1"><a href="{base}#fn:a" class="footnote">2</a></sup>' in content
    assert '<li id="fn:a">' in content and f'href="{base}#fnref:a:1" class="reversefootnote"' in content
    assert '<div class="footnotes">' in content and "[^" not in content


def test_ials_and_alds_set_classes_and_ids() -> None:
    content = ours("ial_block") + ours("ial_span") + ours("ald")
    for opening in ('<p class="note">', '<p id="before" class="lead">', '<h2 class="section-title" id="a-header">',
                    '<blockquote class="pull">', '<ol class="steps">', '<table class="table">',
                    '<em class="e">', '<strong id="s">', 'class="internal"', '<code class="inline">',
                    '<p class="note boxed">', '<em class="note boxed">'):
        assert opening in content, opening
    assert 'title="Hello there"' in content and 'class="one two"' in content
    assert 'id="main"' in content and "{:" not in content


def test_markdown_inside_html_blocks_is_markdown() -> None:
    content = ours("markdown_div")
    assert '<div class="notice">\n<p><strong>Note:</strong>' in content
    assert '<h2 id="nested-header">Nested header</h2>' in content
    assert "markdown=" not in content and "<pre>" not in content


def test_header_ids_follow_kramdowns_gfm_rule() -> None:
    ids = re.findall(r'<h\d[^>]* id="([^"]*)"', ours("header_ids"))
    assert ids == re.findall(r'<h\d[^>]* id="([^"]*)"', theirs("header_ids"))
    assert ids[:2] == ["hello-world", "hello-world-1"] and "中文標題測試" in ids and "custom" in ids


def test_definition_lists_and_abbreviations() -> None:
    deflists, abbr = ours("deflists"), ours("abbr")
    assert deflists.count("<dl>") == 1 and deflists.count("<dt>") == 4 and deflists.count("<dd>") == 4
    assert '<abbr title="Hyper Text Markup Language">HTML</abbr>' in abbr
    assert "<code>HTML in code</code>" in abbr and "*[" not in abbr


def test_definition_lists_inside_list_items() -> None:
    """ruby-lang.org's download lists: each item's lines are terms, ``: …`` their definitions."""
    content = ours("deflists_in_lists")
    assert content.count("<dl>") == 4 and content.count("<dt>") == 8 and content.count("<dd>") == 8
    assert "<li>\n<dl>\n<dt><a " in content and ": 8811237" not in content
    assert "<dd>12600100 bytes\nMD5</dd>" in content  # a line right after a definition continues it
    assert "<dd>indented definition\ncontinued lazily</dd>" in content


def test_end_of_block_marker_ends_the_list_and_the_paragraph() -> None:
    content = ours("eob")
    assert "<pre><code>--- lib/utils.rb.orig\n" in content and "^" not in content
    assert "<p>A paragraph</p>" in content and content.count("<blockquote>") == 2


def test_reference_links_may_have_blanks_before_the_label() -> None:
    content = ours("ref_gap")
    assert '<a href="https://github.com/ruby/www.ruby-lang.org/">ruby-lang.org on GitHub</a>' in content
    assert '<a href="https://example.org/ann">the announcement</a>' in content
    assert "[text] [nowhere]" in content and "<code>[a] [2]</code>" in content


def test_bare_urls_stay_text_as_in_kramdown() -> None:
    content = ours("bare_urls")
    assert "https://svn.example.org/repos/tags/v1_8_7/NEWS and www.example.com for" in content
    assert '<a href="https://example.org/x">' in content and '<a href="mailto:me@example.org">' in content


def test_typography_in_text_not_in_code() -> None:
    content = ours("typography")
    assert "“Double quotes” and ‘single quotes’, it’s" in content and "– an en dash, — an em dash…" in content
    assert "<code>&quot;not smart&quot; -- '...'</code>" in content or '<code>"not smart" -- \'...\'</code>' in content
    assert 'puts "still straight"' in content.replace("&quot;", '"')


def test_quotes_follow_kramdowns_rules_not_pairing() -> None:
    """kramdown sets each quote by the characters around it; after an element it sees none before."""
    content = ours("quotes")
    for text in ("<code>Box</code>‘tır", "<code>--jit</code>‘i", "</a>‘e", "</em>‘ınıza", "</em>’s",
                 "이 ‘Happy Birthday, and more….’라는", ":”B”", "　”ideo”", "“‘Quoted’ words”", "’80s",
                 "작성：“typed”", "the ’90s"):
        assert text in content, text


def test_quotes_the_author_typed_stay_as_typed() -> None:
    assert markdown_to_html("x：“typed” and ”odd“\n") == "<p>x：“typed” and ”odd“</p>\n"
    assert markdown_to_html("x：\"straight\"\n") == "<p>x：”straight”</p>\n"


def test_math_is_tex_for_mathjax_as_kramdown_writes_it() -> None:
    content = ours("math")
    for text in ("Inline \\(a &lt; b \\&amp; c\\)", "<code>$$code$$</code>", "<p>\\(a &lt; b\\)\ntext after</p>",
                 "\\[x\\]", "<p>\\(y\\) more</p>", "\\[\\sum_{i=1}^n x_i *y*\\]", "$$ in fence $$", "\\(f'(x)\\)"):
        assert text in content, text
    assert "<em>" not in content and "$$x" not in content


def test_html_blocks_end_at_their_end_tag_not_at_a_blank_line() -> None:
    """The jekyll docs' tables: a blank line inside, rows indented; CommonMark showed them as code."""
    content = ours("html_blocks")
    assert "&lt;tr&gt;" not in content and content.count("<tr>") == 3 and "<td><p>The string name" in content
    assert "<p>After the table, <em>Markdown</em> again.</p>" in content and "*no* Markdown" in content
    assert "<pre><code>&lt;p&gt;An indented code block shows HTML&lt;/p&gt;" in content


def test_extensions_comment_nomarkdown_and_options() -> None:
    content = ours("extensions")
    assert "hidden" not in content and "{::" not in content and "{:/" not in content
    assert "<b>*raw*</b>" in content and "Inline *x* end." in content
    assert "<h2>Header</h2>" in content  # {::options auto_ids="false" /}


def test_tables_without_a_header_and_guillemets() -> None:
    tables, marks = ours("headerless_tables"), ours("guillemets")
    assert markdown_to_html("    | indented |\n") == "<pre><code>| indented |\n</code></pre>\n"
    assert tables.count("<table>") == 2 and "<td><em>b</em></td>" in tables and "<td><code>c|d</code></td>" in tables
    assert "| a |" not in tables and tables.count("<th>") == 2
    assert "a «&nbsp;b&nbsp;» c" in marks and "<code>x &lt;&lt; y</code>" in marks and "0 «&nbsp;(2**40)" in marks
    assert 'title="a &lt;&lt; b"' in marks


def test_posts_without_kramdown_syntax_render_as_before() -> None:
    """Only the smart punctuation and header ids change the common syntax's output."""
    body = "# Title\n\nText with a [link](/x) and `code`.\n\n- a\n- b\n"
    assert markdown_to_html(body) == ('<h1 id="title">Title</h1>\n<p>Text with a <a href="/x">link</a> and '
                                      "<code>code</code>.</p>\n<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n")


def test_attribute_lists_cannot_add_what_sanitising_removes() -> None:
    body = ('Text\n{: onclick="alert(1)" style="color:red" .ok}\n\n'
            '[a](/x){: href="javascript:alert(1)" onmouseover="x()"}\n\n<!--kd:7:p-->\n')
    content = render_post(POST, body, unit_config())[0].content
    assert '<p class="ok">Text</p>' in content
    assert "alert" not in content and "onmouseover" not in content and "style" not in content


def test_header_ids_and_smart_quotes_can_be_turned_off() -> None:
    assert markdown_to_html('# "A"', auto_ids=False, smart=False) == "<h1>&quot;A&quot;</h1>\n"


def test_the_config_turns_header_ids_and_typography_off() -> None:
    cfg = unit_config()
    plain = dataclasses.replace(cfg, content=dataclasses.replace(cfg.content, auto_ids=False, typographic=False))
    body = '## "Quoted" -- header\n\nIt\'s...\n'
    assert render_post(POST, body, cfg)[0].content == ('<h2 id="quoted--header">“Quoted” – header</h2>\n'
                                                       "<p>It’s…</p>")
    assert render_post(POST, body, plain)[0].content == '<h2>"Quoted" -- header</h2>\n<p>It\'s...</p>'


def test_many_attribute_lists_are_not_quadratic() -> None:
    """A generous bound that only catches quadratic behaviour (the body takes ~0.5 s when fixed)."""
    code = ("from feeds.render import markdown_to_html\n"
            "body = 'x *y*{: .c} [a](/b){:#i} ' * 4000 + '\\n{: .p}\\n\\n' + 'p\\n{: .q}\\n\\n' * 2000\n"
            "body += 't\\n: d\\n\\n' * 2000 + '<div markdown=\"1\">\\n<div>x\\n' * 1000\n"
            "markdown_to_html(body)\n"
            "markdown_to_html('<div>\\n' * 3000 + '\\n    <p>x</p>\\n' + '</div>\\n' * 3000)\n"
            "markdown_to_html('<div><p>a</p>\\n\\n</div>\\n' * 3000 + '    <p>x</p>\\n' + '| a | b |\\n' * 3000)\n"
            "markdown_to_html('$$x$$ {::comment}y{:/} ' * 3000)\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


PIECES = list("ab :*[]^{}#.-\"'\n`<>=/1") + ["{: .c}", "{:r: .x}", "{: r}", "[^1]", "[^1]: n", "\n: ", "{#i}",
                                              '<div markdown="1">', "</div>", "*[ab]: x", "```\n", "\n    ",
                                              "\n* ", "\n  : ", "\n   : ", "\n^\n", "] [", "\n[a]: /u\n", "[a] [a]",
                                              "‘", "”", "`c`", "*e*", "：", "80s", "&quot;", "<b>",
                                              "$$", "\n$$\n", "<table>", "</table>", "\n\n    <tr>", "<!--",
                                              "{::comment}", "{:/comment}", "{::nomarkdown}", "{:/}", "\n| ", " |",
                                              "<<", ">>"]
KRAMDOWNISH = st.lists(st.sampled_from(PIECES), max_size=60).map("".join)


@given(KRAMDOWNISH)
def test_any_text_renders(body: str) -> None:
    html_out = markdown_to_html(body)
    assert "<!--kd:" not in html_out
    content = render_post(POST, body, unit_config())[0].content
    if "<" not in body:  # the HTML we make is well-formed: sanitising it again changes nothing
        assert clean_html(content, POST.url, unit_config()) == content


@given(st.lists(st.sampled_from([p for p in PIECES if "`" not in p]), max_size=40).map("".join))
def test_fenced_code_keeps_kramdown_syntax_verbatim(code: str) -> None:
    lines = code.replace("~", "")
    out = markdown_to_html(f"```\n{lines}\n```\n")
    assert html.unescape(re.sub(r"</?(pre|code)[^>]*>", "", out)).rstrip("\n") == lines.rstrip("\n")


QUOTISH = list("‘’“”'\" \n>a1_*s.-(<&;：") + ["<b>", "</b>", "&quot;", "80s"]


@given(st.lists(st.sampled_from(QUOTISH), max_size=50).map("".join))
def test_requote_changes_only_quotes(text: str) -> None:
    out = requote(text, False)
    assert len(out) == len(text)
    assert all(a == b or (a in "‘’“”" and b in "‘’“”") for a, b in zip(text, out))
