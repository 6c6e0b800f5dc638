"""The evaluation protocol of White et al. 2021 ("How Powerful are Performance Predictors in NAS?").

Per trial: draw a test set, then training sets of each requested size from the remaining pool
(nested: each smaller set is a prefix of the larger one, so train sizes differ only by data),
fit each predictor, predict the test set, and record every metric with the fit time and the
query time per candidate. Trials are independent and seeded, so a run is reproducible.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from ..benchmarks import Benchmark
from ..exceptions import ConfigurationError, MissingRequirementError
from ..predictors import Predictor, make_predictor
from ..records import Record, targets_of
from .metrics import compute_metrics

__all__ = [
    "ProtocolConfig",
    "EvaluationResult",
    "evaluate_predictors",
    "expand_fidelities",
    "usable_pool",
    "WHITE_TRAIN_SIZES",
]

logger = logging.getLogger(__name__)

#: train sizes of White et al. (log-spaced 5..1000)
WHITE_TRAIN_SIZES = (5, 8, 14, 24, 42, 71, 121, 205, 347, 589, 1000)


@dataclass(frozen=True)
class ProtocolConfig:
    """Settings of one evaluation; ``test_size=None`` uses every candidate not used for training."""

    train_sizes: tuple[int, ...] = (14, 24, 42, 71, 121, 205, 347, 589, 1000)
    test_size: int | None = 200
    trials: int = 20
    seed: int = 0
    metrics: tuple[str, ...] | None = None
    fidelities: tuple[int, ...] | None = None

    def check_fidelities(self) -> None:
        """Raise ConfigurationError unless the fidelities are whole numbers of epochs >= 1."""
        if self.fidelities is not None and (
            not self.fidelities
            or any(isinstance(f, bool) or not isinstance(f, int) or f < 1 for f in self.fidelities)
        ):
            raise ConfigurationError(
                f"fidelities are whole numbers of epochs >= 1, got {list(self.fidelities or ())}"
            )

    def validate(
        self, pool_size: int, needs_training: bool, min_train: tuple[str, int] | None = None
    ) -> None:
        """Raise ConfigurationError for impossible settings, before any work starts.

        ``min_train``: the predictor that needs the most training records, and how many.
        """
        if self.trials < 1:
            raise ConfigurationError(f"--trials must be at least 1, got {self.trials}")
        if not self.train_sizes:
            raise ConfigurationError("give at least one train size")
        if any(n < 0 for n in self.train_sizes):
            raise ConfigurationError(f"train sizes must be >= 0, got {list(self.train_sizes)}")
        if needs_training and min(self.train_sizes) < 2:
            raise ConfigurationError(
                "a predictor that learns from data needs train sizes of at least 2; "
                "train size 0 only suits predictors that need no training data (col:NAME)"
            )
        if min_train is not None and min(self.train_sizes) < min_train[1]:
            raise ConfigurationError(
                f"{min_train[0]} needs at least {min_train[1]} training records, but a train "
                f"size is {min(self.train_sizes)}; raise the smallest --train-sizes"
            )
        if self.test_size is not None and self.test_size < 2:
            raise ConfigurationError(f"--test-size must be at least 2, got {self.test_size}")
        self.check_fidelities()
        needed = max(self.train_sizes) + (self.test_size or 2)
        if needed > pool_size:
            raise ConfigurationError(
                f"largest train size {max(self.train_sizes)} + test size "
                f"{self.test_size or 2} = {needed} exceeds the {pool_size} usable candidates; "
                "lower --train-sizes or --test-size"
            )


@dataclass
class EvaluationResult:
    """Every (predictor, train size, trial) row, with the settings that produced them."""

    benchmark: str
    config: ProtocolConfig
    rows: list[dict] = field(default_factory=list)
    pool_size: int = 0

    def frame(self) -> pd.DataFrame:
        """One row per predictor, train size and trial."""
        return pd.DataFrame(self.rows)

    def summary(self) -> pd.DataFrame:
        """Mean and standard deviation over trials per predictor and train size."""
        df = self.frame()
        keys = ["predictor", "train_size"]
        if "fidelity" in df.columns:
            keys.insert(1, "fidelity")
        value_cols = [c for c in df.columns if c not in (*keys, "trial")]
        grouped = df.groupby(keys, sort=False, dropna=False)[value_cols]
        mean = grouped.mean().add_suffix("_mean")
        std = grouped.std(ddof=0).add_suffix("_std")
        out = pd.concat([mean, std], axis=1).reset_index()
        order = list(keys)
        for c in value_cols:
            order += [f"{c}_mean", f"{c}_std"]
        return out[order]

    def to_dict(self) -> dict:
        return {
            "benchmark": self.benchmark,
            "config": asdict(self.config),
            "pool_size": self.pool_size,
            "rows": self.rows,
        }


def usable_pool(records: Sequence[Record], predictors: Mapping[str, Predictor]) -> list[Record]:
    """The records with a finite target that satisfy every predictor's requirements."""
    pool = [r for r in records if r.target is not None and np.isfinite(r.target)]
    for name, pred in predictors.items():
        req = pred.capabilities().requires
        kept = []
        for r in pool:
            try:
                req.check([r])
            except MissingRequirementError:
                continue
            kept.append(r)
        if len(kept) < len(pool):
            logger.info("%s: %d of %d candidates have what it needs", name, len(kept), len(pool))
        pool = kept
    return pool


def expand_fidelities(
    predictors: Mapping[str, Predictor],
    fidelities: Sequence[int] | None,
    benchmark: Benchmark,
    fidelity_of: dict[str, int | None],
) -> dict[str, Predictor]:
    """One entry ``name@f`` per fidelity for each predictor with a ``fidelity`` parameter.

    Learning-curve predictors vary fidelity (and LcSVR train size too), as in White et al.;
    the others are kept once. ``fidelity_of`` receives each entry's fidelity (None if none).
    """
    if fidelities is None:
        fidelity_of.update(dict.fromkeys(predictors))
        return dict(predictors)
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
    return out


def evaluate_predictors(
    benchmark: Benchmark,
    predictors: Sequence[str] | Mapping[str, Predictor],
    config: ProtocolConfig,
    callback: Callable[[str], None] | None = None,
) -> EvaluationResult:
    """Run the protocol for ``predictors`` (names or ready instances) on ``benchmark``.

    ``callback`` is called once per fitted (trial, train size, predictor) with a description,
    so a caller can show progress. When predictors need different things (a column baseline
    present for some cells only), every predictor is evaluated on the common pool, so all are
    compared on the same test sets.
    """
    if not isinstance(predictors, Mapping):
        predictors = {name: make_predictor(name) for name in predictors}
    if not predictors:
        raise ConfigurationError("give at least one predictor")
    fidelity_of: dict[str, int | None] = {}
    config.check_fidelities()
    predictors = expand_fidelities(predictors, config.fidelities, benchmark, fidelity_of)
    pool = usable_pool(benchmark.records(), predictors)
    if len(pool) < len(benchmark):
        logger.warning(
            "evaluating on the %d of %d candidates that every predictor can use",
            len(pool),
            len(benchmark),
        )
    caps = {name: p.capabilities() for name, p in predictors.items()}  # checks every setting
    needs_training = any(c.requires.targets for c in caps.values())
    most = max(caps.items(), key=lambda kv: kv[1].min_train_size, default=None)
    min_train = (most[0], most[1].min_train_size) if most else None
    config.validate(len(pool), needs_training, min_train)
    result = EvaluationResult(benchmark.name, config, pool_size=len(pool))
    sizes = sorted(set(config.train_sizes))
    for trial in range(config.trials):
        rng = np.random.default_rng([config.seed, trial])
        order = rng.permutation(len(pool))
        test_n = config.test_size or (len(pool) - max(sizes))
        test = [pool[i] for i in order[:test_n]]
        train_all = [pool[i] for i in order[test_n : test_n + max(sizes)]]
        y_test = targets_of(test)
        for n in sizes:
            train = train_all[:n]
            for name, template in predictors.items():
                row = _run_one(name, template, train, test, y_test, config, trial)
                row.update(predictor=name, train_size=n, trial=trial)
                if config.fidelities is not None:
                    row["fidelity"] = fidelity_of[name]
                result.rows.append(row)
                if callback is not None:
                    callback(f"trial {trial + 1}/{config.trials} n={n} {name}")
    return result


def _run_one(
    name: str,
    template: Predictor,
    train: list[Record],
    test: list[Record],
    y_test: np.ndarray,
    config: ProtocolConfig,
    trial: int,
) -> dict:
    from sklearn.base import clone

    pred = clone(template)
    if "random_state" in pred.get_params():
        pred.set_params(
            random_state=int(np.random.default_rng([config.seed, trial, 1]).integers(2**31))
        )
    t0 = time.perf_counter()
    pred.fit(train)
    t1 = time.perf_counter()
    y_pred = pred.predict(test)
    t2 = time.perf_counter()
    row: dict = compute_metrics(y_test, y_pred, config.metrics)
    row["fit_time"] = t1 - t0
    row["query_time"] = (t2 - t1) / len(test)
    return row
