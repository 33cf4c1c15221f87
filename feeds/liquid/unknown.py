"""Warnings about unknown tags and filters: one per kind and build, however many uses."""
from __future__ import annotations

from ..errors import Problem

UNKNOWN = "unknown Liquid "  # how such a warning begins: "unknown Liquid tag 'x': …"


def one_per_kind(problems: list[Problem]) -> list[Problem]:
    """The first warning about each unknown tag or filter in the build, with how many more there are."""
    first: dict[str, int] = {}
    counts: dict[str, int] = {}
    kept: list[Problem] = []
    for problem in problems:
        kind = problem.message.split(":", 1)[0] if problem.message.startswith(UNKNOWN) else ""
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
