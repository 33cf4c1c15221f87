"""Workers and what they share (issue 10): each stage hands its workers one typed, frozen
context (inherited by fork), and its tasks are indices into what the context holds, so that
no post crosses a pipe on its way to a worker."""
from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from feeds import parallel, pipeline
from feeds.config import load_config


@dataclasses.dataclass(frozen=True)
class Doubling:
    values: tuple[int, ...]


@dataclasses.dataclass(frozen=True)
class Other:
    pass


def _double(index: int) -> int:
    return 2 * parallel.context(Doubling).values[index]


def _wrong(index: int) -> object:
    return parallel.context(Other)


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_task_reads_its_stage_context_by_type(jobs: int) -> None:
    values = tuple(range(300))
    assert list(parallel.run(_double, list(range(300)), jobs, Doubling(values))) == [2 * v for v in values]


def test_a_task_given_another_stage_context_fails_loudly() -> None:
    with pytest.raises(TypeError, match="ran with a Doubling context"):
        list(parallel.run(_wrong, [0], 1, Doubling(())))


def test_the_context_is_the_running_stage_only() -> None:
    outer = parallel.run(_double, [0, 1], 1, Doubling((5, 6)))
    assert next(outer) == 10
    assert list(parallel.run(_double, [0], 1, Doubling((7,)))) == [14]  # a stage inside another's loop
    assert list(outer) == [12]  # the outer stage got its own context back
    with pytest.raises(TypeError):
        parallel.context(Doubling)  # no stage running


def test_every_stage_gives_workers_indices_and_a_frozen_context(make_site: Callable[..., Path],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Read, render and write each run on the pool (enough files, posts and feeds) with int or
    range tasks and a frozen dataclass as the context: no Post, FeedSpec or tuple of state."""
    posts = {f"2022-01-{1 + n % 28:02d}-p{n}.md": {"title": f"P {n}", "date": f"2022-01-{1 + n % 28:02d}",
                                                    "tags": [f"t{n % 150}"], "body": f"Body {n}.\n"}
             for n in range(300)}
    cfg = load_config(make_site(posts, {"build": {"jobs": 2}, "feeds": {"limit": 0}}))
    seen: list[tuple[str, type, set[type]]] = []
    real = parallel.run

    def spy(func: Callable[[Any], Any], tasks: list[Any], jobs: int, shared: object,
            *args: Any, **kwargs: Any) -> Iterator[Any]:
        seen.append((func.__name__, type(shared), {type(t) for t in tasks}))
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(shared, dataclasses.fields(shared)[0].name, None)  # type: ignore[arg-type]
        return real(func, tasks, jobs, shared, *args, **kwargs)

    monkeypatch.setattr(parallel, "run", spy)
    result = pipeline.build(cfg)
    assert not result.errors
    assert [name for name, _, _ in seen] == ["_read_task", "_render_task", "_write_task"]
    for name, kind, task_types in seen:
        assert dataclasses.is_dataclass(kind), name
        assert task_types <= {int, range}, (name, task_types)


@pytest.mark.parametrize(("count", "jobs", "least", "most"), [(10_000, 2, 64, 64), (2672, 2, 8, 64), (206, 2, 1, 8),
                                                            (300, 4, 16, 128), (7, 2, 3, 24), (0, 2, 1, 8)])
def test_chunks_cover_every_task_once_in_order_and_shrink_to_the_least(count: int, jobs: int, least: int,
                                                                       most: int) -> None:
    cut = parallel.spans(count, jobs, least, most)
    assert [i for span in cut for i in span] == list(range(count))
    sizes = [len(span) for span in cut]
    assert all(size <= most for size in sizes)
    assert all(size >= least for size in sizes[:-1])  # the last one: what is left
    assert sizes == sorted(sizes, reverse=True)  # big first, small at the end: no worker left alone long
    assert len(cut) <= -(-count // least)  # never more round trips than chunks of ``least`` each


def test_results_come_in_task_order_across_chunks_of_every_size() -> None:
    values = tuple(range(1000))
    assert list(parallel.run(_double, list(range(1000)), 2, Doubling(values), chunksize=3, widest=50)) == \
        [2 * v for v in values]
