"""FEAR's side finding (a): zero-cost proxies computed on checkpoints rank worse as training
proceeds. And (b): data-agnostic scores do not transfer across dissimilar datasets.

(a) ``--checkpoints``: the first ``--cells`` cells of a live benchmark are retrained with its
own settings and seed; after 0, 1, 2, 5 and 10 epochs each proxy is computed on a copy of the
network (the benchmark's proxy batch), and its Spearman correlation with the benchmark's final
accuracy is printed per checkpoint, beside the network's own validation accuracy there.

(b) ``--transfer``: Spearman of each score with the final accuracy on each benchmark named
(data-agnostic: synflow, params, flops; data-dependent: jacov, nwot, snip, grad_norm, fisher,
meco), as the benchmarks store them.

    python experiments/zc_checkpoints.py --checkpoints nb201-digits --cells 100 \
        --out runs/fear/zc_checkpoints_digits.json
    python experiments/zc_checkpoints.py --transfer nb201-digits,nb201-mnist,nb201-cifar10
"""

from __future__ import annotations

import argparse
import copy
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from harness import finite
from harness import parser as make_parser

from nasperf import stats
from nasperf.benchmarks import (
    LiveBenchmarkConfig,
    live_benchmark_dir,
    load_benchmark,
    load_live_benchmark,
    read_live_config,
)
from nasperf.execution import LocalExecutor

spearman = finite(stats.spearman)  # NaN where fewer than 2 finite pairs

EPOCHS = (0, 1, 2, 5, 10)
PROXIES = ("synflow", "params", "flops", "jacov", "nwot", "snip", "grad_norm", "fisher", "meco")
AGNOSTIC = ("synflow", "params", "flops")


@dataclass(frozen=True)
class Task:
    config: LiveBenchmarkConfig
    arch: str
    seed: int


def run_cell(task: Task) -> dict[str, Any]:
    import torch

    from nasperf.benchmarks import build_cell, cell_data
    from nasperf.predictors.zero_cost import compute_proxies_or_errors
    from nasperf.training import Callback, StopAfter, Trainer

    torch.set_num_threads(1)
    config = task.config
    data = cell_data(config)
    model, _, _ = build_cell(config, task.arch, task.seed, data)
    n = min(config.proxy_batch, len(data.y_train))
    x, y = data.batch(n, "train", seed=config.seed)
    names = [p for p in PROXIES if p not in ("params", "flops")]
    scores: dict[str, dict[str, float]] = {}

    def measure(epoch: int, net: Any) -> None:
        with torch.random.fork_rng():
            values, _ = compute_proxies_or_errors(copy.deepcopy(net), x, y, names, seed=task.seed)
        scores[str(epoch)] = values

    class AtCheckpoints(Callback):
        def on_epoch_end(self, trainer: Any, net: Any, epoch: int, logs: dict) -> None:
            if epoch + 1 in EPOCHS:
                measure(epoch + 1, net)

    measure(0, model)
    result = Trainer(
        config.train_config(task.seed, 1), [AtCheckpoints(), StopAfter(max(EPOCHS))]
    ).fit(model, data)
    return {"arch": task.arch, "scores": scores, "val_acc": result.curves["val_acc"].tolist()}


def checkpoints(args: argparse.Namespace) -> None:
    path = live_benchmark_dir(args.checkpoints)
    config = read_live_config(path)
    bench = load_live_benchmark(path)
    recs = sorted(bench.records(), key=lambda r: r.info["index"])[: args.cells]
    out = Path(args.out)
    rows: dict[str, Any] = json.loads(out.read_text()) if out.exists() else {}
    tasks = [Task(config, r.arch, r.info["seed"]) for r in recs if r.arch not in rows]
    with LocalExecutor(workers=args.workers) as ex:
        for outcome in ex.map_unordered(run_cell, tasks):
            if outcome.ok:
                rows[outcome.item.arch] = outcome.result
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_text(json.dumps(rows))
    ok = [r for r in recs if r.arch in rows]
    final = np.array([r.target for r in ok])
    print(f"{bench.name}: {len(ok)} cells retrained; Spearman with the final accuracy "
          f"after {config.epochs} epochs\n")  # fmt: skip
    print("| score | " + " | ".join(f"after {e} epochs" for e in EPOCHS) + " |")
    print("|---|" + "---|" * len(EPOCHS))
    for proxy in [p for p in PROXIES if p not in ("params", "flops")]:
        cells = []
        for e in EPOCHS:
            v = np.array([rows[r.arch]["scores"].get(str(e), {}).get(proxy, np.nan) for r in ok])
            good = np.isfinite(v)
            cells.append(f"{spearman(v[good], final[good]):.3f}")
        print(f"| {proxy} | " + " | ".join(cells) + " |")
    own = ["(chance)"]
    for e in EPOCHS[1:]:
        v = np.array([rows[r.arch]["val_acc"][e - 1] for r in ok])
        own.append(f"{spearman(v, final):.3f}")
    print("| network's own val acc | " + " | ".join(own) + " |")


def _score(scores: dict[str, float], proxy: str) -> float:
    """A proxy's value under its own name, or as the NB201 table stores it (Suite-Zero's
    ``sz_`` columns; the parameter count in millions)."""
    for key in (proxy, f"sz_{proxy}", "params_m" if proxy == "params" else ""):
        if key in scores:
            return float(scores[key])
    return np.nan


def transfer(args: argparse.Namespace) -> None:
    names = args.transfer.split(",")
    table: dict[str, dict[str, str]] = {}
    sizes = {}
    for name in names:
        bench = load_benchmark(name)
        recs = bench.records()
        sizes[name] = len(recs)
        final = np.array([r.target for r in recs])
        for proxy in PROXIES:
            v = np.array([_score(r.scores, proxy) for r in recs], dtype=float)
            good = np.isfinite(v)
            rho = spearman(v[good], final[good]) if good.sum() > 10 else np.nan
            table.setdefault(proxy, {})[name] = "" if not np.isfinite(rho) else f"{rho:.3f}"
    if "nb201-cifar10" in names:  # how alike the datasets are: CIFAR-10's ranking of each cell
        c10 = {r.arch: r.target for r in load_benchmark("nb201-cifar10").records()}
        table["the cell's NB201 CIFAR-10 accuracy"] = {}
        for name in names:
            recs = load_benchmark(name).records()
            v = np.array([c10.get(r.arch, np.nan) for r in recs])
            final = np.array([r.target for r in recs])
            good = np.isfinite(v)
            rho = spearman(v[good], final[good])
            table["the cell's NB201 CIFAR-10 accuracy"][name] = f"{rho:.3f}"
    print("| score | kind | " + " | ".join(f"{n} ({sizes[n]} cells)" for n in names) + " |")
    print("|---|---|" + "---|" * len(names))
    for proxy, by in table.items():
        kind = "data-agnostic" if proxy in AGNOSTIC else "data-dependent"
        kind = kind if proxy in PROXIES else "ground truth"
        print(f"| {proxy} | {kind} | " + " | ".join(by[n] for n in names) + " |")


def main() -> None:
    parser = make_parser(__doc__)
    parser.add_argument("--checkpoints", default=None, help="a live benchmark")
    parser.add_argument("--cells", type=int, default=100)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", default="runs/fear/zc_checkpoints.json")
    parser.add_argument("--transfer", default=None, help="benchmarks, comma-separated")
    args = parser.parse_args()
    if args.checkpoints:
        checkpoints(args)
    if args.transfer:
        transfer(args)


if __name__ == "__main__":
    main()
