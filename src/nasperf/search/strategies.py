"""The search strategies and the stopping rules by name: two :class:`~nasperf.registry.Registry`.

A strategy is a :class:`~nasperf.search.Scheduler` class; what it needs (runs trained part of the
way, a fixed list of candidates, its minimum budget) is its class data, read through
:func:`strategy_class` by :class:`~nasperf.search.SearchSpec`'s checks and the CLI. A rule is a
:class:`~nasperf.search.StoppingRule` class, or nothing (``none``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..exceptions import ConfigurationError
from ..registry import Registry

__all__ = [
    "STRATEGIES",
    "RULES",
    "strategy_class",
    "make_scheduler",
    "make_rule",
    "minimum_budget",
    "check_budget",
]

_SCHEDULERS = "nasperf.search.schedulers"

#: the search strategies by name: Scheduler classes
STRATEGIES = Registry("search strategy")
for _name, _cls, _summary in (
    ("random", "RandomSearch", "random search: full runs, one per free worker"),
    ("sh", "SuccessiveHalving", "successive halving: one bracket, the top 1/eta promoted"),
    ("hyperband", "Hyperband", "Hyperband: brackets of successive halving (Li et al. 2017)"),
    ("asha", "ASHA", "asynchronous successive halving (Li et al. 2020)"),
    ("re", "RegularizedEvolution", "regularised (aging) evolution (Real et al. 2019)"),
    ("ls", "LocalSearch", "local search from the best so far (White et al. 2021)"),
    ("bananas", "BANANAS", "BANANAS: a predictor's acquisition over mutations of the best"),
    ("npenas", "NPENAS", "NPENAS: evolution filtered by a predictor (Wei et al. 2022)"),
    ("metaqnn", "MetaQNN", "MetaQNN: Q-learning over the cell's choices (Baker et al. 2017)"),
):
    STRATEGIES.add(_name, f"{_SCHEDULERS}:{_cls}", _summary)

#: the early-stopping rules by name (``none``: no rule)
RULES = Registry("rule")
RULES.add("none", None, "no rule: every run trains to its epoch")
RULES.add("baker", "nasperf.search.rules:BakerRule", "Baker et al. 2017: P(final >= best) <= delta")
RULES.add("median", "nasperf.search.rules:MedianRule", "the median stopping rule (Vizier)")


def strategy_class(strategy: str) -> Any:
    """The Scheduler class of ``strategy`` (UnknownNameError listing the strategies)."""
    return STRATEGIES.load(strategy)


def make_scheduler(strategy: str, params: Mapping[str, Any] | None = None) -> Any:
    """A new scheduler of ``strategy`` with ``params`` (its constructor's arguments)."""
    cls = strategy_class(strategy)
    try:
        return cls(**dict(params or {}))
    except TypeError as exc:
        raise ConfigurationError(f"{strategy}: {exc}") from exc


def make_rule(rule: str, params: Mapping[str, Any] | None = None, max_epochs: int = 0) -> Any:
    """A new stopping rule by name (``none``: None); ``params`` are its arguments, with
    ``checkpoints="dense"`` for :func:`~nasperf.search.dense_checkpoints` of ``max_epochs``."""
    from .rules import dense_checkpoints

    cls = RULES.load(rule)
    if cls is None:
        return None
    kwargs = dict(params or {})
    if kwargs.get("checkpoints") == "dense":
        kwargs["checkpoints"] = dense_checkpoints(max_epochs)
    try:
        return cls(**kwargs)
    except TypeError as exc:
        raise ConfigurationError(f"rule {rule}: {exc}") from exc


def minimum_budget(
    strategy: str, max_epochs: int, candidates: int, **params: Any
) -> tuple[int, str]:
    """The fewest epochs ``strategy`` (with ``params``) needs to bring one run to
    ``max_epochs`` among ``candidates``, and what that is: its scheduler's own answer
    (one full run; successive halving its bracket; Hyperband its first bracket; ASHA as much as
    that bracket)."""
    return make_scheduler(strategy, params).minimum_budget(max_epochs, candidates)


def check_budget(
    strategy: str, budget: int | None, max_epochs: int, candidates: int, **params: Any
) -> None:
    """Raise ConfigurationError, before any training, if ``budget`` (None: no limit) is below
    :func:`minimum_budget` (the schedulers check it too, when they start)."""
    if budget is not None and budget < 1:
        raise ConfigurationError(f"budget must be at least one epoch, got {budget}")
    make_scheduler(strategy, params).check_budget(budget, max_epochs, candidates)
