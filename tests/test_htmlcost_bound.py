"""The '&' cost of a fragment (issue 10): when all its '&' times its whole length is under the
limit, that product is the answer, found at C speed; only a fragment that might be over the
limit is measured run by run. The decision (refused or not) is the same either way."""
from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feeds import htmlcost
from feeds.htmlcost import estimate
from feeds.render import MAX_AMPERSAND_WORK, MAX_DEPTH, MAX_NESTING

SOUP = st.lists(st.sampled_from(["&", "&amp;", "&lt;", "&quot;", "x", "文", "<p>", "</p>", "<b>", "</b>", "<br>",
                                 "<!-- & -->", "<td>", "<div>", "</div>", "<img src=a&b>", '<a title="&">', "\n"]),
                max_size=60).map("".join)


@given(html=SOUP, limit=st.integers(0, 400))
def test_the_bound_decides_as_the_exact_cost_does(html: str, limit: int) -> None:
    exact, bounded = estimate(html, 10**6, 10**12), estimate(html, 10**6, 10**12, limit)
    assert (bounded.amp_work > limit) == (exact.amp_work > limit)
    assert bounded.amp_work >= exact.amp_work
    assert (bounded.depth, bounded.nesting) == (exact.depth, exact.nesting)


def test_a_typical_body_is_not_measured_run_by_run(monkeypatch: pytest.MonkeyPatch) -> None:
    splits: list[Any] = []

    class Counting:
        def split(self, text: str) -> list[str]:
            splits.append(text)
            return real.split(text)

    real = htmlcost._RUN_START
    monkeypatch.setattr(htmlcost, "_RUN_START", Counting())
    body = ('<p><span class="a">正文 &amp; more</span></p><center><img src="https://i.example/1.jpg"></center>'
            '<ul><li><a href="../news/">x</a></li></ul>\n') * 40
    cost = estimate(body, MAX_DEPTH, MAX_NESTING, MAX_AMPERSAND_WORK)
    assert splits == [] and 0 < cost.amp_work <= MAX_AMPERSAND_WORK
    assert estimate(body, MAX_DEPTH, MAX_NESTING).amp_work <= cost.amp_work and len(splits) == 1


def test_many_ampersands_are_still_measured_and_refused() -> None:
    html = "<p>" + "&" * 200_000 + "</p>"
    cost = estimate(html, MAX_DEPTH, MAX_NESTING, MAX_AMPERSAND_WORK)
    assert cost.amp_work > MAX_AMPERSAND_WORK and cost.ampersands == 200_000
