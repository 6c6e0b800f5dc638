"""The one name-table helper: lazy targets, implied parameters, an error listing the choices,
an extra named when its dependency is missing, no name twice."""

from __future__ import annotations

import pytest

from nasperf.exceptions import OptionalDependencyError, UnknownNameError
from nasperf.registry import Registry


def make() -> Registry:
    table = Registry("widget")
    table.add("sum", sum, "adds")
    table.add("join", "os.path:join", "joins paths, imported on first use")
    table.add("scaled", lambda x, factor: x * factor, "scales", params={"factor": 3})
    table.add("missing", "no_such_module_xyz:thing", "needs an extra", extra="trees")
    return table


def test_names_summaries_and_lazy_targets() -> None:
    table = make()
    assert list(table) == ["sum", "join", "scaled", "missing"] and len(table) == 4
    assert "sum" in table and "nope" not in table
    assert table.load("sum") is sum and table["sum"].summary == "adds"
    import os.path

    assert table.load("join") is os.path.join  # the module is imported when asked for
    assert table.create("scaled", x=2) == 6  # the implied parameter, then the caller's


def test_an_unknown_name_lists_the_choices() -> None:
    with pytest.raises(UnknownNameError, match="unknown widget 'sun'") as info:
        make().check("sun")
    assert "sum" in str(info.value)


def test_a_missing_dependency_names_its_extra() -> None:
    with pytest.raises(OptionalDependencyError, match=r"pip install 'nasperf\[trees\]'"):
        make().load("missing")


def test_a_name_is_registered_once() -> None:
    table = make()
    with pytest.raises(ValueError, match="registered twice"):
        table.add("sum", max)


def test_the_search_registries_read_what_the_schedulers_declare() -> None:
    from nasperf.search import RULES, STRATEGIES, make_rule, minimum_budget, strategy_class

    fidelity = {name for name in STRATEGIES if strategy_class(name).multi_fidelity}
    assert fidelity == {"sh", "hyperband", "asha"}
    takes = {name for name in STRATEGIES if strategy_class(name).takes_candidates}
    assert takes == {"random", "sh", "hyperband", "asha"}
    assert set(RULES) == {"none", "baker", "median"} and make_rule("none") is None
    assert minimum_budget("random", 30, 300) == (30, "one full run (30 epochs)")
    assert minimum_budget("sh", 30, 300, n=9)[0] < minimum_budget("sh", 30, 300)[0]
