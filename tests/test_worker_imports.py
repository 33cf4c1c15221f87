"""A stage's workers are forked from the build: what their tasks need (the formats' fragment and
frame makers, feedgen and lxml with them) is imported once, before the fork, not by every worker
on its first task (five imports of the writer in a cold build, 75 ms each without bytecode)."""
from __future__ import annotations

import json
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


@pytest.mark.parametrize(("formats", "wanted"), [
    (["atom", "rss"], ["feeds.write", "feedgen", "lxml"]),
    (["json"], ["feeds.jsonfeed"]),
    (["atom", "json"], ["feeds.write", "feeds.jsonfeed", "feedgen"]),
])
def test_render_and_write_workers_inherit_the_makers(tmp_path: Path, formats: list[str], wanted: list[str]) -> None:
    root = tmp_path / "site"
    write_site(root, dict(POSTS), {"feeds": {"formats": formats}, "build": {"jobs": 1}})
    out = subprocess.run([sys.executable, "-c", SCRIPT, str(root / "config.yaml"), ",".join(wanted)],
                         cwd=root, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    seen = dict(json.loads(out.stdout.splitlines()[-1]))
    assert seen["_render_task"] == sorted(wanted)
    assert seen["_write_task"] == sorted(wanted)
