"""A stage's workers are forked from the build: what their tasks need (the formats' fragment and
frame makers) is imported once, before the fork, not by every worker on its first task (five
imports of the writer in a cold build, 75 ms each without bytecode). feedgen and lxml are not
among them: ``xmlfast`` writes every fragment and frame of a normal build, and ``write`` imports
them on first use, in the worker that meets a value ``xmlfast`` leaves to feedgen."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import post_text, write_site

# the build in a fresh interpreter (this one has imported everything already), with parallel.run
# noting which modules the parent holds when it hands a stage's tasks over
SCRIPT = """
import json, sys
from feeds import build, load_config, parallel
seen, real = [], parallel.run
def noting(func, tasks, *args, **kwargs):
    seen.append([func.__name__, sorted(m for m in sys.modules if m in WANTED)])
    return real(func, tasks, *args, **kwargs)
WANTED = set(sys.argv[2].split(","))
parallel.run = noting
result = build(load_config(sys.argv[1]))
assert not result.errors, result.problems
print(json.dumps(seen))
"""

POSTS = {f"2022-03-{d:02d}-post-{d}.md": post_text({"title": f"Post {d}", "date": f"2022-03-{d:02d}",
                                                    "categories": ["news"]}, f"Body {d}.\n") for d in range(1, 4)}


WRITERS = ["dateutil", "feedgen", "feeds.jsonfeed", "feeds.write", "lxml"]


@pytest.mark.parametrize(("formats", "wanted"), [
    (["atom", "rss"], ["feeds.write"]),
    (["json"], ["feeds.jsonfeed"]),
    (["atom", "json"], ["feeds.jsonfeed", "feeds.write"]),
])
def test_render_and_write_workers_inherit_the_makers(tmp_path: Path, formats: list[str], wanted: list[str]) -> None:
    root = tmp_path / "site"
    write_site(root, dict(POSTS), {"feeds": {"formats": formats}, "build": {"jobs": 1}})
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(root / "config.yaml"), ",".join(WRITERS)],
                         cwd=root, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    seen = dict(json.loads(out.stdout.splitlines()[-1]))
    assert seen["_render_task"] == wanted  # no feedgen, lxml or dateutil: the build never needs them
    assert seen["_write_task"] == wanted


# the build in a fresh interpreter, xmlfast refusing every entry and frame (argv[2] "refuse"), then
# whether the parent imported feedgen
FALLBACK = """
import sys
from feeds import build, load_config, write
if sys.argv[2] == "refuse":
    for name in ("atom_parts", "rss_parts", "atom_head", "rss_head"):
        setattr(write, name, lambda *args: None)
result = build(load_config(sys.argv[1]))
assert not result.errors, result.problems
print("feedgen" in sys.modules)
"""
MANY = {f"2022-{m:02d}-{d:02d}-post.md": post_text({"title": f"Post {m}.{d} <&>", "date": f"2022-{m:02d}-{d:02d}",
                                                    "categories": ["news", f"c{d % 3}"], "tags": [f"t{m}-{d}"]},
                                                   f"Body {m}.{d} with *emphasis* & [a link](https://x.test/{d}).\n")
        for m in range(1, 11) for d in range(1, 29)}


def test_what_xmlfast_leaves_to_feedgen_is_written_by_feedgen_in_the_workers(tmp_path: Path) -> None:
    """Every entry and frame refused by ``xmlfast`` (a value it does not vouch for; reading leaves
    none such in a real post, hence the refusal forced here): the render and write workers import
    feedgen and lxml on first use and write them, the parent never imports them, and the output
    is the same bytes as ``xmlfast``'s."""
    outputs = {}
    for how in ("refuse", "fast"):
        root = tmp_path / how
        write_site(root, dict(MANY), {"feeds": {"limit": 0}, "build": {"jobs": 2}})
        out = subprocess.run([sys.executable, "-c", FALLBACK, str(root / "config.yaml"), how], cwd=root,
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        assert out.stdout.split()[-1] == "False"  # neither build imported feedgen in the parent
        outputs[how] = {str(f.relative_to(root / "public")): f.read_bytes()
                        for f in sorted((root / "public").rglob("*")) if f.is_file()}
    assert len([name for name in outputs["fast"] if name.endswith((".xml", ".rss"))]) > 4
    assert outputs["refuse"] == outputs["fast"]


# --- the read stage: forked before the renderer is imported ------------------------------------

RENDERER = ["cmarkgfm", "feeds.entry_check", "feeds.render", "feeds.workers", "nh3"]
# what only the stages after reading need besides (`feeds check` asks the output folder, so it
# imports feeds.output: not the renderer)
AFTER_READING = sorted([*RENDERER, "feeds.aside", "feeds.output", "feeds.websub"])


@pytest.mark.parametrize("jobs", [1, 2])
@pytest.mark.parametrize("rebuild", [False, True])
def test_the_read_workers_are_forked_before_the_renderer_is_imported(tmp_path: Path, jobs: int,
                                                                     rebuild: bool) -> None:
    """The parent imports the render and write stages' modules while the read workers read, not
    before forking them (one core busy); the render workers, forked after, inherit them. So does a
    rebuild after an edit (a cache, records of the output: no background check to start)."""
    root = tmp_path / "site"
    write_site(root, dict(POSTS), {"build": {"jobs": jobs}})
    if rebuild:
        run = subprocess.run([sys.executable, "-m", "feeds", "build", "-q"], cwd=root, capture_output=True,
                             text=True, timeout=120)
        assert run.returncode == 0, run.stderr
        post = root / "_posts" / "2022-03-01-post-1.md"
        post.write_text(post.read_text("utf-8").replace("Body 1.", "Body one."), "utf-8")
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(root / "config.yaml"), ",".join(AFTER_READING)],
                         cwd=root, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    seen = dict(json.loads(out.stdout.splitlines()[-1]))
    assert seen["_read_task"] == []
    assert seen["_render_task"] == AFTER_READING


# the command in a fresh interpreter, then the renderer's modules it imported
COMMAND = """
import os, sys
from feeds.cli import main
try:
    main(sys.argv[1:], prog_name="feeds")
except SystemExit as exc:
    print(exc.code, sorted(m for m in sys.modules if m in os.environ["WANTED"].split(",")))
"""


@pytest.mark.parametrize("command", [["list"], ["check"], ["build", "-q"]])
def test_list_check_and_a_replayed_build_import_no_renderer(tmp_path: Path, command: list[str]) -> None:
    """Reading and grouping render nothing: `feeds list`, `feeds check` and a build that changes
    nothing (replayed: ``shortcut``) never import the renderer."""
    root = tmp_path / "site"
    write_site(root, dict(POSTS), {"build": {"jobs": 1}})
    assert subprocess.run([sys.executable, "-m", "feeds", "build", "-q"], cwd=root, timeout=120).returncode == 0
    out = subprocess.run([sys.executable, "-c", COMMAND, *command, "--config", "config.yaml"], cwd=root,
                         capture_output=True, text=True, timeout=120, env={**os.environ, "WANTED": ",".join(RENDERER)})
    assert out.stdout.splitlines()[-1] == "0 []", out.stderr
