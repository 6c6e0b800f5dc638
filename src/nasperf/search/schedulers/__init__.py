"""Schedulers: what to train next. Multi-fidelity (random search, successive halving,
Hyperband, ASHA), architecture search (regularised evolution, local search, BANANAS, NPENAS)
and MetaQNN. Each declares what it needs as class data (``multi_fidelity``,
``takes_candidates``, :meth:`~nasperf.search.Scheduler.minimum_budget`)."""

from __future__ import annotations

from ._metaqnn import MetaQNN, metaqnn_schedule
from ._multi_fidelity import (
    ASHA,
    Hyperband,
    RandomSearch,
    SuccessiveHalving,
    asha,
    bracket_cost,
    hyperband,
    hyperband_brackets,
    permuted,
    random_search,
    successive_halving,
)
from ._nas import ACQUISITIONS, BANANAS, NPENAS, LocalSearch, RegularizedEvolution, mutant

__all__ = [
    "RandomSearch",
    "SuccessiveHalving",
    "Hyperband",
    "ASHA",
    "RegularizedEvolution",
    "LocalSearch",
    "BANANAS",
    "NPENAS",
    "MetaQNN",
    "metaqnn_schedule",
    "ACQUISITIONS",
    "mutant",
    "random_search",
    "successive_halving",
    "hyperband",
    "asha",
    "hyperband_brackets",
    "bracket_cost",
    "permuted",
]
