"""The command line: parse options, call the core, print problems and a summary, exit.

Exit codes: 0 success (warnings printed), 1 problems in the posts (errors, or warnings under
--strict) or an output folder that cannot be written, 2 usage or configuration errors, 130
interrupted (feeds/interrupts.py).
With --json, one JSON document goes to stdout as well; stderr says what it says without it.
"""
from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click

from . import heap, interrupts, teardown
from .config import MAX_JOBS, Config, load_config
from .errors import ConfigError, FeedsError, OutputError, Problem, display_path
from .pipeline import BuildResult, build, load
from .posts import build_time

CONFIG_HELP = ("config file(s), comma-separated, later ones win (default: ./config.yaml, else the Jekyll "
               "site's ./_config.yml)")


def _config(config: str | None, json_for: str | None = None, quiet: bool = False, **overrides: Any) -> Config:
    """The config, or exit 2 with its problems (and, for --json, the document saying so)."""
    try:
        cfg = load_config(config, overrides)
        build_time()  # a malformed SOURCE_DATE_EPOCH is a configuration error too
    except ConfigError as exc:
        _report(exc.problems)
        if json_for:
            _emit(json_for, 2, exc.problems)
        sys.exit(2)
    if not quiet:
        click.echo(f"feeds: settings from {' + '.join(cfg.read)}", err=True)
    return cfg


def _report(problems: list[Problem], quiet: bool = False) -> None:
    for problem in problems:
        if problem.is_error or not quiet:
            click.echo(str(problem), err=True)


def _terminal() -> bool:
    return sys.stderr.isatty()


class Counter:
    """A stage's progress on one terminal line. The core reports every few hundred items, so the
    last count it sends can fall short of the total: finish() ends the line, at N/N when the stage
    did complete, before anything else prints (a new stage, a message, the summary)."""

    def __init__(self) -> None:
        self.open: tuple[str, int] | None = None  # the stage whose line is not ended, and its total

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self.open and self.open[0] != stage:
            self.finish()  # stages run one after the other: the one before is done
        complete = done >= total
        click.echo(f"\r{stage}: {done}/{total}   ", err=True, nl=complete)
        self.open = None if complete else (stage, total)

    def finish(self, completed: bool = True) -> None:
        if self.open:
            stage, total = self.open
            click.echo(f"\r{stage}: {total}/{total}   " if completed else "", err=True)
            self.open = None


@contextlib.contextmanager
def _progress(enabled: bool) -> Iterator[Counter | None]:
    """Progress on a terminal only, so CI logs stay clean; the line is ended however the block ends."""
    counter = Counter() if enabled and _terminal() else None
    completed = False
    try:
        yield counter
        completed = True
    finally:
        if counter:
            counter.finish(completed)


def _problem_row(problem: Problem) -> dict[str, Any]:
    return {"path": problem.path or None, "line": problem.line, "level": problem.level, "message": problem.message}


EMPTY: dict[str, dict[str, Any]] = {  # each command's document before anything was read
    "build": {"posts": 0, "feeds": 0, "written": [], "unchanged": 0, "removed": [], "wrote": False, "seconds": 0.0},
    "check": {"posts": 0, "feeds": 0},
    "ping": {"dry_run": False, "hubs": []},
}


def _emit(command: str, exit_code: int, problems: list[Problem], **fields: Any) -> None:
    """The --json document: counts, files, and every problem; the same keys whatever happened."""
    errors = sum(p.is_error for p in problems)
    document = {"command": command, "exit_code": exit_code, **EMPTY[command], **fields,
                "warnings": len(problems) - errors, "errors": errors, "problems": [_problem_row(p) for p in problems]}
    click.echo(json.dumps(document, ensure_ascii=False, indent=2))


def _summary(result: BuildResult, verb: str) -> str:
    return (f"feeds: {result.posts} posts read, {len(result.written)} feeds {verb}, {result.unchanged} unchanged, "
            f"{len(result.removed)} removed, {len(result.warnings)} warnings, {len(result.errors)} errors "
            f"({result.seconds:.2f} s)")


def _overrides(source: tuple[str, ...], output: str | None, base_url: str | None, timezone: str | None,
               limit: int | None, drafts: bool | None, future: bool | None, jobs: int | None) -> dict[str, Any]:
    return {"source": [str(Path(s).resolve()) for s in source] or None,
            "output": str(Path(output).resolve()) if output else None, "site.url": base_url,
            "timezone": timezone, "feeds.limit": limit, "build.drafts": drafts, "build.future": future,
            "build.jobs": jobs}


def _options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The options that shape what a build reads and writes (build, check and list share them)."""
    for option in reversed([
        click.option("--config", "config", type=click.Path(dir_okay=False), help=CONFIG_HELP),
        click.option("--source", multiple=True, type=click.Path(file_okay=False), help="site folder (repeatable)"),
        click.option("--output", type=click.Path(file_okay=False), help="output folder (config: output)"),
        click.option("--base-url", help="the site's absolute URL (config: site.url)"),
        click.option("--timezone", help="IANA zone for dates without an offset (config: timezone)"),
        click.option("--limit", type=click.IntRange(min=0), help="entries per feed, 0 for all (config: feeds.limit)"),
        click.option("--drafts/--no-drafts", default=None, help="include _drafts/ and draft: true posts"),
        click.option("--future/--no-future", default=None, help="include posts dated after now"),
        click.option("--jobs", "-j", type=click.IntRange(0, MAX_JOBS), help="worker processes, 0 for one per core"),
    ]):
        func = option(func)
    return func


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="feeds")
def main() -> None:
    """Publish per-category, per-tag and site-wide RSS 2.0 and Atom 1.0 (and JSON Feed 1.1) feeds from a Jekyll site."""


KEEP_GOING_HELP = "on errors, still write feeds from the posts that could be read"
JSON_HELP = "also print a JSON summary (counts, files, every problem) on stdout"


@main.command("build")
@_options
@click.option("--keep-going", is_flag=True, help=KEEP_GOING_HELP)
@click.option("--strict", is_flag=True, help="treat warnings as errors (exit 1)")
@click.option("-q", "--quiet", is_flag=True, help="print errors and the summary only")
@click.option("-v", "--verbose", is_flag=True, help="also list every file written or removed")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def build_command(config: str | None, keep_going: bool, strict: bool, quiet: bool, verbose: bool, as_json: bool,
                  **options: Any) -> None:
    """Write every feed into the output folder.

    Example: feeds build --config config.yaml --output public
    """
    cfg = _config(config, "build" if as_json else None, quiet, **_overrides(**options))
    teardown.ends_after_build()
    try:
        # Ctrl-C, SIGTERM: clean up, say so, exit 130; a process that ends with the command keeps its heap as it is
        with interrupts.cleanup(display_path(cfg.output)), _progress(not quiet) as progress, \
                heap.fewer_collections(undo=not teardown.ends_with_command()):
            result = build(cfg, keep_going=keep_going, progress=progress)
    except OutputError as exc:
        click.echo(f"Error: {exc}", err=True)
        if as_json:
            where = display_path(cfg.output)
            _emit("build", 1, [Problem(where, None, str(exc).removeprefix(f"{where}: "))])
        sys.exit(1)
    except KeyboardInterrupt:  # off the main thread, where no handler of ours runs
        interrupts.exit_interrupted()
    _report(result.problems, quiet)
    if verbose:
        for path in result.written:
            click.echo(f"wrote {path}", err=True)
    for path in result.removed:
        click.echo(f"removed {path} (no posts produce it any more)", err=True)
    if result.errors and not result.wrote:
        click.echo("Error: nothing was written; fix the errors above, or pass --keep-going", err=True)
    click.echo(_summary(result, "written"), err=True)
    code = 1 if result.errors or (strict and result.warnings) else 0
    if as_json:
        _emit("build", code, result.problems, posts=result.posts, feeds=result.feed_count, written=result.written,
              unchanged=result.unchanged, removed=result.removed, wrote=result.wrote, seconds=round(result.seconds, 3))
    teardown.finished()  # nothing is left to do: the process may end without freeing the build's memory
    sys.exit(code)


@main.command("check")
@_options
@click.option("--strict", is_flag=True, help="treat warnings as errors (exit 1)")
@click.option("--json", "as_json", is_flag=True, help=JSON_HELP)
def check_command(config: str | None, strict: bool, as_json: bool, **options: Any) -> None:
    """Read the config and every post, then the feeds in the output folder; report every problem, write nothing.

    Example: feeds check --config config.yaml
    """
    from .output import inspect_output
    from .validate import check_output

    cfg = _config(config, "check" if as_json else None, **_overrides(**options))
    posts, specs, problems = load(cfg)
    if cfg.output.is_dir():
        problems += inspect_output(cfg.output, cfg.file) + check_output(cfg.output, cfg.site.url)
    _report(problems)
    errors = [p for p in problems if p.is_error]
    click.echo(f"feeds: {len(posts)} posts read, {len(specs)} feeds planned, {len(problems) - len(errors)} "
               f"warnings, {len(errors)} errors", err=True)
    code = 1 if errors or (strict and problems) else 0
    if as_json:
        _emit("check", code, problems, posts=len(posts), feeds=len(specs))
    sys.exit(code)


@main.command("list")
@_options
@click.option("--json", "as_json", is_flag=True, help="print JSON instead of a table")
def list_command(config: str | None, as_json: bool, **options: Any) -> None:
    """List the feeds a build would write: kind, name, slug, entries, files and URLs.

    Example: feeds list --json | jq '.[] | select(.kind == "tag") | .files[0].url'
    """
    cfg = _config(config, **_overrides(**options))
    _, specs, problems = load(cfg)
    _report([p for p in problems if p.is_error])
    rows: list[dict[str, Any]] = [
        {"kind": s.kind, "name": s.name, "slug": s.slug, "entries": len(s.entries), "posts": s.total,
         "page": s.page,  # an RFC 5005 archive page (1: the oldest posts); 0 for a feed
         "files": [{"format": f.format, "path": f.path, "url": f.url} for f in s.files]} for s in specs]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        for row in rows:
            paths = "  ".join(f["path"] for f in row["files"])
            click.echo(f"{row['kind']:<8} {row['entries']:>4}  {row['name']}  {paths}")
    if any(p.is_error for p in problems):
        sys.exit(1)  # with --json too: a script sees the same outcome as a person


@main.command("ping")
@click.option("--config", "config", type=click.Path(dir_okay=False), help=CONFIG_HELP)
@click.option("--output", type=click.Path(file_okay=False), help="output folder (config: output)")
@click.option("--dry-run", is_flag=True, help="print what would be sent; send nothing, record nothing")
@click.option("--timeout", type=click.FloatRange(0.1, 300), default=10.0, show_default=True,
              help="seconds to wait for a hub's answer to one POST")
@click.option("--json", "as_json", is_flag=True, help="also print a JSON summary (each hub, its feeds) on stdout")
def ping_command(config: str | None, output: str | None, dry_run: bool, timeout: float, as_json: bool) -> None:
    """Tell the WebSub hubs (feeds.websub.hub) which feeds changed since the last ping.

    Run it after the output folder is published: a hub fetches the feeds at once.

    Example: feeds build && rsync -a public/ host:site/ && feeds ping
    """
    from .websub import dry_run_lines, ping

    cfg = _config(config, "ping" if as_json else None, output=str(Path(output).resolve()) if output else None)
    if not cfg.feeds.hubs:
        problem = Problem(cfg.file, None, "feeds.websub.hub: not set, so there is no hub to notify; set it to your "
                                          "hub's URL (and build again, so that the feeds name it)")
        _report([problem])
        if as_json:
            _emit("ping", 2, [problem], dry_run=dry_run)
        sys.exit(2)
    result = ping(cfg, dry_run=dry_run, timeout=timeout)
    _report(result.problems)
    busy = any(r.topics for r in result.hubs)
    for report in result.hubs if busy else []:
        click.echo(report.message(dry_run), err=True)
        for line in dry_run_lines(report) if dry_run else []:
            click.echo(line, err=True)
    if result.hubs and not busy:
        click.echo("feeds: nothing to notify: no feed changed since the last ping", err=True)
    code = 1 if result.failed else 0
    if as_json:
        hubs = [{"hub": r.hub, "topics": r.topics, "notified": r.notified, "tries": r.tries, "error": r.error or None}
                for r in result.hubs]
        _emit("ping", code, result.problems, dry_run=dry_run, hubs=hubs)
    sys.exit(code)


@main.command("serve")
@_options
@click.option("--host", default="127.0.0.1", show_default=True, help="address to listen on")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="port")
@click.option("--keep-going", is_flag=True, help=KEEP_GOING_HELP + ", and serve them")
def serve_command(config: str | None, host: str, port: int, keep_going: bool, **options: Any) -> None:
    """Build, then serve the output folder for a local look (Ctrl-C stops).

    Example: feeds serve --port 8080, then open http://127.0.0.1:8080/feed.xml
    """
    from .serve import serve

    cfg = _config(config, **_overrides(**options))
    try:
        with interrupts.cleanup(display_path(cfg.output)), _progress(True) as progress:
            result = build(cfg, keep_going=keep_going, progress=progress)
        _report(result.problems)
        click.echo(_summary(result, "written"), err=True)
        if result.errors and not keep_going:
            click.echo("Error: nothing was built; fix the errors above, or pass --keep-going", err=True)
            sys.exit(1)
        serve(cfg.output, host, port, ready=lambda url: click.echo(f"serving {cfg.output} at {url}", err=True))
    except FeedsError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("Interrupted", err=True)
        sys.exit(130)
