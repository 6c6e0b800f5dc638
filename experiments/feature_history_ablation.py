"""Ablation of the feature-history estimator on live-trained NB201 cells.

For the first ``--cells`` cells of a live benchmark (made by ``nasperf make-benchmark``, whose
full training is the ground truth), retrain each with the benchmark's own settings and seed for
``--max-epochs`` epochs while capturing the classifier's input features (the first epochs are
the benchmark's own run: same seed, same schedule), then score every proxy classifier variant
for each E and K. Compares, by Kendall τ and Spearman with the final validation accuracy, with
the network's own validation accuracy at E, SoTL-E at E and LcSVR at E (fitted on the other
cells of the benchmark, or cross-fitted in 5 folds when there are none). Prints markdown.

    python experiments/feature_history_ablation.py nb201-digits --cells 100 --max-epochs 5
    python experiments/feature_history_ablation.py runs/nb201-mnist --cells 100 --max-epochs 5
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from harness import finite, live_cell
from harness import parser as make_parser

from nasperf import stats
from nasperf.benchmarks import (
    LiveBenchmarkConfig,
    live_benchmark_dir,
    load_live_benchmark,
    read_live_config,
)
from nasperf.execution import LocalExecutor
from nasperf.predictors import make_predictor
from nasperf.predictors.training_based import VARIANTS, proxy_accuracy

kendall_tau = finite(stats.kendall_tau)  # NaN where fewer than 2 finite pairs
spearman = finite(stats.spearman)  # NaN where fewer than 2 finite pairs

KS = (1, 2, 3)


@dataclass(frozen=True)
class Task:
    config: LiveBenchmarkConfig
    arch: str
    seed: int
    max_epochs: int
    probe_size: int


def run_cell(task: Task) -> dict[str, Any]:
    from nasperf.training import FeatureCapture, StopAfter, Trainer

    model, data = live_cell(task.config, task.arch, task.seed)
    capture = FeatureCapture(probe_size=task.probe_size, seed=0)
    tick = time.perf_counter()
    result = Trainer(
        task.config.train_config(task.seed, 1), [capture, StopAfter(task.max_epochs)]
    ).fit(model, data)
    train_time = time.perf_counter() - tick
    out: dict[str, Any] = {
        "arch": task.arch,
        "status": result.status,
        "val_acc": list(result.curves["val_acc"]),
        "train_loss": list(result.curves["train_loss"]),
        "bytes": capture.used_bytes,
        "train_time": train_time,
        "est": {},
    }
    if result.status != "ok" or len(result.curves["val_acc"]) < task.max_epochs:
        return out
    tick = time.perf_counter()
    for e in range(1, task.max_epochs + 1):
        th, vh = capture.train_features[:e], capture.val_features[:e]
        for variant in VARIANTS:
            for k in KS if variant != "ema" else (e,):
                if k > e:
                    continue
                key = f"{variant}" + (f" K={k}" if variant != "ema" else "")
                out["est"][f"{key}|{e}"] = proxy_accuracy(
                    th, capture.train_labels, vh, capture.val_labels, variant, k
                )
    out["proxy_time"] = time.perf_counter() - tick
    return out


def main() -> None:
    parser = make_parser(__doc__)
    parser.add_argument("benchmark", help="nb201-digits or a live benchmark directory")
    parser.add_argument("--cells", type=int, default=100)
    parser.add_argument("--max-epochs", type=int, default=5)
    parser.add_argument("--probe-size", type=int, default=256)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--save", default=None, help="write the per-cell results as JSON")
    args = parser.parse_args()

    path = live_benchmark_dir(args.benchmark)
    config = read_live_config(path)
    bench = load_live_benchmark(path)
    recs = sorted(bench.records(), key=lambda r: r.info["index"])
    chosen, others = recs[: args.cells], recs[args.cells :]
    tasks = [Task(config, r.arch, r.info["seed"], args.max_epochs, args.probe_size) for r in chosen]
    tick = time.perf_counter()
    rows = {}
    with LocalExecutor(workers=args.workers) as ex:
        for outcome in ex.map_unordered(run_cell, tasks):
            if outcome.ok:
                rows[outcome.item.arch] = outcome.result
    wall = time.perf_counter() - tick
    if args.save:
        Path(args.save).write_text(json.dumps(rows))
    ok = [r for r in chosen if rows.get(r.arch, {}).get("est")]
    final = np.array([r.target for r in ok])
    # the retrained prefix must be the benchmark's own run
    drift = max(
        float(
            np.max(
                np.abs(np.array(rows[r.arch]["val_acc"]) - r.curves["val_acc"][: args.max_epochs])
            )
        )
        for r in ok
    )
    print(
        f"{bench.name}: {len(ok)} of {len(chosen)} cells, {config.dataset}, ground truth: "
        f"validation accuracy after {config.epochs} epochs; probe {args.probe_size} training "
        f"images, {len(next(iter(rows.values()))['val_acc'])} epochs retrained "
        f"(largest difference from the benchmark's own curve: {drift:.3g} points); "
        f"{wall:.0f} s on {args.workers} workers\n"
    )

    def score(pred: np.ndarray) -> tuple[float, float]:
        return kendall_tau(pred, final), spearman(pred, final)

    table: dict[str, dict[int, tuple[float, float]]] = {}
    for e in range(1, args.max_epochs + 1):
        own = np.array([rows[r.arch]["val_acc"][e - 1] for r in ok])
        table.setdefault("network's own val acc at E", {})[e] = score(own)
        sotl = -np.array([rows[r.arch]["train_loss"][e - 1] for r in ok])
        table.setdefault("SoTL-E at E", {})[e] = score(sotl)
        lcsvr = np.empty(len(ok))
        if len(others) >= 50:
            model = make_predictor("lcsvr", fidelity=e).fit(others)
            lcsvr[:] = model.predict(ok)
        else:  # cross-fitting on the chosen cells themselves
            folds = np.array_split(np.random.default_rng(0).permutation(len(ok)), 5)
            for fold in folds:
                train = [ok[i] for i in range(len(ok)) if i not in set(fold)]
                lcsvr[fold] = (
                    make_predictor("lcsvr", fidelity=e).fit(train).predict([ok[i] for i in fold])
                )
        table.setdefault("LcSVR at E" + ("" if len(others) >= 50 else " (5-fold)"), {})[e] = score(
            lcsvr
        )
        keys = sorted({k.split("|")[0] for k in rows[ok[0].arch]["est"]})
        for key in keys:
            name = f"{key}|{e}"
            if name in rows[ok[0].arch]["est"]:
                est = np.array([rows[r.arch]["est"][name] for r in ok])
                table.setdefault(f"feature history: {key}", {})[e] = score(est)
    es = list(range(1, args.max_epochs + 1))
    print("| estimate | " + " | ".join(f"E={e} τ / ρ" for e in es) + " |")
    print("|---|" + "---|" * len(es))
    for name, by_e in table.items():
        cells = " | ".join(f"{by_e[e][0]:.3f} / {by_e[e][1]:.3f}" if e in by_e else "" for e in es)
        print(f"| {name} | {cells} |")
    nbytes = np.mean([rows[r.arch]["bytes"] for r in ok])
    per_epoch = nbytes / args.max_epochs
    train_s = np.mean([rows[r.arch]["train_time"] for r in ok])
    proxy_s = np.mean([rows[r.arch]["proxy_time"] for r in ok])
    print(
        f"\nfeatures kept per candidate: {nbytes / 1024:.0f} KiB for {args.max_epochs} epochs "
        f"({per_epoch / 1024:.0f} KiB per epoch, float16); training with capture "
        f"{train_s:.2f} s per cell; all proxy classifiers {proxy_s:.2f} s per cell"
    )


if __name__ == "__main__":
    main()
