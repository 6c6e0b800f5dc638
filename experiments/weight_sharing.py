"""Weight-sharing predictors (one-shot, RS-WS) on nasperf's live NB201 benchmarks.

For each benchmark, each predictor trains its supernet once (the benchmark's width C, cells N,
dataset, splits and training recipe; ``--epochs`` sets the supernet's budget, default the
benchmark's own run length), scores every cell with the weights it inherits and is compared
with the benchmark's target (final validation accuracy) by Kendall τ and Spearman ρ. The
parameter count (``params_m``) is scored beside them as a reference. Writes
``weight_sharing.json`` and ``weight_sharing.md`` under ``--out``.

    python experiments/weight_sharing.py --benchmarks nb201-digits --out results/ws
    python experiments/weight_sharing.py --benchmarks nb201-mnist --predictors rs-ws \\
        --eval-batches 8 --out results/ws-mnist
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from pathlib import Path
from typing import Any

import numpy as np
from harness import finite
from harness import parser as make_parser

from nasperf import stats
from nasperf.benchmarks import live_benchmark_records
from nasperf.predictors import make_predictor

kendall_tau = finite(stats.kendall_tau)  # NaN where fewer than 2 finite pairs
spearman = finite(stats.spearman)  # NaN where fewer than 2 finite pairs


def _correlations(scores: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    """τ and ρ over all cells, and τ over the better half (target at or above the median),
    where the few cells that cannot learn no longer carry the ranking."""
    top = truth >= np.median(truth)
    return {
        "kendall_tau": float(kendall_tau(scores, truth)),
        "spearman": float(spearman(scores, truth)),
        "kendall_tau_top_half": float(kendall_tau(scores[top], truth[top])),
    }


def _run(
    name: str,
    bench: str,
    records: list[Any],
    params: dict[str, Any],
    args: argparse.Namespace,
) -> dict[str, Any]:
    """Fit one predictor on ``records`` (trains its supernet), score them all."""
    settings = {"bn": args.bn, "bn_batches": args.bn_batches, "eval_batches": args.eval_batches,
                "random_state": args.seed, "num_threads": args.threads}  # fmt: skip
    if args.epochs is not None:
        settings["epochs"] = args.epochs
    pred = make_predictor(name, **params, **settings)
    pred.fit(records)
    tick = time.perf_counter()
    scores = pred.predict(records)
    query = (time.perf_counter() - tick) / len(records)
    truth = np.array([r.target for r in records])
    row = {
        "benchmark": bench,
        "predictor": name,
        "cells": len(records),
        "supernet_epochs": args.epochs or params["train_config"].epochs,
        "supernet_seconds": pred.supernet_time_,
        "supernet_final_loss": pred.supernet_losses_[-1],
        "query_seconds_per_cell": query,
        "score_mean": float(scores.mean()),
        "score_min": float(scores.min()),
        "score_max": float(scores.max()),
        **_correlations(scores, truth),
        "settings": {k: v for k, v in settings.items() if k != "num_threads"},
        "cells_scored": [{"arch": r.arch, "score": float(s), "target": float(r.target)}
                         for r, s in zip(records, scores, strict=True)],
    }
    print(f"{bench} {name}: τ {row['kendall_tau']:.3f} (top half "
          f"{row['kendall_tau_top_half']:.3f}), ρ {row['spearman']:.3f}, supernet "
          f"{row['supernet_seconds']:.1f}s, {query:.3f}s/cell", flush=True)  # fmt: skip
    return row


def _markdown(rows: list[dict[str, Any]], refs: dict[str, dict[str, float]]) -> str:
    lines = [
        "| benchmark | predictor | cells | supernet epochs | Kendall τ | Spearman ρ | "
        "τ top half | supernet s | query s/cell | scores (min/mean/max %) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['benchmark']} | {r['predictor']} | {r['cells']} | {r['supernet_epochs']} | "
            f"{r['kendall_tau']:.3f} | {r['spearman']:.3f} | {r['kendall_tau_top_half']:.3f} | "
            f"{r['supernet_seconds']:.1f} | "
            f"{r['query_seconds_per_cell']:.3f} | {r['score_min']:.1f} / {r['score_mean']:.1f} "
            f"/ {r['score_max']:.1f} |"
        )
    for bench, ref in refs.items():
        lines.append(f"| {bench} | (params_m) | | | {ref['kendall_tau']:.3f} | "
                     f"{ref['spearman']:.3f} | {ref['kendall_tau_top_half']:.3f} | | | |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = make_parser(__doc__)
    parser.add_argument("--benchmarks", default="nb201-digits,nb201-mnist")
    parser.add_argument("--predictors", default="oneshot,rs-ws")
    parser.add_argument("--epochs", type=int, default=None,
                        help="supernet epochs (default: the benchmark's own run length)")
    parser.add_argument("--bn", default="recompute", choices=("recompute", "running"))
    parser.add_argument("--bn-batches", type=int, default=8)
    parser.add_argument("--eval-batches", type=int, default=None,
                        help="validation batches scored per cell (default: the whole split)")
    parser.add_argument("--cells", type=int, default=None, help="score only the first CELLS")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    rows, refs = [], {}
    for bench in args.benchmarks.split(","):
        records, params = live_benchmark_records(bench)
        records = records[: args.cells]
        truth = np.array([r.target for r in records])
        refs[bench] = _correlations(np.array([r.scores["params_m"] for r in records]), truth)
        for name in args.predictors.split(","):
            rows.append(_run(name, bench, records, params, args))
    table = _markdown(rows, refs)
    print(table)
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        command = {**vars(args), "out": str(args.out)}
        data = {"rows": rows, "params_m_reference": refs, "command": command}
        (args.out / "weight_sharing.json").write_text(json.dumps(data, indent=1) + "\n")
        (args.out / "weight_sharing.md").write_text(table)


if __name__ == "__main__":
    main()
