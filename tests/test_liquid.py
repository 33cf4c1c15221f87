"""feeds.liquid: a post body's Liquid template run as Jekyll runs it, before Markdown."""
from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import SITE_URL, Built, read_site
from hypothesis import given
from hypothesis import strategies as st

from feeds import build, liquid, load_config
from feeds.liquid import code_block, load_site
from feeds.posts import LIQUID, LIQUID_POSTS, read_body
from feeds.render import render_post

Make = Callable[..., Path]


def site(make_site: Make, posts: dict[str, Any], files: dict[str, str] | None = None,
         config: dict[str, Any] | None = None) -> Path:
    cfg_path = make_site(posts, config)
    for name, text in (files or {}).items():
        path = cfg_path.parent / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return cfg_path


def rendered(cfg_path: Path, name: str) -> tuple[str, list[str]]:
    """The named post's content and what rendering it said (as 'path:line: message')."""
    cfg = load_config(cfg_path)
    posts, _ = read_site(cfg_path)
    liquid_site, said = load_site(cfg, posts.values())
    post = posts[name]
    out, problems = render_post(post, read_body(post), cfg, liquid_site)
    return out.content, [f"{p.path}:{p.line}: {p.message}" for p in said + problems]


def hrefs(html: str) -> list[str]:
    return re.findall(r'href="([^"]*)"', html)


def test_include_with_parameters_and_reference_links_defined_in_the_include(make_site: Make) -> None:
    cfg_path = site(make_site, {"2022-03-04-a.md": {"title": "A", "date": "2022-03-04", "body": (
        '{% include note.html text="Steep it" level=page.level %}\n\nSee [the guide][guide].\n\n'
        "{% include links.md %}\n"), "level": "tip"}},
        {"_includes/note.html": "<p class=\"{{ include.level }}\">{{ include.text }}</p>\n",
         "_includes/links.md": "[guide]: {{ site.url }}/guides/{{ 'brewing' | slugify }}/\n"})
    html, said = rendered(cfg_path, "2022-03-04-a.md")
    assert said == []
    assert '<p class="tip">Steep it</p>' in html
    assert hrefs(html) == [f"{SITE_URL}/guides/brewing/"]


def test_post_url_and_link_point_at_the_other_posts_page(make_site: Make) -> None:
    cfg_path = site(make_site, {
        "2021-01-01-first.md": {"title": "First", "date": "2021-01-01"},
        "news/_posts/2021-02-02-second.md": {"title": "Second", "date": "2021-02-02"},
        "2022-03-04-a.md": {"title": "A", "date": "2022-03-04", "body": (
            "[1]({% post_url 2021-01-01-first %}) [2]({% post_url news/2021-02-02-second %}) "
            "[3]({% link _posts/2021-01-01-first.md %}) [4]({{ page.url | absolute_url }})\n")}},
        config={"permalink": "/:categories/:year/:title/"})
    html, said = rendered(cfg_path, "2022-03-04-a.md")
    assert said == []
    assert hrefs(html) == [f"{SITE_URL}/2021/first/", f"{SITE_URL}/news/2021/second/", f"{SITE_URL}/2021/first/",
                           f"{SITE_URL}/2022/a/"]


def test_site_data_from_yaml_json_and_csv_in_loops(make_site: Make) -> None:
    cfg_path = site(make_site, {"2022-03-04-a.md": {"title": "A", "date": "2022-03-04", "body": (
        "{% for t in site.data.teas %}{{ t.name }};{% endfor %}"
        "{% for l in site.data.shop.lamps %}{{ l.name }}={{ l.watts }};{% endfor %}"
        "{{ site.data.release.tag }}\n")}},
        {"_data/teas.yml": "- name: Sencha\n- name: Assam\n", "_data/shop/lamps.csv": "name,watts\nOil,0\n",
         "_data/release.json": '{"tag": "v3"}'})
    html, said = rendered(cfg_path, "2022-03-04-a.md")
    assert said == [] and "Sencha;Assam;Oil=0;v3" in html


def test_assign_capture_if_unless_case_comment_raw(make_site: Make) -> None:
    body = ("{% assign n = 3 %}{% capture who %}the {{ 'desk' | upcase }}{% endcapture %}"
            "{% if n > 2 %}big{% endif %} {% unless n == 3 %}never{% endunless %}"
            "{% case n %}{% when 3 %}three{% else %}other{% endcase %} {{ who }}"
            "{% comment %}hidden{% endcomment %} {% raw %}{{ kept }} {% kept %}{% endraw %}\n")
    cfg_path = site(make_site, {"2022-03-04-a.md": {"title": "A", "date": "2022-03-04", "body": body}})
    html, said = rendered(cfg_path, "2022-03-04-a.md")
    assert said == [] and "<p>big three the DESK {{ kept }} {% kept %}</p>" in html


def test_highlight_is_an_escaped_code_block_whose_fence_outruns_the_code() -> None:
    assert code_block("a ```` b", "sh") == "\n`````sh\na ```` b\n`````\n"
    assert code_block("x", "") == "\n```\nx\n```\n"


def test_highlight_in_a_post(make_site: Make) -> None:
    body = "{% highlight ruby linenos %}\nputs 1 < 2 # ```\n{% endhighlight %}\n"
    cfg_path = site(make_site, {"2022-03-04-a.md": {"title": "A", "date": "2022-03-04", "body": body}})
    html, said = rendered(cfg_path, "2022-03-04-a.md")
    assert said == [] and '<pre><code class="language-ruby">puts 1 &lt; 2 # ```\n</code></pre>' in html


@pytest.mark.parametrize(("template", "expected"), [
    ("{{ '/a b' | relative_url }}", "/blog/a b"),
    ("{{ '/x' | absolute_url }}", "https://x.test/blog/x"),
    ("{{ 'https://o.test/' | absolute_url }}", "https://o.test/"),
    ("{{ page.date | date_to_xmlschema }}", "2022-03-04T00:00:00+08:00"),
    ("{{ page.date | date_to_string }}", "04 Mar 2022"),
    ("{{ page.date | date_to_long_string }}", "04 March 2022"),
    ("{{ 'a&b<c>' | xml_escape }}", "a&amp;b&lt;c&gt;"),
    ("{{ 'a b&c' | cgi_escape }}", "a+b%26c"),
    ("{{ 'a b/é' | uri_escape }}", "a%20b/%C3%A9"),
    ("{{ 'Hello, World: 2!' | slugify }}", "hello-world-2"),
    ("{{ '*x*' | markdownify }}", "<em>x</em>"),
    ("{{ site.data.l | jsonify }}", "[1, 2]"),
    ("{{ 'one two  three' | number_of_words }}", "3"),
    ("{{ site.data.w | array_to_sentence_string }}", "a, b, and c"),
    ("{{ ' a \n b ' | normalize_whitespace }}", "a b"),
    ("{{ '\"Hi\" -- there' | smartify }}", "\u201cHi\u201d \u2013 there"),
    ("{{ '<b>x</b>' | strip_html }}", "x"),
    ("{{ site.data.p | where: 'k', 'b' | map: 'v' | join: ',' }}", "2"),
    ("{{ site.data.p | sort: 'v' | map: 'k' | join: ',' }}", "a,b"),
    ("{% assign g = site.data.p | group_by: 'k' %}{{ g | map: 'name' | join: ',' }}", "b,a"),
    ("{{ site.baseurl }}|{{ site.url }}|{{ site.title }}", "/blog|https://x.test|Test News"),
    ("{{ page.title }}|{{ page.categories | join: ',' }}|{{ page.mood }}|{{ page.id }}",
     "A|c|calm|/c/2022/03/04/a"),
])
def test_jekyll_filters_and_variables(make_site: Make, template: str, expected: str) -> None:
    cfg_path = site(make_site, {"2022-03-04-a.md": {"title": "A", "date": "2022-03-04", "mood": "calm",
                                                    "categories": ["c"], "body": template + "\n"}},
                    {"_data/l.json": "[1, 2]", "_data/w.yml": "[a, b, c]",
                     "_data/p.yml": "[{k: b, v: 2}, {k: a, v: 1}]"},
                    config={"site": {"url": f"{SITE_URL}/blog"}})
    html, said = rendered(cfg_path, "2022-03-04-a.md")
    assert said == []
    inner = re.sub(r"</?a[^>]*>", "", html.removeprefix("<p>").removesuffix("</p>"))  # GFM autolinks
    assert inner == expected


def test_unknown_tags_and_filters_stay_as_written_one_warning_per_kind_per_build(
        make_site: Make, build_site: Callable[..., Built]) -> None:
    body = "{% youtube abc %} and {{ 'x' | shout }} and {{ page.title | shout }} then {% youtube def %}\n"
    cfg_path = site(make_site, {"2022-03-04-a.md": {"title": "A", "date": "2022-03-04", "body": body},
                                "2022-03-05-b.md": {"title": "B", "date": "2022-03-05", "body": body}})
    html, _ = rendered(cfg_path, "2022-03-04-a.md")
    assert "{% youtube abc %} and {{ &#39;x&#39; | shout }} and {{ page.title | shout }}" in html \
        or "{% youtube abc %} and {{ 'x' | shout }} and {{ page.title | shout }}" in html \
        or "{% youtube abc %} and {{ \u2018x\u2019 | shout }} and {{ page.title | shout }}" in html  # typographic
    built = build_site(cfg_path)
    said = [str(p) for p in built.result.warnings if "unknown Liquid" in p.message]
    assert len(said) == 2, said
    assert any(re.search(r"_posts/2022-03-0[45]-[ab].md:5:", s) and "tag 'youtube'" in s and "3 more" in s
               for s in said), said
    assert any("filter 'shout'" in s and "3 more" in s for s in said), said


@pytest.mark.parametrize("body", [
    "[a]({{ site.url }}/x/) {% if x %}never closed\n",
    "[a](/x/{% post_url no-such-post %})\n",
    "[a]({{site.url}}/x/) {% include missing.md %}\n",
    "[a](/{{page.x}}) {{ 1 | divided_by: 0 }}\n",
    "<a href='{% link nowhere.md %}'>a</a>\n",
])
def test_a_liquid_error_is_a_warning_at_its_line_and_no_url_keeps_liquid(make_site: Make, body: str) -> None:
    cfg_path = site(make_site, {"2022-03-04-a.md": {"title": "A", "date": "2022-03-04",
                                                    "body": "Intro.\n\n" + body}})
    html, said = rendered(cfg_path, "2022-03-04-a.md")
    assert len(said) == 1 and "Liquid" in said[0], said
    assert re.search(r"(^|/)_posts/2022-03-04-a.md:7: ", said[0]), said  # the line in the file
    assert "published without Liquid" in said[0]
    for href in hrefs(html):
        assert not re.search(r"{[{%]|%7B", href, re.I), href


def test_an_error_in_an_include_names_the_include(make_site: Make) -> None:
    cfg_path = site(make_site, {"2022-03-04-a.md": {"title": "A", "date": "2022-03-04",
                                                    "body": "{% include bad.md %}\n"}},
                    {"_includes/bad.md": "ok\n{% for %}\n"})
    _, said = rendered(cfg_path, "2022-03-04-a.md")
    assert len(said) == 1 and re.search(r"(^|/)_includes/bad.md:2: Liquid:", said[0]), said
    assert re.search(r"included by \S*_posts/2022-03-04-a.md\)", said[0]), said


def test_render_with_liquid_false_keeps_the_template_as_text(make_site: Make) -> None:
    cfg_path = site(make_site, {"2022-03-04-a.md": {"title": "A", "date": "2022-03-04", "render_with_liquid": False,
                                                    "body": "`{{ x }}`\n"}})
    posts, _ = read_site(cfg_path)
    assert posts["2022-03-04-a.md"].liquid == 0
    html, said = rendered(cfg_path, "2022-03-04-a.md")
    assert said == [] and "{{ x }}" in html


def test_a_post_without_liquid_never_reaches_the_engine(make_site: Make, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg_path = site(make_site, {"2022-03-04-a.md": {"title": "A", "date": "2022-03-04", "body": "{ plain } %}\n"},
                    "2022-03-05-b.md": {"title": "B", "date": "2022-03-05", "body": "{{ page.title }}\n"}})
    posts, _ = read_site(cfg_path)
    assert posts["2022-03-04-a.md"].liquid == 0
    assert posts["2022-03-05-b.md"].liquid == LIQUID
    monkeypatch.setattr(liquid, "JekyllEnvironment", None)  # any use would fail
    html, said = rendered(cfg_path, "2022-03-04-a.md")
    assert said == [] and "{ plain } %}" in html


def test_posts_naming_other_posts_are_flagged(make_site: Make) -> None:
    cfg_path = site(make_site, {"2022-03-04-a.md": {"title": "A", "date": "2022-03-04",
                                                    "body": "{% for p in site.posts %}{{ p.title }}{% endfor %}\n"}})
    posts, _ = read_site(cfg_path)
    assert posts["2022-03-04-a.md"].liquid == LIQUID | LIQUID_POSTS
    html, _ = rendered(cfg_path, "2022-03-04-a.md")
    assert "<p>A</p>" in html


def test_an_edited_include_rerenders_exactly_the_posts_using_liquid(make_site: Make) -> None:
    cfg_path = site(make_site, {
        "2022-03-04-a.md": {"title": "A", "date": "2022-03-04", "body": "{% include n.md %}\n"},
        "2022-03-05-b.md": {"title": "B", "date": "2022-03-05", "body": "{{ page.title }}\n"},
        "2022-03-06-c.md": {"title": "C", "date": "2022-03-06", "body": "Plain.\n"},
        "2022-03-07-d.md": {"title": "D", "date": "2022-03-07", "body": "Plain too.\n"}},
        {"_includes/n.md": "old words\n"}, config={"cache": {"path": ".cache"}, "feeds": {"tags": False}})
    cfg = load_config(cfg_path)
    seen: list[tuple[str, int, int]] = []
    build(cfg, progress=lambda stage, done, total: seen.append((stage, done, total)))
    assert ("render", 4, 4) in seen
    seen.clear()
    (cfg_path.parent / "_includes" / "n.md").write_text("new words\n", encoding="utf-8")
    build(cfg, progress=lambda stage, done, total: seen.append((stage, done, total)))
    assert [s for s in seen if s[0] == "render"][-1] == ("render", 2, 2)  # a and b: the Liquid posts
    assert "new words" in (cfg.output / "feed.xml").read_text(encoding="utf-8")
    seen.clear()
    build(cfg, progress=lambda stage, done, total: seen.append((stage, done, total)))
    assert [s for s in seen if s[0] == "render"] == []  # nothing changed: nothing rendered


def test_an_include_error_is_remembered_by_the_cache_not_taken_for_damage(make_site: Make) -> None:
    """A post whose include has an error: the rebuild reads what rendering said from the cache (a
    problem about the include's file), renders nothing and reports the same warning, no damage."""
    cfg_path = site(make_site, {"2022-03-04-a.md": {"title": "A", "date": "2022-03-04",
                                                    "body": "{% include bad.md %}\n"},
                                "2022-03-05-b.md": {"title": "B", "date": "2022-03-05", "body": "Plain.\n"}},
                    {"_includes/bad.md": "ok\n{% for %}\n"}, config={"cache": {"path": ".cache"}})
    cfg = load_config(cfg_path)
    first = build(cfg)
    seen: list[tuple[str, int, int]] = []
    again = build(cfg, progress=lambda stage, done, total: seen.append((stage, done, total)))
    assert [p.message for p in again.problems] == [p.message for p in first.problems]
    assert any("_includes/bad.md" in p.path for p in again.problems)
    assert not any("damaged" in p.message for p in again.problems), again.problems
    assert [s for s in seen if s[0] == "render"] == []


_PIECES = list("{}%|:'\" -ab.\nx") + ["{{", "}}", "{%", "%}", "{% if a %}", "{% endif %}", "{% raw %}",
                                      "{% endraw %}", "{% include x %}", "| slugify", "](", ")", "{% for a in b %}"]


@given(st.lists(st.sampled_from(_PIECES), max_size=30).map("".join))
def test_any_text_renders_without_a_traceback_and_keeps_no_liquid_in_urls(text: str) -> None:
    from conftest import make_post, unit_config
    cfg = unit_config()
    post = make_post("p", liquid=LIQUID)
    out, problems = render_post(post, "[l](" + text + ")\n" + text, cfg, load_site(cfg, [post])[0])
    assert all(p.path == post.path or p.path.endswith(".md") for p in problems)
    for href in hrefs(out.content):
        assert not re.search(r"{[{%]|%7B(%7B|%25)", href, re.I), href


def test_page_data_leaves_the_shared_empty_front_matter_alone(make_site: Make) -> None:
    from feeds.posts import EMPTY_FRONT_MATTER
    cfg_path = site(make_site, {"2022-03-04-a.md": "No front matter, {{ page.title }}.\n"})
    html, _ = rendered(cfg_path, "2022-03-04-a.md")
    assert "No front matter, A." in html
    assert EMPTY_FRONT_MATTER.data == {}


def test_markup_opened_again_before_it_closes_is_refused_in_one_scan() -> None:
    """The engine takes quadratic time to refuse '{% a {% a …' (30,000 of them: minutes);
    the stage refuses it in one scan, and still renders {% raw %} text that holds such markup."""
    from feeds.liquid import _unclosed_markup

    assert _unclosed_markup("{% highlight a " * 30000) == 0
    assert _unclosed_markup("ok {{ a }} then {{ b") == 16
    assert _unclosed_markup("{% raw %}{{ {% {{{% endraw %} and {{ site.url }}") == -1
    assert _unclosed_markup("{% comment %} {{ {% {% endcomment %}ok") == -1
    assert _unclosed_markup("{{ a }} {% if x %}y{% endif %}") == -1


def test_where_exp_find_exp_and_jekylls_where_on_site_data(make_site: Make) -> None:
    """Jekyll's where compares as text (a YAML number matches a quoted value) and matches an item
    of an array property; where_exp and find_exp take a Liquid condition on each item."""
    body = ("{% assign old = site.data.lamps | where_exp: 'l', 'l.watts < 50 and l.name != \"Candle\"' %}"
            "{% for l in old %}{{ l.name }};{% endfor %}"
            "{{ site.data.lamps | where: 'watts', '60' | map: 'name' | join: ',' }};"
            "{{ site.data.lamps | where: 'rooms', 'hall' | size }};"
            "{{ site.data.lamps | find_exp: 'l', 'l.rooms contains \"desk\"' | map: 'name' }};"
            "{{ site.data.lamps | where_exp: 'l', 'l.watts > 1000' | size }}\n")
    cfg_path = site(make_site, {"2022-03-04-a.md": {"title": "A", "date": "2022-03-04", "body": body}},
                    {"_data/lamps.yml": ("- {name: Oil, watts: 0, rooms: [hall]}\n- {name: Candle, watts: 1}\n"
                                         "- {name: Desk, watts: 40, rooms: [desk, hall]}\n"
                                         "- {name: Flood, watts: 60}\n")})
    html, said = rendered(cfg_path, "2022-03-04-a.md")
    assert said == []
    assert "<p>Oil;Desk;Flood;2;Desk;0</p>" in html


def test_array_filters_jekyll_adds(make_site: Make) -> None:
    body = ("{% assign a = 'b,c' | split: ',' | push: 'd' | unshift: 'a' %}{{ a | join: '' }} "
            "{{ a | pop | join: '' }} {{ a | shift: 2 | join: '' }} {{ '42.9' | to_integer | plus: 1 }}\n")
    cfg_path = site(make_site, {"2022-03-04-a.md": {"title": "A", "date": "2022-03-04", "body": body}})
    html, said = rendered(cfg_path, "2022-03-04-a.md")
    assert said == [] and "<p>abcd abc cd 43</p>" in html


@pytest.mark.parametrize(("text", "mode", "slug"), [
    ("Tea_time: Héllo, World!", "default", "tea-time-héllo-world"),
    ("Tea_time: Héllo, World!", "pretty", "tea_time-héllo,-world!"),
    ("Tea_time: Héllo, World!", "ascii", "tea-time-h-llo-world"),
    ("Tea_time: Héllo, World!", "latin", "tea-time-hello-world"),
    ("Tea_time: Héllo,  World!", "raw", "tea_time:-héllo,-world!"),
    ("Tea Time", "none", "tea time"),
    ("Café 茶", "latin", "cafe"),
    ("x²y --a--", "default", "x-y-a"),
    ("--a--", "raw", "-a-"),
])
def test_slugify_modes_as_jekyll(text: str, mode: str, slug: str) -> None:
    """What Jekyll 4.3.1's Utils.slugify gives (checked with Ruby): underscores are cut by default
    and ascii, kept by pretty; marks and letters of every script are kept; latin drops accents."""
    from feeds.liquid.filters import _slugify
    assert _slugify(text, mode) == slug


def test_data_files_hold_booleans_and_numbers_as_jekyll_reads_them(make_site: Make) -> None:
    """Unquoted false/off is false and 0x1F a number in _data (Ruby's YAML 1.1); quoted stays text;
    keys stay text (Ruby would make 'off:' the key false, which no template can name)."""
    body = ("{% if site.data.flags.shown %}shown{% else %}hidden{% endif %} "
            "{% if site.data.flags.off %}on{% else %}off{% endif %}{{ site.data.flags.on }} "
            "{% if site.data.flags.quoted %}text{% endif %} {{ site.data.flags.hex | plus: 1 }} "
            "{{ site.data.flags.version }} {{ site.data.flags.version | plus: 0 }}\n")
    cfg_path = site(make_site, {"2022-03-04-a.md": {"title": "A", "date": "2022-03-04", "body": body}},
                    {"_data/flags.yml": 'shown: false\noff: off\n1: on\nquoted: "false"\nhex: 0x1F\nversion: "3.10"\n'})
    html, said = rendered(cfg_path, "2022-03-04-a.md")
    assert said == [] and "<p>hidden off text 32 3.10 3.1</p>" in html


def test_capture_into_a_path_like_name_discards_the_text_as_ruby_liquid_does(make_site: Make) -> None:
    """Ruby's Liquid captures ``{% capture /dev/null %}`` into the variable 'dev' (the first run of
    name characters): the comment inside is not written, the assigns inside still happen."""
    include = ("{% capture /dev/null %}<!-- how to use: shelf=\"a,b\" -->"
               "{% assign items = include.shelf | split: ',' %}{% endcapture %}"
               "{% for i in items %}[{{ i }}]: /shelf/{{ i }}/\n{% endfor %}")
    body = "See [a] and [b].\n\n{% include shelf.md shelf=\"a,b\" %}\n"
    cfg_path = site(make_site, {"2022-03-04-a.md": {"title": "A", "date": "2022-03-04", "body": body}},
                    {"_includes/shelf.md": include})
    html, said = rendered(cfg_path, "2022-03-04-a.md")
    assert said == []
    assert hrefs(html) == [f"{SITE_URL}/shelf/a/", f"{SITE_URL}/shelf/b/"] and "how to use" not in html


@pytest.mark.parametrize(("body", "imported"), [("Plain {text} and a | pipe.\n", False),
                                                ("Hello {{ site.title }}.\n", True)])
def test_a_build_without_liquid_never_imports_the_engine(make_site: Make, body: str, imported: bool) -> None:
    """Posts without '{%'/'{{' do not pay for Liquid, not even the engine's import (which costs
    more than rendering many such posts); a post with Liquid does import it."""
    import subprocess
    import sys

    cfg_path = site(make_site, {"2022-03-04-a.md": {"title": "A", "date": "2022-03-04", "body": body}})
    code = ("import sys\nfrom feeds import build, load_config\n"
            f"result = build(load_config({str(cfg_path)!r}))\nassert not result.errors, result.problems\n"
            "print('liquid' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         cwd=cfg_path.parent, check=True)
    assert out.stdout.strip() == str(imported)


def test_include_parameters_are_liquid_values_and_an_undefined_one_is_nil(make_site: Make) -> None:
    """n=2 is the number 2 (so include.n > 1 holds), true/1.5 literals, an undefined variable nil
    (not ''), a quoted value may hold its escaped quote; Ruby's ``include.[name]`` looks up name."""
    include = ("{% if include.n > 1 %}big{% endif %} {% if include.gone == nil %}nil{% endif %} "
               "{% if include.flag %}flag{% endif %} {{ include.ratio | times: 2 }} {{ include.said }} "
               "{% assign k = 'said' %}{{ include.[k] | size }}")
    body = "{% include p.md n=2 gone=no_such_variable flag=true ratio=1.5 said=\"a \\\"b\\\"\" %}\n"
    cfg_path = site(make_site, {"2022-03-04-a.md": {"title": "A", "date": "2022-03-04", "body": body}},
                    {"_includes/p.md": include})
    html, said = rendered(cfg_path, "2022-03-04-a.md")
    assert said == []
    assert "<p>big nil flag 3.0 a “b” 5</p>" in html  # the quotes made typographic, as kramdown does


def test_site_time_is_the_build_time_and_keys_only_the_posts_that_name_it(
        make_site: Make, monkeypatch: pytest.MonkeyPatch) -> None:
    """site.time is when the build runs (SOURCE_DATE_EPOCH honoured), as in Jekyll: a notice dated
    before it is hidden. Only posts whose template names site.time are rendered anew as time passes."""
    from feeds.stages import render_key

    notice = "{% assign now = site.time | date: '%s' %}{% assign until = '2024-06-01' | date: '%s' %}" \
             "{% if until > now %}Coming soon{% else %}Over{% endif %} in {{ site.time | date: '%Y' }}\n"
    cfg_path = site(make_site, {"2022-03-04-a.md": {"title": "A", "date": "2022-03-04", "body": notice},
                                "2022-03-05-b.md": {"title": "B", "date": "2022-03-05", "body": "{{ site.url }}\n"}})
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1704067200")  # 2024-01-01
    html, said = rendered(cfg_path, "2022-03-04-a.md")
    assert said == [] and "<p>Coming soon in 2024</p>" in html
    cfg = load_config(cfg_path)
    posts, _ = read_site(cfg_path)
    before = load_site(cfg, posts.values())[0]
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1735689600")  # 2025-01-01
    html, said = rendered(cfg_path, "2022-03-04-a.md")
    assert said == [] and "<p>Over in 2025</p>" in html
    after = load_site(cfg, posts.values())[0]
    a, b = posts["2022-03-04-a.md"], posts["2022-03-05-b.md"]
    assert render_key("k", a, before) != render_key("k", a, after)
    assert render_key("k", b, before) == render_key("k", b, after)


def test_include_parameters_may_start_on_the_next_line(make_site: Make) -> None:
    body = "{% include note.md\n\ttext=\"On the next line\"\n  level=2 %}\n"
    cfg_path = site(make_site, {"2022-03-04-a.md": {"title": "A", "date": "2022-03-04", "body": body}},
                    {"_includes/note.md": "{{ include.text }} ({{ include.level | plus: 1 }})\n"})
    html, said = rendered(cfg_path, "2022-03-04-a.md")
    assert said == [] and "<p>On the next line (3)</p>" in html


def test_date_filter_as_jekyll_runs_it(make_site: Make, monkeypatch: pytest.MonkeyPatch) -> None:
    """nil | date is nil and text that is no date stays as it is (neither fails the post); a time
    without an offset is in the site's zone (so %s does not depend on the machine's TZ); "now" is
    the build's time."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1704067200")  # 2024-01-01T00:00:00Z
    monkeypatch.setenv("TZ", "America/New_York")
    body = ("[{{ page.nothing | date: '%s' }}] [{{ 'soon' | date: '%Y' }}] "
            "{{ '2024-01-01 08:00' | date: '%s %H:%M' }} {{ 'now' | date: '%s %Y-%m-%d %H:%M' }}\n")
    cfg_path = site(make_site, {"2022-03-04-a.md": {"title": "A", "date": "2022-03-04", "body": body}},
                    config={"timezone": "Asia/Shanghai"})
    html, said = rendered(cfg_path, "2022-03-04-a.md")
    assert said == []
    assert "<p>[] [soon] 1704067200 08:00 1704067200 2024-01-01 08:00</p>" in html


def test_now_and_today_as_jekyll_reads_them(make_site: Make, monkeypatch: pytest.MonkeyPatch) -> None:
    """Real Jekyll 4.3 (Liquid 4) takes "now" and "today" in any case as the build's time, but not
    with spaces around them: " now " is no date, and stays as it is (checked with jekyll build)."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1704067200")  # 2024-01-01T00:00:00Z
    body = ("{{ 'Now' | date: '%Y' }} {{ 'TODAY' | date: '%Y' }} [{{ ' now ' | date: '%Y' }}] "
            "[{{ 'today ' | date: '%Y' }}]\n")
    cfg_path = site(make_site, {"2022-03-04-a.md": {"title": "A", "date": "2022-03-04", "body": body}})
    html, said = rendered(cfg_path, "2022-03-04-a.md")
    assert said == []
    assert "<p>2024 2024 [ now ] [today ]</p>" in html


def test_site_collections_list_their_documents_with_jekylls_urls(make_site: Make) -> None:
    """collections: {lamps: …} makes site.lamps: each document's front matter and its url (from the
    collection's permalink, or a defaults rule scoped to _lamps, else /:collection/:path with the suffix
    of the site's permalink style: .html for the default, '/' for pretty or a style ending in '/')."""
    include = "{% for l in site.lamps %}[lamp {{ l.short | default: l.title }}]: {{ l.url }}\n{% endfor %}"
    body = "See [the oil lamp][lamp oil], [the desk lamp][lamp Desk lamp] and [the hall one][lamp hall].\n\n" \
           "{% include lamps.md %}\n{% for s in site.shelves %}{{ s.url }} {% endfor %}\n"
    cfg_path = site(make_site, {"2022-03-04-a.md": {"title": "A", "date": "2022-03-04", "body": body}},
                    {"_includes/lamps.md": include,
                     "_config.yml": ("collections:\n  lamps:\n    output: true\n  shelves:\n    output: false\n"
                                     "defaults:\n  - scope: {path: _lamps}\n"
                                     "    values: {permalink: /en/lamps/:title/}\n"),
                     "_lamps/oil-lamp.md": "---\ntitle: Oil lamp\nshort: oil\n---\nOld.\n",
                     "_lamps/desk.md": "---\ntitle: Desk lamp\n---\nNew.\n",
                     "_lamps/rooms/hall.md": "---\ntitle: Hall\nshort: hall\npermalink: /hall-lamp/\n---\n",
                     "_shelves/top/one.md": "---\ntitle: One\n---\n"})
    html, said = rendered(cfg_path, "2022-03-04-a.md")
    assert said == []
    assert hrefs(html) == [f"{SITE_URL}/en/lamps/oil-lamp/", f"{SITE_URL}/en/lamps/desk/", f"{SITE_URL}/hall-lamp/"]
    assert "/shelves/top/one.html" in html


@pytest.mark.parametrize(("style", "url"), [(None, "/shelves/top/one.html"), ("pretty", "/shelves/top/one/"),
                                            ("/:year/:title/", "/shelves/top/one/"), ("/:title", "/shelves/top/one")])
def test_a_collections_urls_follow_the_sites_permalink_style(make_site: Make, style: str | None, url: str) -> None:
    config = "collections: [shelves]\n" + (f"permalink: {style}\n" if style else "")
    cfg_path = site(make_site, {"2022-03-04-a.md": {"title": "A", "date": "2022-03-04",
                                                    "body": "{{ site.shelves[0].url }}\n"}},
                    {"_config.yml": config, "_shelves/top/one.md": "---\ntitle: One\n---\n"})
    html, said = rendered(cfg_path, "2022-03-04-a.md")
    assert said == [] and f"<p>{url}</p>" in html
