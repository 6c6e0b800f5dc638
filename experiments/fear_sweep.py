"""FEAR against the baselines at equal time per candidate, on a live benchmark's cells.

Each cell is retrained with the benchmark's own settings and seed (so its first epochs are the
benchmark's own run) through FEAR's stage 1 until every threshold is reached (or the cap), with
a feature capture on the same run for the feature-history baseline; stage 2 (the tail only, at
a constant rate) then runs from the weights at each threshold. Rows are appended to ``--out``
as cells finish (a rerun continues). ``--report`` reads the rows and prints, for every
estimate, Spearman and the top-10% overlap with the benchmark's final accuracy against the
average seconds per candidate (all times from this run's trainer epochs), and draws the plot.

    python experiments/fear_sweep.py nb201-digits --out runs/fear/digits.jsonl --workers 2
    python experiments/fear_sweep.py live:runs/nb201-mnist --out runs/fear/mnist.jsonl
    python experiments/fear_sweep.py nb201-digits --out runs/fear/digits.jsonl --report \
        --plot docs/img/fear_digits.png

Thresholds ``qX`` are the X quantile of the benchmark's first-epoch training accuracy over all
its cells (FEAR's data-driven default); plain numbers are fractions.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from harness import journal, live_cell
from harness import parser as make_parser

from nasperf.benchmarks import LiveBenchmarkConfig, live_benchmark_dir, read_live_config
from nasperf.execution import LocalExecutor
from nasperf.store import json_ready

STAGE2 = (1, 2, 3, 5)
FH_EPOCHS = (1, 2)


@dataclass(frozen=True)
class Task:
    config: LiveBenchmarkConfig
    arch: str
    seed: int
    thresholds: tuple[float, ...]
    stage2_epochs: int
    max_epochs: int


def run_cell(task: Task) -> dict[str, Any]:
    from nasperf.predictors.training_based import FearEstimator, FearSettings, proxy_accuracy
    from nasperf.training import FeatureCapture

    model, data = live_cell(task.config, task.arch, task.seed)
    capture = FeatureCapture(probe_size=256, seed=task.seed % (2**31))
    settings = FearSettings(max_epochs=task.max_epochs, stage2_epochs=task.stage2_epochs)
    est = FearEstimator(settings, task.config.train_config(task.seed, 1))
    results = est.sweep(
        model, data, task.thresholds, min_epochs=max(FH_EPOCHS), callbacks=[capture]
    )
    stage1 = results[0].curves["stage1"]
    out: dict[str, Any] = {
        "arch": task.arch,
        "stage1": {
            k: stage1[k].tolist() for k in ("train_acc", "val_acc", "train_loss", "epoch_time")
        },  # fmt: skip
        "fear": [],
        "fh": {},
    }
    for r in results:
        row = r.row()
        if "stage2" in r.curves:
            row["stage2_curves"] = {
                k: r.curves["stage2"][k].tolist() for k in ("train_acc", "val_acc", "epoch_time")
            }
        out["fear"].append(row)
    n = capture.train_features.shape[0] if capture.train_features is not None else 0
    for e in FH_EPOCHS:
        if e <= n:
            tick = time.perf_counter()
            value = proxy_accuracy(
                capture.train_features[:e], capture.train_labels,
                capture.val_features[:e], capture.val_labels, "concat", 2,
            )  # fmt: skip
            out["fh"][str(e)] = {"estimate": value, "classifier_s": time.perf_counter() - tick}
    return out


def _thresholds(specs: list[str], bench: Any) -> list[float]:
    first = np.array(
        [r.curves["train_acc"][0] for r in bench.records() if len(r.curves.get("train_acc", []))]
    )
    out = []
    for s in specs:
        if s.startswith("q"):
            out.append(round(float(np.quantile(first, float(s[1:]))) / 100.0, 4))
        else:
            out.append(float(s))
    return out


def sweep(args: argparse.Namespace) -> None:
    from nasperf.benchmarks import load_live_benchmark

    path = live_benchmark_dir(args.benchmark)
    config = read_live_config(path)
    bench = load_live_benchmark(path)
    recs = sorted(bench.records(), key=lambda r: r.info["index"])
    if args.cells:
        recs = recs[: args.cells]
    thresholds = tuple(_thresholds(args.thresholds.split(","), bench))
    settings = {"benchmark": args.benchmark, "thresholds": thresholds,
                "specs": args.thresholds, "stage2_epochs": args.stage2_epochs}  # fmt: skip
    rows = journal(Path(args.out), settings)  # its settings beside it, OUT.settings.json
    done = {row["arch"] for row in rows.read()}
    tasks = [
        Task(config, r.arch, r.info["seed"], thresholds, args.stage2_epochs, args.max_epochs)
        for r in recs
        if r.arch not in done
    ]
    print(f"{len(tasks)} cells to run ({len(done)} done); thresholds {thresholds}", flush=True)
    tick = time.perf_counter()
    with LocalExecutor(workers=args.workers) as ex, rows.open() as fh:
        for i, outcome in enumerate(ex.map_unordered(run_cell, tasks), 1):
            row = outcome.result if outcome.ok else {"arch": outcome.item.arch,
                                                     "error": outcome.error}  # fmt: skip
            fh.append(json_ready(row))
            if i % 20 == 0:
                print(f"{i}/{len(tasks)} in {time.perf_counter() - tick:.0f} s", flush=True)
    print(f"done in {time.perf_counter() - tick:.0f} s", flush=True)


# -- the report -----------------------------------------------------------------------------
def _spearman(a: np.ndarray, b: np.ndarray) -> float:
    from nasperf.stats import spearman

    return float(spearman(a, b))


def _top_overlap(score: np.ndarray, target: np.ndarray, share: float = 0.1) -> float:
    k = max(1, int(round(share * len(target))))
    best = set(np.argsort(-target, kind="stable")[:k])
    pick = set(np.argsort(-score, kind="stable")[:k])
    return len(best & pick) / k


def _without_pauses(row: dict[str, Any]) -> dict[str, Any]:
    """``row`` with any epoch time above 20 times the cell's median epoch time (a job paused by
    SIGSTOP while that epoch ran) replaced by the median, and stage-1 seconds recomputed."""
    fears = [f.get("stage2_curves", {}).get("epoch_time", []) for f in row["fear"]]
    times = [*row["stage1"]["epoch_time"], *(t for ts in fears for t in ts)]
    median = float(np.median(times))

    def fix(ts: list[float]) -> list[float]:
        return [median if t > 20 * median else t for t in ts]

    row["stage1"]["epoch_time"] = fix(row["stage1"]["epoch_time"])
    for f in row["fear"]:
        f["stage1_seconds"] = float(sum(row["stage1"]["epoch_time"][: f["stage1_epochs"]]))
        if "stage2_curves" in f:
            f["stage2_curves"]["epoch_time"] = fix(f["stage2_curves"]["epoch_time"])
    return row


def _fear_scores(rows: list[dict], j: int, k: int, score: str) -> tuple[list, list]:
    """FEAR at threshold number ``j`` after ``k`` stage-2 epochs: scores and seconds."""
    vals, secs = [], []
    for r in rows:
        f = r["fear"][j]
        c = f.get("stage2_curves")
        if c is None or len(c["train_acc"]) < k:
            vals.append(np.nan)
            secs.append(f["stage1_seconds"])
            continue
        vals.append(c[f"{score}_acc"][k - 1])
        secs.append(f["stage1_seconds"] + sum(c["epoch_time"][:k]))
    return vals, secs


def estimates(args: argparse.Namespace) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Every estimate of every cell, with its seconds; and the targets."""
    from nasperf.benchmarks import load_live_benchmark

    path = live_benchmark_dir(args.benchmark)
    bench = load_live_benchmark(path)
    by_arch = {r.arch: r for r in bench.records()}
    sweep_rows = journal(Path(args.out), None)
    kept = [r for r in sweep_rows.read() if "error" not in r and r["arch"] in by_arch]
    rows = [_without_pauses(r) for r in kept]
    meta = sweep_rows.saved_settings() or {}
    table: list[dict[str, Any]] = []

    def add(name: str, family: str, setting: str, values: list, seconds: list) -> None:
        table.append({"name": name, "family": family, "setting": setting,
                      "values": np.asarray(values, dtype=float),
                      "seconds": float(np.mean(seconds))})  # fmt: skip

    epoch_s = [float(np.mean(r["stage1"]["epoch_time"])) for r in rows]
    for j, (t, spec) in enumerate(zip(meta["thresholds"], meta["specs"].split(","), strict=True)):
        for k in STAGE2:
            for score in ("train", "val"):
                vals, secs = _fear_scores(rows, j, k, score)
                add(f"FEAR {spec} ({t:.2f}), stage 2 {k} ep, {score} acc", "FEAR",
                    f"{spec}|{k}|{score}", vals, secs)  # fmt: skip
    curves = {a: by_arch[a].curves for a in (r["arch"] for r in rows)}
    for e in (1, 2, 3, 4, 5, 8):
        own = [curves[r["arch"]]["val_acc"][e - 1] for r in rows]
        add(f"own val acc at E={e}", "own accuracy", str(e), own, [e * s for s in epoch_s])
        sotl = [-curves[r["arch"]]["train_loss"][e - 1] for r in rows]
        add(f"SoTL-E at E={e}", "SoTL-E", str(e), sotl, [e * s for s in epoch_s])
    for e in FH_EPOCHS:
        vals = [r["fh"].get(str(e), {}).get("estimate", np.nan) for r in rows]
        secs = [e * s + r["fh"].get(str(e), {}).get("classifier_s", 0.0)
                for r, s in zip(rows, epoch_s, strict=True)]  # fmt: skip
        add(f"feature history E={e}", "feature history", str(e), vals, secs)
    raw = {}
    for line in (path / "cells.jsonl").read_text().splitlines():
        if line.strip():
            row = json.loads(line)
            raw[row["arch"]] = row
    for proxy in ("jacov", "nwot", "meco", "synflow"):
        vals = [by_arch[r["arch"]].scores.get(proxy, np.nan) for r in rows]
        # the benchmark timed its 15 proxies together (on another run): a fifteenth each
        per = [(raw[r["arch"]].get("proxy_time") or 0.0) / 15 for r in rows]
        add(proxy, "zero-cost", proxy, vals, per)
    targets = {"final": np.array([by_arch[r["arch"]].target for r in rows])}
    mean_col = [by_arch[r["arch"]].scores.get("val_acc_mean") for r in rows]
    if all(m is not None for m in mean_col):
        targets["seed mean"] = np.array(mean_col, dtype=float)
    info = {"cells": len(rows), "epoch_s": float(np.mean(epoch_s)), "name": bench.name,
            "full_s": float(np.mean(epoch_s)) * read_live_config(path).epochs}  # fmt: skip
    return table, {"targets": targets, **info}


def report(args: argparse.Namespace) -> None:
    panels = [_report_one(args)]
    for pair in args.also or []:
        bench, out = pair.split("=", 1)
        print()
        panels.append(_report_one(argparse.Namespace(**{**vars(args), "benchmark": bench,
                                                        "out": out, "json": None})))  # fmt: skip
    if args.plot:
        plot(panels, args.plot)


def _report_one(args: argparse.Namespace) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    table, info = estimates(args)
    target = info["targets"]["final"]
    mean_target = info["targets"].get("seed mean")
    print(f"{info['name']}: {info['cells']} cells; a full run {info['full_s']:.1f} s "
          f"({info['epoch_s']:.2f} s per epoch, this run)\n")  # fmt: skip
    extra = " | top-10% overlap (seed-mean target)" if mean_target is not None else ""
    print(
        f"| estimate | s per candidate | share of a full run | Spearman | top-10% overlap{extra} |"
    )
    print("|---|---|---|---|---|" + ("---|" if extra else ""))
    for row in table:
        ok = np.isfinite(row["values"])
        v = np.where(ok, row["values"], -np.inf)
        rho = _spearman(row["values"][ok], target[ok]) if ok.sum() > 2 else np.nan
        row["rho"], row["top"] = rho, _top_overlap(v, target)
        more = ""
        if mean_target is not None:
            row["top_mean"] = _top_overlap(v, mean_target)
            more = f" {row['top_mean']:.2f} |"
        print(f"| {row['name']} | {row['seconds']:.2f} | {row['seconds'] / info['full_s']:.1%} "
              f"| {rho:.3f} | {row['top']:.2f} |{more}")  # fmt: skip
    if args.json:
        Path(args.json).write_text(json.dumps(
            {"info": {k: v for k, v in info.items() if k != "targets"},
             "rows": [{k: v for k, v in r.items() if k != "values"} for r in table]},
            indent=1))  # fmt: skip
    return info, table


def plot(panels: list[tuple[dict[str, Any], list[dict[str, Any]]]], path: str) -> None:
    """Spearman and top-10% overlap against seconds per candidate, one row per benchmark."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(panels), 2, figsize=(12, 4.6 * len(panels)), squeeze=False)
    styles = {"own accuracy": ("tab:gray", "s"), "SoTL-E": ("tab:orange", "^"),
              "feature history": ("tab:green", "D"), "zero-cost": ("tab:purple", "*")}  # fmt: skip
    fear_colours = ["tab:blue", "tab:red", "tab:cyan", "tab:brown"]
    for (info, table), row_axes in zip(panels, axes, strict=True):
        for ax, key, label in zip(row_axes, ("rho", "top"),
                                  ("Spearman ρ with the final accuracy",
                                   "overlap of the top 10%"), strict=True):  # fmt: skip
            fams: dict[str, list[dict[str, Any]]] = {}
            for r in table:
                fam = r["family"]
                if fam == "FEAR":
                    if not r["setting"].endswith("|train"):
                        continue
                    fam = "FEAR " + r["setting"].split("|")[0]
                fams.setdefault(fam, []).append(r)
            i = 0
            for fam, rs in fams.items():
                rs = sorted(rs, key=lambda r: r["seconds"])
                x = [r["seconds"] for r in rs]
                y = [r[key] for r in rs]
                if fam.startswith("FEAR"):
                    colour, marker = fear_colours[i % len(fear_colours)], "o"
                    i += 1
                    name = f"{fam} (stage 2: 1, 2, 3, 5 epochs)"
                else:
                    colour, marker = styles[fam]
                    name = {"own accuracy": "network's own val acc after E epochs",
                            "SoTL-E": "SoTL-E after E epochs",
                            "feature history": "feature history, E = 1, 2",
                            "zero-cost": "jacov, nwot, MeCo, synflow"}[fam]  # fmt: skip
                style = "none" if fam == "zero-cost" else "-"
                ax.plot(x, y, linestyle=style, marker=marker, color=colour, label=name)
                if fam == "zero-cost":
                    for r in rs:
                        ax.annotate(r["setting"], (r["seconds"], r[key]), fontsize=7,
                                    xytext=(3, 3), textcoords="offset points")  # fmt: skip
            ax.set_xscale("log")
            ax.set_xlabel("seconds per candidate (trainer epochs in this run, 1 thread each)")
            ax.set_ylabel(label)
            ax.set_title(f"{info['name']} ({info['cells']} cells; a full run "
                         f"{info['full_s']:.0f} s)")  # fmt: skip
            ax.grid(alpha=0.3)
        row_axes[0].legend(fontsize=7, loc="best")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    parser = make_parser(__doc__)
    parser.add_argument("benchmark", help="nb201-digits, nb201-mnist or live:DIR")
    parser.add_argument("--out", required=True, help="rows (JSON lines), resumed")
    parser.add_argument("--cells", type=int, default=0, help="first N cells (default: all)")
    parser.add_argument("--thresholds", default="q0.5,q0.9,q0.99")
    parser.add_argument("--stage2-epochs", type=int, default=max(STAGE2))
    parser.add_argument("--max-epochs", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--report", action="store_true")
    parser.add_argument("--plot", default=None)
    parser.add_argument("--json", default=None, help="with --report: write the table as JSON")
    parser.add_argument("--also", action="append", help="with --report: BENCHMARK=OUT, another "
                        "benchmark's rows, as a second row of the plot")  # fmt: skip
    args = parser.parse_args()
    if args.report:
        report(args)
    else:
        sweep(args)


if __name__ == "__main__":
    main()
