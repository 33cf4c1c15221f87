"""Benchmark runner: time ``feeds build`` on generated corpora, cold and incremental.

Usage::

    python bench/run.py [--sizes 1000,10000,100000] [--repeat 3] [--jobs N]
                        [--seed 1] [--workdir bench/out]

For each size it generates the corpus once (cached in ``WORKDIR/corpus/``), makes a
hard-linked working copy in ``WORKDIR/run/`` (so edits never touch the cached corpus),
then times these scenarios, each ``--repeat`` times, and reports medians:

``cold``        ``public/`` and ``.feeds-cache/`` deleted, full build
``no-change``   rebuild with nothing changed
``edit-one``    one post's body edited (the r-th newest post), rebuild
``add-one``     one new post, newer than all others, rebuild
``delete-one``  one post deleted (a recent one, never an edited one), rebuild
``floor``       read every post and parse its front matter (``bench/floor.py``)

Repeats of the last three change a different post each time without reverting, so
each timed build sees exactly one change relative to the build before it.

The command is ``feeds`` unless ``FEEDS_CMD`` overrides it (split with ``shlex``), e.g.
``FEEDS_CMD="python bench/fake_feeds.py"`` (builds run in the site folder; relative
paths in ``FEEDS_CMD`` are made absolute first). Each child's wall time, CPU (user+sys,
including its own reaped children) and peak RSS (its largest single process) come from
``os.wait4`` in ``bench/measure.py``, a small shim process. Prints a Markdown table
and writes ``WORKDIR/results.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import corpus  # bench/ is sys.path[0] when this file is run as a script

BENCH_DIR = Path(__file__).resolve().parent
SCENARIOS = ("cold", "no-change", "edit-one", "add-one", "delete-one", "floor")
COUNTS_RE = re.compile(
    r"(\d+)\s+(posts? read|feeds? written|unchanged|removed|warnings?|errors?)\b"
)
SUMMARY_KEYS = {  # first word of the matched label -> key in Sample.counts
    "post": "posts_read",
    "posts": "posts_read",
    "feed": "written",
    "feeds": "written",
    "unchanged": "unchanged",
    "removed": "removed",
    "warning": "warnings",
    "warnings": "warnings",
    "error": "errors",
    "errors": "errors",
}
#: New posts are dated after the corpus's last possible date (2023-12-31).
ADD_START = datetime(2024, 1, 1, 8, 0, 0)


class BenchError(SystemExit):
    """A build failed or the setup is wrong: message on stderr, exit status 1."""

    def __init__(self, message: str):
        print(f"bench: {message}", file=sys.stderr)
        super().__init__(1)


@dataclass
class Sample:
    """One measured child process."""

    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    counts: dict[str, int] = field(default_factory=dict)  # parsed from the summary line


@dataclass
class Result:
    """The repeats of one scenario at one size, and their medians."""

    size: int
    scenario: str
    samples: list[Sample]

    @property
    def wall_s(self) -> float:
        return statistics.median(s.wall_s for s in self.samples)

    @property
    def cpu_s(self) -> float:
        return statistics.median(s.cpu_s for s in self.samples)

    @property
    def peak_rss_mb(self) -> float:
        return statistics.median(s.peak_rss_mb for s in self.samples)

    @property
    def us_per_post(self) -> float:
        return self.wall_s / self.size * 1e6

    def count(self, key: str) -> str:
        """A summary count across repeats: ``812``, ``3-5`` when they differ, ``?`` if unparsed."""
        values = [s.counts.get(key) for s in self.samples]
        if any(v is None for v in values):
            return "?"
        lo, hi = min(values), max(values)  # type: ignore[type-var]
        return str(lo) if lo == hi else f"{lo}-{hi}"

    def to_json(self) -> dict[str, object]:
        """Medians plus every raw sample."""
        return {
            "size": self.size,
            "scenario": self.scenario,
            "wall_s": round(self.wall_s, 4),
            "cpu_s": round(self.cpu_s, 4),
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "feeds_written": self.count("written"),
            "unchanged": self.count("unchanged"),
            "us_per_post": round(self.us_per_post, 2),
            "samples": [asdict(s) for s in self.samples],
        }


# --------------------------------------------------------------------------- measuring


def parse_summary(stderr: str) -> dict[str, int]:
    """Counts from the last ``feeds: ... posts read, ... feeds written, ...`` line."""
    for line in reversed(stderr.splitlines()):
        found = {SUMMARY_KEYS[k.split()[0]]: int(n) for n, k in COUNTS_RE.findall(line)}
        if "written" in found or "posts_read" in found:
            return found
    return {}


def run_measured(cmd: list[str], cwd: Path, what: str, log_dir: Path) -> Sample:
    """Run ``cmd`` under ``bench/measure.py``; fail loudly on a non-zero exit.

    The shim does the ``os.wait4`` (see its docstring for why the runner cannot).
    Output goes to temporary files, not pipes, so a chatty child can never block.
    """
    with tempfile.TemporaryDirectory(prefix="feeds-bench-") as tmp:
        result = Path(tmp) / "measure.json"
        shim = [sys.executable, "-I", "-S", str(BENCH_DIR / "measure.py"), str(result)]
        with open(Path(tmp) / "out", "w+b") as out, open(Path(tmp) / "err", "w+b") as err:
            code = subprocess.run(
                shim + cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=err
            ).returncode
            err.seek(0)
            stderr = err.read().decode("utf-8", "replace")
            out.seek(0)
            stdout = out.read().decode("utf-8", "replace")
        measured = json.loads(result.read_text()) if result.exists() else None
    if code != 0 or measured is None:
        log_dir.mkdir(parents=True, exist_ok=True)
        log_file = log_dir / "failed-build.log"
        log_file.write_text(
            f"$ (cd {cwd} && {shlex.join(cmd)})\nexit {code}\n"
            f"--- stdout\n{stdout}\n--- stderr\n{stderr}",
            encoding="utf-8",
        )
        tail = "\n".join(stderr.splitlines()[-40:])
        hint = "\n  install the package (pip install -e .) or set FEEDS_CMD" if code == 127 else ""
        raise BenchError(
            f"{what} failed with exit {code}: (cd {cwd} && {shlex.join(cmd)})\n"
            f"--- stderr (last 40 lines; everything in {log_file})\n{tail}{hint}"
        )
    return Sample(
        wall_s=measured["wall_s"],
        cpu_s=measured["cpu_s"],
        peak_rss_mb=measured["peak_rss_bytes"] / 2**20,
        counts=parse_summary(stderr),
    )


# --------------------------------------------------------------------------- corpus state


def ensure_corpus(size: int, seed: int, workdir: Path) -> tuple[Path, dict[str, object]]:
    """The cached pristine corpus for ``(size, seed)``, generated if missing or partial."""
    root = workdir / "corpus" / f"n{size}-s{seed}-v{corpus.GENERATOR_VERSION}"
    marker = root / "corpus.json"
    if marker.exists():
        return root, json.loads(marker.read_text(encoding="utf-8"))
    if root.exists():
        shutil.rmtree(root)  # an interrupted generation
    log(f"n={size}: generating corpus (seed {seed}) in {root}")
    stats: dict[str, object] = dict(corpus.generate(size, seed, root).summary())
    marker.write_text(json.dumps(stats, indent=2) + "\n", encoding="utf-8")
    log(f"n={size}: generated in {stats['seconds']} s, {stats['total_mb']} MB")
    return root, stats


def clone_site(pristine: Path, site: Path) -> None:
    """A fresh working copy of the corpus: posts hard-linked (copied if that fails)."""
    if site.exists():
        shutil.rmtree(site)
    (site / "_posts").mkdir(parents=True)
    shutil.copyfile(pristine / "config.yaml", site / "config.yaml")
    for entry in os.scandir(pristine / "_posts"):
        dst = site / "_posts" / entry.name
        try:
            os.link(entry.path, dst)
        except OSError:
            shutil.copyfile(entry.path, dst)


def write_replacing(path: Path, data: bytes) -> None:
    """Write through a new inode (temp file + rename): a hard-linked original stays intact."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def edit_post(path: Path, r: int) -> None:
    """Change the body of ``path``: a new first paragraph, and the first 。 becomes ！."""
    data = path.read_bytes()
    body_at = data.find(b"\n---\n", 3) + len(b"\n---\n")
    para = data.find(b"<p", body_at)
    added = f"<p>（更新{r + 1}）本文发布后已修订，补充了最新数据。</p>\n\n".encode()
    if para < 0:
        new = data + b"\n" + added
    else:
        rest = data[para:].replace("。".encode(), "！".encode(), 1)
        new = data[:para] + added + rest
    write_replacing(path, new)


def add_post(posts_dir: Path, vocab: corpus.Vocabulary, size: int, seed: int, r: int) -> Path:
    """Write one new post, dated after every other, drawn from the corpus's vocabulary."""
    rng = random.Random(f"bench-add-{size}-{seed}-{r}")
    name, data, _ = corpus.render_post(
        rng, vocab, ADD_START + timedelta(hours=r), "tz", serial=size + r
    )
    path = posts_dir / name
    write_replacing(path, data)
    return path


# --------------------------------------------------------------------------- scenarios


def bench_size(
    size: int, seed: int, repeat: int, jobs: int | None, workdir: Path, feeds_cmd: list[str]
) -> tuple[list[Result], dict[str, object]]:
    """All scenarios at one corpus size."""
    pristine, stats = ensure_corpus(size, seed, workdir)
    site = workdir / "run" / f"n{size}-s{seed}"
    clone_site(pristine, site)
    posts_dir = site / "_posts"
    config = site / "config.yaml"
    cmd = [*feeds_cmd, "build", "--config", str(config), "-q"]
    if jobs is not None:
        cmd += ["--jobs", str(jobs)]
    # Newest first; file names start with the date, so this is (roughly) recency order.
    newest = sorted((p.name for p in posts_dir.glob("*.md")), reverse=True)
    if len(newest) < 2 * repeat:
        raise BenchError(f"n={size} is too small for --repeat {repeat}")
    results: list[Result] = []
    expected_posts = size

    def build(scenario: str, r: int) -> Sample:
        sample = run_measured(cmd, site, f"n={size} {scenario} #{r + 1}", workdir)
        read = sample.counts.get("posts_read")
        if read is not None and read != expected_posts:
            log(f"  warning: feeds read {read} posts, the site has {expected_posts}")
        log(
            f"n={size} {scenario:<10} #{r + 1}: {sample.wall_s:8.3f} s wall "
            f"{sample.cpu_s:8.3f} s cpu {sample.peak_rss_mb:7.1f} MB  "
            f"written={sample.counts.get('written', '?')} "
            f"unchanged={sample.counts.get('unchanged', '?')}"
        )
        return sample

    samples: list[Sample] = []
    for r in range(repeat):
        for leftover in ("public", ".feeds-cache"):
            shutil.rmtree(site / leftover, ignore_errors=True)
        samples.append(build("cold", r))
    results.append(Result(size, "cold", samples))

    results.append(Result(size, "no-change", [build("no-change", r) for r in range(repeat)]))

    samples = []
    for r in range(repeat):
        edit_post(posts_dir / newest[r], r)
        samples.append(build("edit-one", r))
    results.append(Result(size, "edit-one", samples))

    vocab = corpus.build_vocabulary(size, random.Random(seed))
    samples = []
    for r in range(repeat):
        add_post(posts_dir, vocab, size, seed, r)
        expected_posts += 1
        samples.append(build("add-one", r))
    results.append(Result(size, "add-one", samples))

    samples = []
    for r in range(repeat):
        (posts_dir / newest[repeat + r]).unlink()
        expected_posts -= 1
        samples.append(build("delete-one", r))
    results.append(Result(size, "delete-one", samples))

    floor_cmd = [sys.executable, str(BENCH_DIR / "floor.py"), str(pristine / "_posts")]
    samples = []
    for r in range(repeat):
        sample = run_measured(floor_cmd, pristine, f"n={size} floor #{r + 1}", workdir)
        log(f"n={size} {'floor':<10} #{r + 1}: {sample.wall_s:8.3f} s wall")
        samples.append(sample)
    results.append(Result(size, "floor", samples))
    return results, stats


# --------------------------------------------------------------------------- reporting


def markdown_table(results: list[Result]) -> str:
    """The results as a Markdown table (medians over repeats)."""
    lines = [
        "| size | scenario | wall s (median) | CPU s | peak RSS MB | feeds written | µs per post |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for res in results:
        written = "–" if res.scenario == "floor" else res.count("written")
        lines.append(
            f"| {res.size} | {res.scenario} | {res.wall_s:.3f} | {res.cpu_s:.3f} | "
            f"{res.peak_rss_mb:.1f} | {written} | {res.us_per_post:.1f} |"
        )
    return "\n".join(lines)


def feeds_command(text: str) -> list[str]:
    """``FEEDS_CMD`` split like a shell would, relative paths in it made absolute.

    Builds run inside the site folder, so ``python bench/fake_feeds.py`` must become
    ``python /abs/bench/fake_feeds.py`` to keep meaning what the user typed.
    """
    words = shlex.split(text)
    if not words:
        raise BenchError("FEEDS_CMD is empty")
    return [str(Path(w).resolve()) if "/" in w and Path(w).exists() else w for w in words]


def log(message: str) -> None:
    """Progress on stderr (the table goes to stdout)."""
    print(message, file=sys.stderr, flush=True)


def parse_sizes(text: str) -> list[int]:
    """``1000,10k,100k`` -> ``[1000, 10000, 100000]``."""
    sizes = []
    for part in text.split(","):
        part = part.strip().lower()
        scale = 1000 if part.endswith("k") else 1
        sizes.append(int(part.rstrip("k")) * scale)
    if any(n < 1 for n in sizes):
        raise argparse.ArgumentTypeError("sizes must be positive")
    return sizes


def main(argv: list[str] | None = None) -> int:
    """CLI entry point."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--sizes",
        type=parse_sizes,
        default=[1000, 10000, 100000],
        help="comma-separated post counts, 10k allowed (default 1000,10000,100000)",
    )
    ap.add_argument("--repeat", type=int, default=3, help="runs per scenario (default 3)")
    ap.add_argument("--jobs", type=int, default=None, help="pass --jobs N to feeds build")
    ap.add_argument("--seed", type=int, default=1, help="corpus seed (default 1)")
    ap.add_argument(
        "--workdir",
        type=Path,
        default=Path("bench/out"),
        help="corpora, working copies and results.json (default bench/out)",
    )
    args = ap.parse_args(argv)
    if args.repeat < 1:
        ap.error("--repeat must be at least 1")
    feeds_cmd = feeds_command(os.environ.get("FEEDS_CMD", "feeds"))
    workdir: Path = args.workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "failed-build.log").unlink(missing_ok=True)

    results: list[Result] = []
    corpora: dict[str, object] = {}
    for size in args.sizes:
        size_results, stats = bench_size(
            size, args.seed, args.repeat, args.jobs, workdir, feeds_cmd
        )
        results += size_results
        corpora[str(size)] = stats

    print(markdown_table(results))
    print()
    for res in results:
        if res.scenario == "cold":
            print(f"cold build, {res.size} posts: {res.size / res.wall_s:,.0f} posts/s")

    report = {
        "meta": {
            "feeds_cmd": feeds_cmd,
            "jobs": args.jobs,
            "repeat": args.repeat,
            "seed": args.seed,
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "cpu_count": os.cpu_count(),
            "when": datetime.now().isoformat(timespec="seconds"),
        },
        "corpora": corpora,
        "results": [res.to_json() for res in results],
    }
    out = workdir / "results.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    log(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
