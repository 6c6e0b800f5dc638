"""Early stopping for jobs nasperf does not run: Baker's rule on curves read from files.

:func:`stop_check` fits Baker et al.'s rule (:class:`~nasperf.search.BakerRule`: a sequential
regression model with a predictive distribution, at the epochs each running job has reached) on
the finished runs of one curves file and judges the runs of another: for each, its epochs, the
probability that its final value beats the best final so far, the predicted final with its
interval, and STOP (that probability is at most Δ, or the run diverged) or CONTINUE. Both files
are in any format of ``curves:PATH`` (:func:`nasperf.benchmarks.read_curves`); values are
reported in the metric's own units (a loss stays a loss, lower is better).
"""

from __future__ import annotations

import logging
from collections.abc import Hashable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from scipy.special import ndtri

from ..benchmarks import CurveRuns, read_curves
from ..exceptions import ConfigurationError, InvalidDataError
from ..records import Record
from ..search import BakerRule, Run, check_delta
from ..validation import Interval, validate_params

__all__ = ["Decision", "stop_check", "STOP", "CONTINUE", "DONE"]

log = logging.getLogger(__name__)

STOP, CONTINUE, DONE = "STOP", "CONTINUE", "DONE"


@dataclass(frozen=True)
class Decision:
    """What to do with one running job.

    ``epochs``: epochs observed; ``last``: its metric at the last of them; ``best``: the best
    final of the finished runs; ``probability``: P(final beats ``best``); ``mean``, ``low``,
    ``high``: the predicted final and its interval.
    All values are in the metric's units (a loss: lower is better); None where not predicted
    (a run that diverged or has finished). ``action``: STOP, CONTINUE or DONE (at full length).
    """

    run: Hashable
    epochs: int
    last: float
    best: float
    probability: float | None
    mean: float | None
    low: float | None
    high: float | None
    action: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _runs_of(path: str | Path | CurveRuns, options: dict[str, Any]) -> CurveRuns:
    return path if isinstance(path, CurveRuns) else read_curves(path, **options)


def _load(
    history: str | Path | CurveRuns,
    running: str | Path | CurveRuns,
    options: dict[str, Any],
) -> tuple[CurveRuns, CurveRuns]:
    """Both files, the running one read with the history's metric, direction and features."""
    done = _runs_of(history, options)
    same = {
        "curve": done.curve,
        "minimize": done.minimize,
        "features": list(done.feature_names),
        "space": done.space,
        "full": done.full,
        "run_column": options.get("run_column"),
        "epoch_column": options.get("epoch_column"),
    }
    now = _runs_of(running, same)
    if (now.curve, now.minimize) != (done.curve, done.minimize):
        raise ConfigurationError(
            f"the running runs' metric ({now.curve}, minimize={now.minimize}) is not the "
            f"history's ({done.curve}, minimize={done.minimize})"
        )
    return done, now


def stop_check(
    history: str | Path | CurveRuns,
    running: str | Path | CurveRuns,
    *,
    delta: float = 0.05,
    predictor: str = "lcsvr",
    level: float = 0.9,
    min_history: int = 5,
    **options: Any,
) -> list[Decision]:
    """Judge each run of ``running`` against the finished runs of ``history`` (module doc).

    ``history`` and ``running`` are curves files (or :func:`~nasperf.benchmarks.read_curves`
    results); ``options`` go to ``read_curves`` for the history (``curve``, ``minimize``,
    ``run_column``, ``epoch_column``, ...), and the running file is read with the history's
    metric, direction, features and full length. A run stops when P(final >= best final so
    far) <= ``delta`` under ``predictor`` fitted at its epochs on the history's complete runs
    (at least ``min_history``); ``level`` is the coverage of the reported interval. Everything
    is read and checked before the first model is fitted.
    """
    delta = check_delta(delta)
    validate_params(
        {"level": level, "min_history": min_history},
        {
            "level": [Interval(float, 0.0, 1.0, closed="neither")],
            "min_history": [Interval(int, 3, None)],
        },
        "stop_check",
    )
    done, now = _load(history, running, options)
    finished = done.complete()
    if len(finished) < min_history:
        raise InvalidDataError(
            f"{done.name} has {len(finished)} finished run(s) ({done.full} epochs of "
            f"{done.curve}); Baker's rule needs at least {min_history} to learn from"
        )
    best = max(float(r.target) for r in finished)  # type: ignore[arg-type]
    rule = BakerRule(
        delta=delta, predictor=predictor, min_completed=min_history, max_train=len(finished)
    )
    for rec in finished:
        rule.observe(Run.from_record(rec, done.target_curve))
    z = float(ndtri(0.5 + level / 2))
    decisions = [_decide(rec, done, rule, best, z) for rec in now.runs]
    sign = -1.0 if done.minimize else 1.0
    decisions += [  # a job whose metric never had a finite value: it diverged at once
        Decision(
            ident,
            0,
            float("nan"),
            sign * best,
            None,
            None,
            None,
            None,
            STOP,
            f"no finite value of {done.curve} (diverged at once)",
        )
        for ident in now.empty_ids
    ]
    stopped = sum(d.action == STOP for d in decisions)
    log.info("%d of %d running jobs to stop (delta %g)", stopped, len(decisions), delta)
    return decisions


def _decide(rec: Record, done: CurveRuns, rule: BakerRule, best: float, z: float) -> Decision:
    """One running job's decision (values in the metric's units)."""
    sign = -1.0 if done.minimize else 1.0
    epochs = int(rec.info["epochs"])
    last = float(rec.curves[done.curve][-1])
    head = (rec.arch, epochs, last, sign * best)
    if rec.info.get("diverged"):
        return Decision(*head, None, None, None, None, STOP, f"diverged after epoch {epochs}")
    reached = int(rec.info.get("reached", epochs))
    if reached > done.full:  # nothing to predict: the history ends before the job's epoch
        reason = (
            f"ran {reached} epochs, past the {done.full} of the history's finished runs (the "
            f"horizon the rule predicts); its {done.curve} at epoch {done.full} is shown"
        )
        log.warning("%s %s: DONE, not judged", rec.arch, reason)
        return Decision(rec.arch, reached, *head[2:], None, last, last, last, DONE, reason)
    if epochs >= done.full:
        return Decision(*head, None, last, last, last, DONE, f"reached the full {done.full} epochs")
    run = Run.from_record(rec, done.target_curve)
    mean, std = rule.distribution(run)
    p = rule.probability(run, best)  # the model's own distribution (the PFN's bar histogram)
    lo, hi = sorted((sign * (mean - z * std), sign * (mean + z * std)))
    action = STOP if p <= rule.delta else CONTINUE
    reason = f"P(beats best) {p:.3f} {'<=' if action == STOP else '>'} delta {rule.delta:g}"
    return Decision(*head, p, sign * mean, lo, hi, action, reason)
