"""Learning curves of a user's own runs, as a benchmark (``curves:PATH``).

Three formats are read (chosen by the content, not the file name):

*long CSV* (``.csv``, ``.csv.gz``)
    one row per run and epoch: a run id column (``run``, ``run_id``, ``trial``, ``trial_id``,
    ``id``, ``arch``, ``arch_str``, ``config_id`` or ``name``; else ``--run-column``), an epoch
    column (``epoch``; else ``--epoch-column``), any metric columns (``val_acc``, ``val_loss``,
    ``train_loss``, ...) and optionally ``epoch_time`` (seconds of that epoch) or ``time``
    (seconds since the run started). Columns constant within every run are the run's
    configuration: numeric ones become its scores, and those not named like a result
    (accuracy, loss, error, ...) its features; non-numeric ones with at most
    :data:`MAX_LEVELS` values become one-hot features.
*JSON lines* (any other file)
    one object per run and epoch, with the same keys as the CSV's columns; or one object per run,
    its curves as lists (``{"run": "a", "lr": 0.1, "val_acc": [...], "val_loss": [...]}``; the
    lists may also sit under ``"curves"``, extra numbers under ``"scores"``).
*make-benchmark's* ``cells.jsonl`` (``curves:DIR`` reads ``DIR/cells.jsonl``)
    one object per cell (the per-run form): ``arch``, ``curves``, ``scores``, ``params_m``,
    ``flops``, ``test_acc`` ...; the space defaults to ``nb201`` and the bookkeeping fields
    (``index``, ``seed``, ``status``, ``reason``, ``errors``, ...) are left out of the features.

Epochs are whole numbers from 1 (a file counting from 0 is shifted); common metric names are
read as nasperf's curve names when those are absent (``val_accuracy`` as ``val_acc``, ``loss``
as ``train_loss``, ...).

The target is the value of the metric ``curve`` (``--curve``; default ``val_acc``, else
``val_loss``, else the only curve) at the last epoch, or the column ``target`` (its last finite
value in the run). A metric to minimise is negated, so higher is better as for every benchmark:
the target is then minus the final value and the records carry the negated curve as ``-NAME``
(:attr:`CurveRuns.target_curve`). Which way is better (:mod:`._direction`):

- ``minimize=True`` or ``False`` (``--minimize``, ``--maximize``) always wins;
- else the metric's name, where a word of it says so: ``loss``, ``error``, ``err``,
  ``perplexity``, ``ppl``, ``nll``, ``mse``, ``mae``, ``rmse`` are minimised; ``acc``,
  ``accuracy``, ``auc``, ``f1`` maximised;
- else its runs, where at least 80% of them (3 at least) clearly fall from their first value to
  their last (minimised) or clearly rise (maximised); an info line says so and how to override;
- else an :class:`~nasperf.exceptions.InvalidDataError` asks for ``--minimize`` or
  ``--maximize``.

The target does not change silently: without ``curve``, falling back to ``val_loss`` while the
file has another curve not named a loss (a renamed ``val_acc``?) is an error, and so is a metric
that no run has past an earlier epoch than the file's last (every run diverged after it): give
``full`` (``--target-epoch``) to take the target at that epoch.

With a ``target`` column, ``minimize`` or the target's name decide the target's direction (else
the error), and the curve goes its name's way, else its runs', else the target's.

What is done to imperfect runs, every case counted in :class:`CurveCounts` and logged:

- *full length*: the longest run of the metric (``full`` to set it). Only runs that reach it
  with a finite target are candidates (``records()``); shorter ones, stopped early, are kept
  (:attr:`CurvesBenchmark.runs`) for the epochs they reached, with no target.
- *divergence*: a metric that is NaN or infinite from some epoch to the end of the run cuts every
  curve of the run before that epoch (it then is shorter than the full length: no target).
- *explosion*: a value of a minimised metric larger in magnitude than 1000 times both the run's
  own first value and the median of all runs' first values (:data:`._direction.EXPLOSION_FACTOR`)
  is read as infinite: a divergence as above when the run never comes back (a lone spike, with
  finite values after it, is a gap).
- *gaps*: epochs missing inside a run, or NaN between finite values, are filled by linear
  interpolation (:func:`~nasperf.predictors.learning_curve.curve_from_steps`).
- another curve that ends in NaN is cut there; one longer than the metric is cut to its length.
- a run without a single finite value of the metric is left out.

Bad input (a missing or non-numeric column, a fractional epoch, a (run, epoch) pair twice) raises
an :class:`~nasperf.exceptions.InvalidDataError` before anything else is done.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import DataNotFoundError, InvalidDataError
from ..predictors.learning_curve import curve_from_steps
from ..records import Record
from ..spaces import get_space
from ._base import TabularBenchmark
from ._direction import EXPLOSION_FACTOR, Trend, explosion_limit, named_direction, typical_start
from ._loaders import _RESULT_COLUMN

__all__ = [
    "CurveCounts",
    "CurveRuns",
    "CurvesBenchmark",
    "read_curves",
    "load_curves",
    "on_target_curve",
    "write_curves",
    "RUN_COLUMNS",
    "EPOCH_COLUMNS",
    "CURVE_ALIASES",
    "MAX_LEVELS",
    "DEFAULT_CURVES",
]

log = logging.getLogger(__name__)

#: run id columns looked for, in this order, when none is named
RUN_COLUMNS = ("run", "run_id", "trial", "trial_id", "id", "arch", "arch_str", "config_id", "name")
#: epoch columns looked for when none is named
EPOCH_COLUMNS = ("epoch", "epochs")
#: nasperf's curve names and the names other tools give them (used when nasperf's is absent)
CURVE_ALIASES = {
    "val_acc": (
        "val_accuracy",
        "valid_acc",
        "valid_accuracy",
        "validation_accuracy",
        "eval_acc",
        "eval_accuracy",
    ),
    "val_loss": ("valid_loss", "validation_loss", "eval_loss"),
    "train_acc": ("train_accuracy", "training_accuracy", "accuracy", "acc"),
    "train_loss": ("training_loss", "loss"),
}
#: the metrics taken as the target's curve when none is named, in this order
DEFAULT_CURVES = ("val_acc", "val_loss")
#: most values of a non-numeric configuration column made into one-hot features
MAX_LEVELS = 10
#: the fields of make-benchmark's cells.jsonl that describe the bookkeeping, not the cell
_CELL_BOOKKEEPING = (
    "index",
    "seed",
    "status",
    "reason",
    "errors",
    "attempts",
    "epochs_completed",
    "proxy_time",
    "final_val_acc",
)
_EPOCH = "epoch"


@dataclass
class CurveCounts:
    """What was done to the runs of a file (see the module doc); ``line`` says it in one line."""

    runs: int = 0
    complete: int = 0
    short: int = 0
    diverged: int = 0
    #: runs whose minimised metric exploded somewhere (read as inf there: see the module doc)
    exploded: int = 0
    #: the study's typical first value of the metric (in magnitude), what explosions exceed
    typical_start: float = 0.0
    empty: int = 0
    filled: int = 0
    no_target: int = 0
    cut: dict[str, int] = field(default_factory=dict)
    lengths: list[int] = field(default_factory=list)

    def imperfect(self) -> bool:
        """Whether any run was shortened, filled, left out or is not a candidate."""
        return bool(
            self.short
            or self.diverged
            or self.exploded
            or self.empty
            or self.filled
            or self.no_target
            or self.cut
        )

    def line(self, where: str, full: int) -> str:
        """One line: how many runs, complete, shorter, diverged, filled, left out."""
        parts = [f"{where}: {self.runs} runs, {self.complete} complete ({full} epochs)"]
        if self.short:
            low, high = min(self.lengths, default=0), max(self.lengths, default=0)
            spread = str(low) if low == high else f"{low}-{high}"
            parts.append(
                f"{self.short} shorter (stopped early or diverged, epochs {spread}: no target)"
            )
        if self.diverged:
            parts.append(f"{self.diverged} diverged (metric NaN/inf to the end: cut there)")
        if self.exploded:
            parts.append(
                f"{self.exploded} with the metric exploding (over {EXPLOSION_FACTOR:g} times the "
                f"typical first value {self.typical_start:.3g}: read as inf)"
            )
        if self.filled:
            parts.append(f"{self.filled} with missing epochs filled by interpolation")
        if self.no_target:
            parts.append(f"{self.no_target} complete without a finite target (not candidates)")
        if self.empty:
            parts.append(f"{self.empty} without a finite value of the metric (left out)")
        for name, n in sorted(self.cut.items()):
            parts.append(f"{n} {name} curve(s) cut at trailing NaN")
        return "; ".join(parts)


@dataclass
class CurveRuns:
    """Every run of a curves file (:func:`read_curves`): records with the target set on the
    complete ones, and what it took to read them."""

    name: str
    space: str
    curve: str
    target_curve: str
    target_name: str
    minimize: bool
    full: int
    runs: list[Record]
    counts: CurveCounts
    feature_names: tuple[str, ...] = ()
    #: the ids of the runs left out because their metric has no finite value at all
    empty_ids: tuple[Any, ...] = ()

    def complete(self) -> list[Record]:
        """The runs that reached the full length with a finite target (the candidates)."""
        return [r for r in self.runs if r.target is not None]

    def partial(self) -> list[Record]:
        """The runs without a target: shorter than the full length, or diverged."""
        return [r for r in self.runs if r.target is None]


class CurvesBenchmark(TabularBenchmark):
    """The complete runs of a curves file as a benchmark; :attr:`runs` holds every run."""

    def __init__(self, runs: CurveRuns) -> None:
        complete = runs.complete()
        if not complete:
            raise InvalidDataError(
                f"{runs.name}: no run reaches {runs.full} epochs of {runs.curve!r} with a finite "
                f"target ({runs.counts.line(runs.name, runs.full)})"
            )
        super().__init__(runs.name, runs.space, runs.target_name, complete, runs.full)
        self.runs = runs
        self.target_curve = runs.target_curve


# -- reading the file into one long frame --------------------------------------------------------
def _json_rows(path: Path) -> list[dict[str, Any]]:
    from ..store import JsonLinesFile

    rows = JsonLinesFile(path, is_row=lambda r: isinstance(r, dict), what="a JSON object").read()
    if not rows:
        raise InvalidDataError(f"{path} holds no JSON object")
    return rows


def _is_cell(row: Mapping[str, Any]) -> bool:
    return {"arch", "index", "status", "curves"} <= set(row)


def _per_run(row: Mapping[str, Any]) -> bool:
    return isinstance(row.get("curves"), dict) or any(isinstance(v, list) for v in row.values())


def _expand(row: Mapping[str, Any], path: Path, line: int) -> list[dict[str, Any]]:
    """The per-epoch rows of one per-run object (scalars repeated on every epoch)."""
    curves: dict[str, list] = {}
    scalars: dict[str, Any] = {}
    for key, value in row.items():
        if key == "curves" and isinstance(value, dict):
            curves.update(value)
        elif key == "scores" and isinstance(value, dict):
            scalars.update(value)
        elif isinstance(value, list):
            curves[key] = value
        elif not isinstance(value, dict):
            scalars[key] = value
    if _EPOCH in scalars:
        raise InvalidDataError(
            f"{path}, line {line}: a run with curves as lists has no single {_EPOCH!r}; "
            "give one object per run (lists) or one per run and epoch (numbers)"
        )
    length = max((len(v) for v in curves.values()), default=0)
    out = []
    for i in range(length):
        epoch_row = dict(scalars)
        epoch_row[_EPOCH] = i + 1
        for name, values in curves.items():
            epoch_row[name] = values[i] if i < len(values) else None
        out.append(epoch_row)
    return out  # none for a run without an epoch (a failed cell): counted by the caller


def _frame_of_json(path: Path) -> tuple[pd.DataFrame, bool, int]:
    """A long frame of a JSON-lines file, whether it is make-benchmark's cells.jsonl, and the
    number of runs without an epoch."""
    rows = _json_rows(path)
    per_run = [_per_run(r) for r in rows]
    if any(per_run) and not all(per_run):
        bad = per_run.index(not per_run[0]) + 1
        raise InvalidDataError(
            f"{path}, object {bad}: mixes objects with curves as lists and per-epoch objects; "
            "use one form"
        )
    cells = all(_is_cell(r) for r in rows)
    if cells:
        rows = [{k: v for k, v in r.items() if k not in _CELL_BOOKKEEPING} for r in rows]
    empty = 0
    if per_run[0]:
        expanded = [_expand(r, path, i) for i, r in enumerate(rows, start=1)]
        empty = sum(not e for e in expanded)
        rows = [e for run in expanded for e in run]
    return pd.DataFrame(rows), cells, empty


def _read_frame(path: Path) -> tuple[pd.DataFrame, bool, int]:
    """The file as one long frame (a row per run and epoch), whether it holds cells, and the
    number of runs it lists without an epoch."""
    if path.is_dir():
        path = path / "cells.jsonl"
    if not path.is_file():
        raise DataNotFoundError(f"curves file {path} not found")
    try:
        if path.suffix != ".gz":
            with path.open("rb") as fh:
                if fh.read(4096).lstrip()[:1] == b"{":
                    return _frame_of_json(path)
        return pd.read_csv(path, sep=_delimiter(path)), False, 0
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InvalidDataError(f"cannot read {path} as CSV or JSON lines: {exc}") from exc


def _delimiter(path: Path) -> str:
    """The CSV's delimiter, by its header line: a comma, else a semicolon or a tab (logged)."""
    import gzip

    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as fh:
        header = fh.readline()
    if "," in header:
        return ","
    found = next((sep for sep in (";", "\t") if sep in header), ",")
    if found != ",":
        log.info("%s: columns separated by %r", path.name, found)
    return found


# -- columns -------------------------------------------------------------------------------------
def _listing(columns: Iterable[object]) -> str:
    return ", ".join(map(str, columns))


def _shown(value: Any) -> Any:
    """A cell's value as plain Python, for messages (``1.5``, not ``np.float64(1.5)``)."""
    return value.item() if hasattr(value, "item") else value


def _pick(
    frame: pd.DataFrame, given: str | None, found: Sequence[str], what: str, option: str, path: Path
) -> str:
    """The column ``given``, or the first of ``found`` that the frame has."""
    if given is not None:
        if given not in frame.columns:
            raise InvalidDataError(
                f"{path} has no {what} column {given!r}; columns are: {_listing(frame.columns)}"
            )
        return given
    name = next((c for c in found if c in frame.columns), None)
    if name is None:
        raise InvalidDataError(
            f"{path} has no {what} column ({' or '.join(found)}); name it with {option} "
            f"(columns: {_listing(frame.columns)})"
        )
    return name


def _numeric(frame: pd.DataFrame, column: str, what: str, path: Path) -> pd.Series:
    """``column`` as floats; a value that is not a number raises, naming its row."""
    values = pd.to_numeric(frame[column], errors="coerce")
    bad = values.isna() & frame[column].notna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise InvalidDataError(
            f"{what} {column!r} in {path} is not numeric (row {row + 1} holds "
            f"{_shown(frame[column].iat[row])!r})"
        )
    return values.astype(np.float64)


def _epochs(frame: pd.DataFrame, column: str, path: Path) -> np.ndarray:
    """Whole epoch numbers from 1 (a file counting from 0 is shifted by one)."""
    epochs = _numeric(frame, column, "epoch column", path).to_numpy()
    bad = ~np.isfinite(epochs) | (epochs != np.round(epochs)) | (epochs < 0)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InvalidDataError(
            f"epoch column {column!r} in {path} holds {_shown(frame[column].iat[row])!r} at row "
            f"{row + 1}; epochs are whole numbers from 0 or 1"
        )
    if epochs.size and epochs.min() == 0:
        log.info("%s: epochs count from 0; read as 1, 2, ...", path.name)
        epochs = epochs + 1
    return epochs.astype(np.int64)


def _check_unique(frame: pd.DataFrame, run: str, path: Path) -> None:
    twice = frame.duplicated([run, _EPOCH])
    if twice.any():
        row = int(np.flatnonzero(twice.to_numpy())[0])
        raise InvalidDataError(
            f"{path}: run {_shown(frame[run].iat[row])!r} has epoch {frame[_EPOCH].iat[row]} twice "
            f"(row {row + 1}); keep one row per run and epoch"
        )


def _aliases(columns: Sequence[str], reserved: Sequence[str]) -> dict[str, str]:
    """Other tools' names of nasperf's curves, where nasperf's own name is absent."""
    rename = {}
    for canonical, others in CURVE_ALIASES.items():
        if canonical in columns:
            continue
        found = next((o for o in others if o in columns and o not in reserved), None)
        if found is not None:
            rename[found] = canonical
    return rename


@dataclass
class _Columns:
    """The roles of a frame's columns."""

    run: str
    curves: list[str]
    numeric: list[str]  # configuration, numeric
    categorical: list[str]  # configuration, not numeric
    ignored: list[str]


def _classify(frame: pd.DataFrame, run: str, always_curves: Sequence[str]) -> _Columns:
    """Curves vary within a run (or are named in ``always_curves``); configuration does not."""
    varying = frame.groupby(run, sort=False).nunique(dropna=True).max() > 1
    cols = _Columns(run, [], [], [], [])
    for c in frame.columns:
        if c in (run, _EPOCH):
            continue
        numeric = pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(
            frame[c]
        )
        if numeric and (c in always_curves or bool(varying.get(c, False))):
            cols.curves.append(c)
        elif numeric:
            cols.numeric.append(c)
        elif c in always_curves or bool(varying.get(c, False)):
            cols.ignored.append(c)
        else:
            cols.categorical.append(c)
    return cols


def _epoch_times(frame: pd.DataFrame, run: str, path: Path) -> pd.DataFrame:
    """``time`` (seconds since the run started) as ``epoch_time`` (seconds of each epoch)."""
    if "epoch_time" in frame.columns or "time" not in frame.columns:
        return frame
    elapsed = _numeric(frame, "time", "time column", path)
    step = elapsed.groupby(frame[run], sort=False).diff()
    if (step < 0).any():
        row = int(np.flatnonzero((step < 0).to_numpy())[0])
        raise InvalidDataError(
            f"{path}: 'time' falls at row {row + 1}; it is read as seconds since the run "
            "started (name seconds per epoch 'epoch_time')"
        )
    frame = frame.drop(columns=["time"])
    frame["epoch_time"] = step.fillna(elapsed)
    return frame


def _choose_curve(frame: pd.DataFrame, run: str, curve: str | None, path: Path) -> str:
    """The metric whose last epoch is the target: ``curve``, or a default, or the only curve."""
    if curve is None:
        curve = next((c for c in DEFAULT_CURVES if c in frame.columns), None)
    if curve is None:
        found = [c for c in _classify(frame, run, ()).curves if c != "epoch_time"]
        if len(found) != 1:
            raise InvalidDataError(
                f"{path}: which curve holds the target? name it with --curve (curves: "
                f"{_listing(found) or 'none'})"
            )
        curve = found[0]
    if curve not in frame.columns:
        raise InvalidDataError(
            f"{path} has no curve {curve!r}; columns are: {_listing(frame.columns)}"
        )
    _numeric(frame, curve, "curve column", path)
    return curve


def _check_fallback(frame: pd.DataFrame, run: str, curve: str, path: Path) -> None:
    """Taking ``curve`` because ``val_acc`` is absent changes the target: an error when another
    curve, not named a loss, could be the metric meant (a renamed ``val_acc``)."""
    found = [c for c in _classify(frame, run, ()).curves if c not in (curve, "epoch_time")]
    others = [c for c in found if named_direction(c) is not True]
    if others:
        raise InvalidDataError(
            f"{path} has no {DEFAULT_CURVES[0]!r} curve; the target would fall back to "
            f"{curve!r}, but {_listing(others)} may be the metric meant: name the target's "
            f"curve with --curve (e.g. --curve {curve} or --curve {others[0]})"
        )


def _check_full(
    path: Path, metric: str, full: int, frame: pd.DataFrame, counts: CurveCounts
) -> None:
    """The target is the metric at the last epoch of the runs: a metric that no run has past
    an earlier epoch (every run diverged, or it stopped being reported) is an error."""
    last = int(frame[_EPOCH].max())
    if full < last:
        why = f"{counts.diverged} run(s) diverged; " if counts.diverged else ""
        raise InvalidDataError(
            f"{path}: no run has a finite {metric!r} after epoch {full}, though the runs go on "
            f"to epoch {last} ({why}the target would be {metric} at epoch {full}, not at the "
            f"end); pass --target-epoch {full} to take it there, or another --curve"
        )


def _series(epochs: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, bool, bool]:
    """Per-epoch values for epochs 1..the last finite one: (curve, filled, cut).

    ``filled``: epochs were missing (or NaN between finite values) and were interpolated;
    ``cut``: the values end in NaN or infinity (a divergence, or values no longer reported).
    """
    finite = np.isfinite(values)
    if not finite.any():
        return np.zeros(0), False, bool(len(values))
    last = int(np.flatnonzero(finite)[-1])
    e, v = epochs[finite], values[finite]
    contiguous = int(e[0]) == 1 and len(e) == int(e[-1])
    curve = v if contiguous else curve_from_steps(e, v)
    return curve, not contiguous, last < len(values) - 1


def _diverged(part: pd.DataFrame, values: np.ndarray, metric: str, curves: Sequence[str]) -> bool:
    """Whether a run whose metric ends without a finite value diverged.

    It did if the metric became infinite (an explosion is read as infinite), if no curve has a
    finite value after the metric's last one, or if the metric's next report is overdue (a
    metric reported every epoch that stops while training goes on). A metric reported every k
    epochs whose next report is not due yet (validation every few epochs) is not a divergence.
    """
    finite = np.isfinite(values)
    last = int(np.flatnonzero(finite)[-1])
    after = part.iloc[last + 1 :]
    if np.isinf(values[last + 1 :]).any():
        return True
    others = [c for c in curves if c != metric]
    if not any(np.isfinite(after[c].to_numpy(dtype=np.float64)).any() for c in others):
        return True
    epochs = part[_EPOCH].to_numpy()
    reported = epochs[finite]
    step = int(np.min(np.diff(reported))) if len(reported) > 1 else 1
    return int(epochs[-1]) - int(reported[-1]) >= step


@dataclass
class _PendingCurves:
    """One run's curves before its target is known."""

    ident: Any
    curves: dict[str, np.ndarray]
    rows: pd.DataFrame
    diverged: bool
    filled: bool


def _read_run(
    ident: Any, part: pd.DataFrame, metric: str, curves: Sequence[str], counts: CurveCounts
) -> _PendingCurves | None:
    """The curves of one run (its rows sorted by epoch), each cut to the metric's length."""
    epochs = part[_EPOCH].to_numpy()
    values = part[metric].to_numpy(dtype=np.float64)
    m, filled, cut = _series(epochs, values)
    if not len(m):
        counts.empty += 1
        return None
    diverged = cut and _diverged(part, values, metric, curves)
    out = {metric: m}
    for name in curves:
        if name == metric:
            continue
        c, f, cut = _series(epochs, part[name].to_numpy(dtype=np.float64))
        c = c[: len(m)]
        if cut and len(c) < len(m):
            counts.cut[name] = counts.cut.get(name, 0) + 1
        if len(c):
            out[name] = c
            filled = filled or f
    counts.diverged += diverged
    counts.filled += filled
    return _PendingCurves(ident, out, part, diverged, filled)


# -- features and records ------------------------------------------------------------------------
def _first(values: pd.Series) -> Any:
    """The first value that is not missing (None if there is none)."""
    present = values.dropna()
    return present.iat[0] if len(present) else None


def _auto_features(frame: pd.DataFrame, cols: _Columns, target: str | None) -> list[str]:
    """Numeric configuration not named like a result, and one-hot categories (module doc)."""
    per_run = frame.groupby(cols.run, sort=False)
    names, gaps = [], []
    for c in cols.numeric:
        if c == target or _RESULT_COLUMN.search(c.lower()):
            continue
        (gaps if per_run[c].count().eq(0).any() else names).append(c)
    if gaps:
        log.warning(
            "%d configuration column(s) missing for some runs are not features (%s); "
            "they stay scores",
            len(gaps),
            _listing(gaps),
        )
    for c in cols.categorical:
        levels = sorted(map(str, frame[c].dropna().unique()))
        if len(levels) > MAX_LEVELS:
            log.warning(
                "%s has %d values (more than %d): not a feature", c, len(levels), MAX_LEVELS
            )
        elif len(levels) > 1:
            names += [f"{c}={level}" for level in levels]
    return names


def _check_features(names: Sequence[str], cols: _Columns, path: Path) -> None:
    for name in names:
        base = name.split("=", 1)[0]
        if name not in cols.numeric and not ("=" in name and base in cols.categorical):
            raise InvalidDataError(
                f"{path} has no configuration column {name!r} (a column constant within each "
                f"run); numeric ones: {_listing(cols.numeric) or 'none'}, others (as "
                f"NAME=VALUE): {_listing(cols.categorical) or 'none'}"
            )


def _feature_vector(rows: pd.DataFrame, names: Sequence[str], ident: Any, path: Path) -> np.ndarray:
    out = np.empty(len(names))
    for j, name in enumerate(names):
        if name in rows.columns:
            value = _first(rows[name])
            if value is None:
                raise InvalidDataError(f"{path}: run {ident!r} has no value of feature {name!r}")
            out[j] = float(value)
        else:
            base, level = name.split("=", 1)
            out[j] = float(str(_first(rows[base])) == level)
    return out


@dataclass(frozen=True)
class _Target:
    """How a run's target is read: the metric's last epoch (or ``column``), times ``sign``;
    whether the records carry the metric negated (``-NAME``)."""

    metric: str
    column: str | None
    sign: float
    full: int
    negate_curve: bool

    def value(self, run: _PendingCurves, length: int) -> float | None:
        if length < self.full:
            return None
        if self.column is None:
            raw = float(run.curves[self.metric][self.full - 1])
        else:
            values = run.rows[self.column].to_numpy(dtype=np.float64)
            values = values[np.isfinite(values)]
            raw = float(values[-1]) if len(values) else float("nan")
        return self.sign * raw if np.isfinite(raw) else None


def _record(
    run: _PendingCurves,
    how: _Target,
    space: str,
    cols: _Columns,
    features: Sequence[str],
    path: Path,
) -> Record:
    curves = {name: values[: how.full] for name, values in run.curves.items()}
    length = len(curves[how.metric])
    if how.negate_curve:
        curves[f"-{how.metric}"] = -curves[how.metric]
    scores = {}
    for c in cols.numeric:
        value = _first(run.rows[c])
        if value is not None and np.isfinite(float(value)):
            scores[c] = float(value)
    ident = _shown(run.ident)
    return Record(
        arch=get_space(space).parse(ident),
        space=space,
        target=how.value(run, length),
        curves=curves,
        scores=scores,
        features=_feature_vector(run.rows, features, ident, path) if features else None,
        info={
            "epochs": length,
            "diverged": run.diverged,
            "filled": run.filled,
            "reached": len(run.curves[how.metric]),  # before the cut to the full length
        },
    )


# -- the file ------------------------------------------------------------------------------------
def _prepare(
    path: Path, run_column: str | None, epoch_column: str | None
) -> tuple[pd.DataFrame, str, bool, int]:
    """The checked long frame (epochs 1-based in column ``epoch``, nasperf's curve names), its
    run column, whether it holds make-benchmark cells, and its runs without an epoch."""
    frame, cells, empty = _read_frame(path)
    if frame.empty:
        raise InvalidDataError(f"{path} holds no rows")
    run = _pick(frame, run_column, RUN_COLUMNS, "run id", "--run-column", path)
    epoch = _pick(frame, epoch_column, EPOCH_COLUMNS, "epoch", "--epoch-column", path)
    if epoch != _EPOCH:
        if _EPOCH in frame.columns:
            raise InvalidDataError(
                f"{path} has an {_EPOCH!r} column besides the epoch column {epoch!r}"
            )
        frame = frame.rename(columns={epoch: _EPOCH})
    if frame[run].isna().any():
        row = int(np.flatnonzero(frame[run].isna().to_numpy())[0])
        raise InvalidDataError(f"{path}: row {row + 1} has no run id ({run!r})")
    frame[_EPOCH] = _epochs(frame, _EPOCH, path)
    _check_unique(frame, run, path)
    rename = _aliases(list(frame.columns), (run, _EPOCH))
    if rename:
        log.info("%s: read %s", path.name, ", ".join(f"{a} as {b}" for a, b in rename.items()))
        frame = frame.rename(columns=rename)
    return _epoch_times(frame, run, path), run, cells, empty


def read_curves(
    path: str | Path,
    *,
    curve: str | None = None,
    target: str | None = None,
    minimize: bool | None = None,
    run_column: str | None = None,
    epoch_column: str | None = None,
    features: Sequence[str] | None = None,
    space: str | None = None,
    full: int | None = None,
) -> CurveRuns:
    """Every run of the curves file ``path`` (formats and rules: the module doc).

    ``curve``: the metric whose last epoch is the target; ``target``: a column to take instead;
    ``minimize``: lower is better (default: the name's way, else the runs' way, else an error:
    see the module doc);
    ``run_column``, ``epoch_column``: default detected; ``features``: configuration columns
    (``NAME=VALUE`` for a category; default: see the module doc); ``space``: of the run ids
    (``custom``; ``nb201`` for cells); ``full``: the full length (default: the longest run).
    """
    path = Path(path)
    frame, run, cells, empty = _prepare(path, run_column, epoch_column)
    metric = _choose_curve(frame, run, curve, path)
    if curve is None and target is None and metric in DEFAULT_CURVES[1:]:
        _check_fallback(frame, run, metric, path)  # the target would change silently
    if target is not None:
        if target not in frame.columns:
            raise InvalidDataError(
                f"{path} has no target column {target!r}; columns are: {_listing(frame.columns)}"
            )
        _numeric(frame, target, "target column", path)
    cols = _classify(frame, run, (metric, "epoch_time"))
    if cols.ignored:
        log.warning(
            "%s: columns %s vary within a run but are not numbers: ignored",
            path.name,
            _listing(cols.ignored),
        )
    names = _auto_features(frame, cols, target) if features is None else list(features)
    _check_features(names, cols, path)
    values, groups = _metric_by_run(frame, run, metric)
    if not np.isfinite(values).any() and full is None:  # with a known full length: news
        raise InvalidDataError(f"{path}: no run has a finite value of {metric!r}")
    exploded, typical = _explosions(values, groups)
    calm = (values[g] for g in groups if not exploded[g].any())  # runs without an explosion
    trend = Trend.of(v[np.isfinite(v)] for v in calm)
    minimize, down = _directions(path, metric, target, minimize, trend)
    counts = CurveCounts(runs=empty, empty=empty, typical_start=typical)
    if down and exploded.any():  # a minimised metric that explodes diverged: read as inf
        counts.exploded = sum(bool(exploded[g].any()) for g in groups)
        frame[metric] = np.where(exploded, np.inf, values)
    runs, empty_ids = [], []
    for ident, part in frame.groupby(run, sort=False):
        counts.runs += 1
        got = _read_run(ident, part.sort_values(_EPOCH), metric, cols.curves, counts)
        if got is None:
            empty_ids.append(ident)
        else:
            runs.append(got)
    if full is None:
        full = max(len(r.curves[metric]) for r in runs)
        if target is None:  # a target column is read whatever the metric's length
            _check_full(path, metric, full, frame, counts)
    full = int(full)
    how = _Target(metric, target, -1.0 if minimize else 1.0, full, down)
    space = space or ("nb201" if cells else "custom")
    records = [_record(r, how, space, cols, names, path) for r in runs]
    _count(records, full, counts)
    sign = "-" if minimize else ""
    return CurveRuns(
        name=f"curves:{path.name}",
        space=space,
        curve=metric,
        target_curve=f"-{metric}" if down else metric,
        target_name=f"{sign}{target}" if target else f"{sign}{metric} (epoch {full})",
        minimize=minimize,
        full=full,
        runs=records,
        counts=counts,
        feature_names=tuple(names),
        empty_ids=tuple(empty_ids),
    )


def _metric_by_run(
    frame: pd.DataFrame, run: str, metric: str
) -> tuple[np.ndarray, list[np.ndarray]]:
    """The metric's values as floats (in the frame's order) and, for each run, the positions of
    its rows in epoch order."""
    values = frame[metric].to_numpy(dtype=np.float64)
    order = np.argsort(frame[_EPOCH].to_numpy(), kind="stable")
    by_run = pd.Series(order).groupby(frame[run].to_numpy()[order], sort=False)
    return values, [rows.to_numpy() for _, rows in by_run]


def _explosions(values: np.ndarray, groups: Sequence[np.ndarray]) -> tuple[np.ndarray, float]:
    """Which values exploded (:mod:`._direction`: over ``EXPLOSION_FACTOR`` times both the
    run's first value and the study's typical one), and that typical first value."""
    firsts = np.full(len(groups), np.nan)
    own = np.full(len(values), np.nan)
    for i, rows in enumerate(groups):
        finite = values[rows][np.isfinite(values[rows])]
        if len(finite):
            firsts[i] = own[rows] = finite[0]
    typical = typical_start(firsts, values)
    with np.errstate(invalid="ignore"):
        exploded = np.isfinite(values) & (np.abs(values) > explosion_limit(own, typical))
    return exploded, typical


def _directions(
    path: Path, metric: str, target: str | None, minimize: bool | None, trend: Trend
) -> tuple[bool, bool]:
    """Whether the target is minimised, and whether the metric's curve is (then negated).

    Without a target column both are ``minimize`` if given, else the metric's name's, else its
    runs' (logged), else an error. With one, the target's is ``minimize`` or the target's name
    (else an error), and the curve's its name's, else its runs', else the target's.
    """
    named = named_direction(metric)
    if target is None:
        if minimize is not None:
            return bool(minimize), bool(minimize)
        down = named if named is not None else _by_values(path, metric, trend, required=True)
        return bool(down), bool(down)
    goal = named_direction(target) if minimize is None else bool(minimize)
    if goal is None:
        raise InvalidDataError(
            f"{path}: is the target {target!r} better lower or higher? Its name does not say "
            "(loss, error, acc, ...); pass --minimize or --maximize (minimize=True or False)"
        )
    if named is not None:
        return goal, named
    down = _by_values(path, metric, trend, required=False)
    if down is None:
        log.info(
            "%s: %r is taken to go the target's way (%s is better): its name does not say and "
            "its runs do not settle it (%s)",
            path.name,
            metric,
            "lower" if goal else "higher",
            trend.line(),
        )
        return goal, goal
    return goal, down


def _by_values(path: Path, metric: str, trend: Trend, *, required: bool) -> bool | None:
    """The direction of ``metric`` that its runs settle (logged), else an error if
    ``required`` (else None)."""
    down = trend.direction()
    if down is None:
        if not required:
            return None
        raise InvalidDataError(
            f"{path}: is {metric!r} better lower or higher? Its name does not say (loss, error, "
            f"acc, ...) and its runs do not settle it (it {trend.line()}); pass --minimize or "
            "--maximize (minimize=True or False)"
        )
    way, other = ("lower", "higher") if down else ("higher", "lower")
    flag = "--maximize (minimize=False)" if down else "--minimize (minimize=True)"
    log.info(
        "%s: %r is read as %s-is-better, as its runs say (it %s); pass %s if %s is better",
        path.name,
        metric,
        way,
        trend.line(),
        flag,
        other,
    )
    return down


def _count(records: Sequence[Record], full: int, counts: CurveCounts) -> None:
    for r in records:
        length = r.info["epochs"]
        if length < full:
            counts.short += 1
            counts.lengths.append(length)
        elif r.target is None:
            counts.no_target += 1
        else:
            counts.complete += 1


def load_curves(path: str | Path, **options: Any) -> CurvesBenchmark:
    """The benchmark ``curves:PATH``: the complete runs of :func:`read_curves` (same options).

    Logs one line of counts (a warning when a run was shortened, filled, left out or has no
    target).
    """
    runs = read_curves(path, **options)
    line = runs.counts.line(runs.name, runs.full)
    log.log(logging.WARNING if runs.counts.imperfect() else logging.INFO, "%s", line)
    return CurvesBenchmark(runs)


def on_target_curve(predictors: Mapping[str, Any], target_curve: str) -> dict[str, Any]:
    """``predictors`` with those that read ``val_acc`` (early-stop-acc, lce, lcsvr, lc-rf,
    lc-br) reading ``target_curve`` instead: the curve whose last epoch is the target."""
    if target_curve == "val_acc":
        return dict(predictors)
    out = {}
    moved = []
    for name, pred in predictors.items():
        params = pred.get_params()
        if params.get("curve") == "val_acc":
            pred = pred.set_params(curve=target_curve)
            moved.append(name)
        out[name] = pred
    if moved:
        log.info("%s read the curve %s (the target's)", ", ".join(moved), target_curve)
    return out


def write_curves(path: str | Path, records: Iterable[Record], scores: bool = True) -> Path:
    """Write ``records``' curves as a long CSV (one row per run and epoch; ``run`` is the
    record's arch), with their scores as configuration columns when ``scores``. Atomic."""
    from ..store import atomic_write

    rows = []
    for r in records:
        length = max((len(v) for v in r.curves.values()), default=0)
        for i in range(length):
            row: dict[str, Any] = {"run": r.arch, _EPOCH: i + 1}
            for name, values in r.curves.items():
                row[name] = float(values[i]) if i < len(values) else None
            if scores:
                row.update(r.scores)
            rows.append(row)
    path = Path(path)
    atomic_write(path, pd.DataFrame(rows).to_csv(index=False))
    return path
