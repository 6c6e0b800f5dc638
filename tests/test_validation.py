"""The declarative checks: each constraint, the one wording per kind of message, the base of
validated objects and the decorator of public functions."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from nasperf.exceptions import ConfigurationError, UnknownNameError
from nasperf.validation import (
    InstanceOf,
    Interval,
    Options,
    Predicate,
    Validated,
    validate_arguments,
    validate_params,
)


@pytest.mark.parametrize(
    ("constraint", "good", "bad"),
    [
        (Interval(int, 1, None), [1, 7, np.int64(3)], [0, -1, 1.5, True, "2", None]),
        (Interval(float, 0, 1, closed="right"), [1.0, 0.5, 1], [0.0, 1.5, float("nan"), False]),
        (Interval(float, 1, None), [1, 1.2, np.float32(3)], [0.99, float("inf")]),
        (Options(("its", "ucb")), ["its", "ucb"], ["ITS", None, ["its"]]),
        (InstanceOf(bool, "True or False"), [True, False], [1, 0, "yes"]),
        (InstanceOf(int, "an int"), [1], [True]),  # a bool is not an int here
        (Predicate(lambda v: v % 2 == 0, "even"), [2, 4], [3]),
    ],
)
def test_each_constraint_accepts_and_refuses(constraint, good, bad) -> None:  # noqa: ANN001
    assert all(constraint.satisfied_by(v) for v in good)
    assert not any(constraint.satisfied_by(v) for v in bad)


def test_one_wording_per_kind_of_message() -> None:
    assert str(Interval(int, 1, None)) == "an integer >= 1"
    assert str(Interval(float, 1, None)) == "a finite number >= 1"
    assert str(Interval(int, 1, 30)) == "an integer in [1, 30]"
    assert str(Interval(float, 0, 1, closed="right")) == "a finite number in (0, 1]"
    assert str(Options(("a", "b"))) == "one of 'a', 'b'"
    with pytest.raises(ConfigurationError) as info:
        validate_params({"k": 0}, {"k": [Interval(int, 1, None), None]}, "Thing", {"k": 2})
    assert str(info.value) == "Thing: k must be an integer >= 1 or None, got 0; e.g. Thing(k=2)"


def test_a_name_outside_a_closed_set_lists_the_choices() -> None:
    with pytest.raises(UnknownNameError, match="unknown rule 'nope'.*baker"):
        validate_params({"rule": "nope"}, {"rule": [Options(("baker", "median"), "rule")]}, "X")


class Counted(Validated):
    _parameter_constraints = {"n": [Interval(int, 1, None)], "mode": [Options(("a", "b"))]}

    def __init__(self, n: int = 3, mode: str = "a") -> None:
        self._validate({"n": n, "mode": mode})
        self.n, self.mode = n, mode


class MoreCounted(Counted):
    _parameter_constraints = {"extra": [Interval(float, 0, None)]}

    def __init__(self, n: int = 3, extra: float = 1.0) -> None:
        self._validate({"n": n, "extra": extra})
        super().__init__(n)


@dataclass(frozen=True)
class Settings(Validated):
    epochs: int = 2
    rate: float | None = None

    _parameter_constraints = {
        "epochs": [Interval(int, 1, None)],
        "rate": [Interval(float, 0, 1, closed="neither"), None],
    }


def test_a_validated_class_checks_its_arguments_and_its_bases() -> None:
    assert Counted(5, "b").n == 5
    with pytest.raises(ConfigurationError, match=r"Counted: n must be an integer >= 1, got 0; "
                       r"e.g. Counted\(n=3\)"):  # fmt: skip
        Counted(0)
    with pytest.raises(ConfigurationError, match="MoreCounted: extra must be a finite number"):
        MoreCounted(2, -1.0)
    with pytest.raises(ConfigurationError, match="MoreCounted: n must be an integer"):
        MoreCounted(0)  # the base's constraint applies to the subclass
    assert set(MoreCounted.parameter_constraints()) == {"n", "mode", "extra"}


def test_a_validated_dataclass_is_checked_when_made() -> None:
    assert Settings(3, 0.5).epochs == 3
    with pytest.raises(ConfigurationError, match=r"Settings: epochs .* e.g. Settings\(epochs=2\)"):
        Settings(0)
    with pytest.raises(ConfigurationError, match="rate must be a finite number in"):
        Settings(rate=1.0)


def test_the_decorator_checks_a_public_functions_arguments() -> None:
    calls = []

    @validate_arguments({"k": [Interval(int, 1, None)]})
    def top(values: list, k: int = 2) -> list:
        calls.append(k)
        return sorted(values)[-k:]

    assert top([3, 1, 2]) == [2, 3] and top([3, 1, 2], k=1) == [3]
    with pytest.raises(ConfigurationError, match=r"top: k must be an integer >= 1, got 0"):
        top([1], 0)  # by position too
    assert calls == [2, 1]  # the refused call never ran
    with pytest.raises(TypeError, match="has no parameters"):
        validate_arguments({"nope": [None]})(top)
