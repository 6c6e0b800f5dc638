"""The evaluation protocol of White et al. 2021 ("How Powerful are Performance Predictors in NAS?").

Per trial: draw a test set, then training sets of each requested size from the remaining pool
(nested: each smaller set is a prefix of the larger one, so train sizes differ only by data),
fit each predictor, predict the test set, and record every metric with the fit time and the
query time per candidate. Trials are independent and seeded, so a run is reproducible.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..benchmarks import Benchmark
from ..exceptions import ConfigurationError, MissingRequirementError, NasperfError
from ..predictors import Capabilities, Predictor, Requirements, make_predictor
from ..records import Record, targets_of
from ._config import WHITE_TRAIN_SIZES, ProtocolConfig
from ._trials import TrialJournal, TrialTask, journal_settings, run_trials, sort_rows

__all__ = [
    "ProtocolConfig",
    "EvaluationResult",
    "evaluate_predictors",
    "expand_fidelities",
    "usable_pool",
    "predictor_pools",
    "missing_cause",
    "WHITE_TRAIN_SIZES",
]

logger = logging.getLogger(__name__)

@dataclass
class EvaluationResult:
    """Every (predictor, train size, trial) row, with the settings that produced them."""

    benchmark: str
    config: ProtocolConfig
    rows: list[dict] = field(default_factory=list)
    pool_size: int = 0  # the largest pool any predictor was scored on
    pool_sizes: dict[str, int] = field(default_factory=dict)  # each predictor's pool
    target: str = ""  # what the predictions are scored against: the benchmark's target_name

    def frame(self) -> pd.DataFrame:
        """One row per predictor, train size and trial."""
        return pd.DataFrame(self.rows)

    def summary(self) -> pd.DataFrame:
        """Mean and standard deviation over trials per predictor and train size."""
        df = self.frame()
        keys = ["predictor", "train_size"]
        if "fidelity" in df.columns:
            keys.insert(1, "fidelity")
        if "pool_size" in df.columns:  # one per predictor: a key, not a value to average
            keys.append("pool_size")
        value_cols = [c for c in df.columns if c not in (*keys, "trial", "constant")]
        groups = df.groupby(keys, sort=False, dropna=False)
        grouped = groups[value_cols]
        mean = grouped.mean().add_suffix("_mean")  # over the trials where a metric is defined
        std = grouped.std(ddof=0).add_suffix("_std")
        counts = groups.size().rename("trials").to_frame()
        if "constant" in df.columns:  # trials whose order metrics are undefined
            counts["constant_trials"] = groups["constant"].sum().astype(int)
        out = pd.concat([mean, std, counts], axis=1).reset_index()
        order = list(keys)
        for c in value_cols:
            order += [f"{c}_mean", f"{c}_std"]
        return out[[*order, *counts.columns]]

    def to_dict(self) -> dict:
        return {
            "benchmark": self.benchmark,
            "target": self.target,
            "config": asdict(self.config),
            "pool_size": self.pool_size,
            "pool_sizes": self.pool_sizes,
            "rows": self.rows,
        }


def usable_pool(
    records: Sequence[Record], predictors: Mapping[str, Predictor], where: str = "the benchmark"
) -> list[Record]:
    """The records with a finite target that satisfy every predictor's requirements.

    A predictor that can use none of them raises MissingRequirementError naming what the
    records of ``where`` lack (:func:`missing_cause`).
    """
    pool = _with_target(records)
    for name, pred in predictors.items():
        pool = _usable_by(name, pred.capabilities().requires, pool, where)
    return pool


def _with_target(records: Sequence[Record]) -> list[Record]:
    return [r for r in records if r.target is not None and np.isfinite(r.target)]


def _satisfies(req: Requirements, record: Record) -> bool:
    try:
        req.check([record])
    except MissingRequirementError:
        return False
    return True


def _usable_by(name: str, req: Requirements, pool: list[Record], where: str) -> list[Record]:
    """The records of ``pool`` that ``name`` can use; none of them is an error naming why."""
    kept = [r for r in pool if _satisfies(req, r)]
    if pool and not kept:
        raise MissingRequirementError(missing_cause(name, req, pool, where))
    if len(kept) < len(pool):
        logger.info("%s: %d of %d candidates have what it needs", name, len(kept), len(pool))
    return kept


def _listed(names: Sequence[str], most: int = 8) -> str:
    shown = ", ".join(names[:most])
    return shown + (f" and {len(names) - most} more" if len(names) > most else "") or "none"


def missing_cause(name: str, req: Requirements, records: Sequence[Record], where: str) -> str:
    """Why predictor ``name`` (needing ``req``) can use none of ``records`` (of ``where``):
    the curve, the epochs of it or the column they lack."""
    if req.curve is not None:
        lengths = [len(r.curves[req.curve]) for r in records if req.curve in r.curves]
        if not lengths:
            have = sorted(set().union(*(r.curves for r in records)))
            return (
                f"{where} records no {req.curve} curve; {name} needs it "
                f"(its curves: {_listed(have)})"
            )
        if req.fidelity is not None and max(lengths) < req.fidelity:
            return (
                f"the {req.curve} curves of {where} have at most {max(lengths)} epochs; "
                f"{name} reads {req.fidelity}"
            )
    for column in req.scores:
        if not any(column in r.scores for r in records):
            columns = sorted(set().union(*(r.scores for r in records)))
            close = difflib.get_close_matches(column, columns, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            return (
                f"{where} has no column {column!r}; {name} needs it ({hint}its numeric "
                f"columns: {_listed(columns)})"
            )
    if req.live_model:
        return f"{where} carries no live models; {name} needs records with a model and data"
    try:
        req.check(records[:1])
    except NasperfError as exc:
        return f"{name} can use none of the {len(records)} candidates of {where}: {exc}"
    return f"{name} can use none of the {len(records)} candidates of {where}"


def predictor_pools(
    records: Sequence[Record], caps: Mapping[str, Capabilities], where: str = "the benchmark"
) -> dict[str, list[Record]]:
    """The candidates each predictor is scored on.

    A predictor that needs no training data (a column baseline) is scored on every candidate
    it can use, its own coverage; those that learn share the pool they can all use, so they
    are compared on the same test sets.
    """
    base = _with_target(records)
    own = {name: _usable_by(name, c.requires, base, where) for name, c in caps.items()}
    learners = [name for name, c in caps.items() if c.requires.targets]
    ids = set.intersection(*({id(r) for r in own[n]} for n in learners)) if learners else set()
    common = [r for r in base if id(r) in ids]
    if learners and not common:
        sizes = ", ".join(f"{n}: {len(own[n])}" for n in learners)
        raise MissingRequirementError(
            f"no candidate of {where} has what every predictor that learns needs ({sizes} "
            "candidates each); evaluate them separately"
        )
    pools = {name: common if name in learners else own[name] for name in caps}
    if len(common) < len(base) and learners:
        logger.warning(
            "%s compared on the %d of %d candidates that each of them can use",
            ", ".join(learners),
            len(common),
            len(base),
        )
    alone = {n: len(pools[n]) for n in caps if n not in learners and len(pools[n]) < len(base)}
    if alone:
        logger.warning(
            "scored on their own coverage (no training data needed): %s of %d candidates",
            ", ".join(f"{n} on {k}" for n, k in alone.items()),
            len(base),
        )
    return pools


def _validate_pools(
    config: ProtocolConfig, pools: Mapping[str, list[Record]], caps: Mapping[str, Capabilities]
) -> dict[tuple[int, ...], list[str]]:
    """Check the settings against each distinct pool; returns the predictors of each pool."""
    groups: dict[tuple[int, ...], list[str]] = {}
    for name, pool in pools.items():
        groups.setdefault(tuple(map(id, pool)), []).append(name)
    for key, names in groups.items():
        sub = {n: caps[n] for n in names}
        most = max(sub.items(), key=lambda kv: kv[1].min_train_size)
        needs_training = any(c.requires.targets for c in sub.values())
        try:
            config.validate(len(key), needs_training, (most[0], most[1].min_train_size))
        except ConfigurationError as exc:
            if len(groups) == 1:
                raise
            raise ConfigurationError(f"{', '.join(names)}: {exc}") from None
    return groups


def expand_fidelities(
    predictors: Mapping[str, Predictor],
    fidelities: Sequence[int] | None,
    benchmark: Benchmark,
) -> tuple[dict[str, Predictor], dict[str, int | None]]:
    """One entry ``name@f`` per fidelity for each predictor with a ``fidelity`` parameter, and
    each entry's fidelity (None: a predictor without one).

    Learning-curve predictors vary fidelity (and LcSVR train size too), as in White et al.;
    the others are kept once.
    """
    if fidelities is None:
        return dict(predictors), dict.fromkeys(predictors)
    top = benchmark.max_fidelity
    if top is None:
        raise ConfigurationError(
            f"benchmark {benchmark.name!r} has no learning curves; drop --fidelities"
        )
    too_long = [f for f in fidelities if f > top]
    if too_long:
        raise ConfigurationError(
            f"fidelities {too_long} exceed the {top} epochs of {benchmark.name!r}"
        )
    out: dict[str, Predictor] = {}
    fidelity_of: dict[str, int | None] = {}
    for name, pred in predictors.items():
        if "fidelity" in pred.get_params():
            from sklearn.base import clone

            for f in sorted(set(fidelities)):
                label = f"{name}@{f}"
                out[label] = clone(pred).set_params(fidelity=f)
                fidelity_of[label] = f
        else:
            out[name] = pred
            fidelity_of[name] = None
    return out, fidelity_of


def evaluate_predictors(
    benchmark: Benchmark,
    predictors: Sequence[str] | Mapping[str, Predictor],
    config: ProtocolConfig,
    callback: Callable[[str], None] | None = None,
    *,
    executor: Any = None,
    journal: str | Path | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> EvaluationResult:
    """Run the protocol for ``predictors`` (names or ready instances) on ``benchmark``.

    Each (trial, predictor) is one task: in this process when ``executor`` is None, else on
    that :class:`~nasperf.execution.Executor` (a pool, Ray); every task runs on one thread and
    draws its seeds from ``(config.seed, trial)``, so the rows are the same either way (they
    are sorted by trial, train size and predictor). With ``journal`` (a directory) each task's
    rows are appended there as it finishes (``settings.json``, ``trials.jsonl``); a rerun with
    the same arguments resumes, and with more ``config.trials`` extends the run.
    ``on_progress(rows done, rows in all)`` is called before any work and after each task.

    ``callback`` is called once per fitted (trial, train size, predictor) with a description,
    so a caller can show progress. A predictor that needs no training data (a column
    baseline) is scored on every candidate it can use; the predictors that learn are scored
    on the pool they can all use, so they are compared on the same test sets (see
    :func:`predictor_pools`). Each row and the summary carry the ``pool_size`` it was
    scored on.
    """
    if not isinstance(predictors, Mapping):
        predictors = {name: make_predictor(name) for name in predictors}
    if not predictors:
        raise ConfigurationError("give at least one predictor")
    predictors, fidelity_of = expand_fidelities(predictors, config.fidelities, benchmark)
    caps = {name: p.capabilities() for name, p in predictors.items()}  # checks every setting
    pools = predictor_pools(benchmark.records(), caps, benchmark.name)
    groups = _validate_pools(config, pools, caps)
    sizes = sorted(set(config.train_sizes))
    result = EvaluationResult(
        benchmark.name,
        config,
        pool_size=max(len(p) for p in pools.values()),
        pool_sizes={name: len(pool) for name, pool in pools.items()},
        target=str(getattr(benchmark, "target_name", "")),
    )

    def tasks(done: set[tuple[int, str]]) -> Iterator[TrialTask]:
        for trial in range(config.trials):
            todo = [name for name in predictors if (trial, name) not in done]
            split_of = {}
            for names in groups.values():  # predictors sharing a pool share its split
                if any(name in todo for name in names):
                    split = _split(pools[names[0]], config, trial, sizes)
                    split_of.update(dict.fromkeys(names, split))
            for name in todo:
                test, train_all, _ = split_of[name]
                row_fields: dict[str, Any] = {"pool_size": len(pools[name])}
                if config.fidelities is not None:
                    row_fields["fidelity"] = fidelity_of[name]
                yield TrialTask(
                    trial, name, predictors[name], train_all, test, tuple(sizes), config, row_fields
                )

    trial_rows = None  # the journal directory's rows, kept as trials finish
    if journal is not None:
        trial_rows = TrialJournal(
            journal, journal_settings(benchmark.name, config, predictors, result.pool_sizes)
        )
    with trial_rows.open() if trial_rows is not None else nullcontext():
        result.rows = run_trials(
            tasks,
            trials=config.trials,
            total=config.trials * len(sizes) * len(predictors),
            executor=executor,
            journal=trial_rows,
            callback=callback,
            on_progress=on_progress,
        )
    sort_rows(result.rows, sizes, list(predictors))
    _warn_constant(result.rows, config.trials)
    return result


def _warn_constant(rows: Sequence[Mapping[str, Any]], trials: int) -> None:
    """Warn, per predictor and train size, of the trials whose predictions were constant: their
    order metrics (Kendall τ, ...) are undefined there, not 0."""
    found: dict[tuple[str, int], int] = {}
    for row in rows:
        if row.get("constant"):
            key = (row["predictor"], row["train_size"])
            found[key] = found.get(key, 0) + 1
    for (name, n), count in found.items():
        rest = "n/a" if count >= trials else "the mean is over the other trials"
        logger.warning(
            "%s: constant predictions in %d of %d trials at n=%d; its τ (and the other order "
            "metrics) is undefined there (%s)",
            name,
            count,
            trials,
            n,
            rest,
        )


def _split(
    pool: list[Record], config: ProtocolConfig, trial: int, sizes: list[int]
) -> tuple[list[Record], list[Record], np.ndarray]:
    """Trial ``trial``'s test set of ``pool``, its largest training set and the test targets
    (a pool gets the same split whichever predictors share it)."""
    order = np.random.default_rng([config.seed, trial]).permutation(len(pool))
    test_n = config.test_size or (len(pool) - max(sizes))
    test = [pool[i] for i in order[:test_n]]
    train_all = [pool[i] for i in order[test_n : test_n + max(sizes)]]
    return test, train_all, targets_of(test)
