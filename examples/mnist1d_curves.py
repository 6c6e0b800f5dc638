"""Your own learning curves with nasperf: train, export, evaluate predictors, stop-check.

Trains ``--configs`` configurations of a small 1-D CNN on MNIST-1D (learning rate, weight decay,
width and depth drawn with ``--seed``; nasperf's Trainer, one torch thread, each run seeded), and
writes their curves in the long CSV format of ``curves:PATH`` (one row per run and epoch:
``run, epoch, train_loss, train_acc, val_loss, val_acc, epoch_time`` and the configuration
``lr, weight_decay, width, depth``). Then, as a user would from a shell:

    nasperf evaluate -b curves:OUT/curves.csv --fidelities 1,2,3,5,8 \\
        -p early-stop-acc,early-stop-loss,lce,lcsvr --train-sizes 10,20 --test-size all
    nasperf stop-check --history OUT/finished.csv --running OUT/running.csv

where ``finished.csv`` holds the first ``--finished`` runs and ``running.csv`` the others cut at
a random epoch (as if they were still training); the script then prints each running job's
true final beside the decision. About a minute and a half on two cores:

    python examples/mnist1d_curves.py --configs 40 --epochs 20 --out runs/mnist1d-curves
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from mnist1d_common import train_trial

from nasperf.cli import main as nasperf
from nasperf.data import load_dataset
from nasperf.integrations.stop_check import stop_check

CURVES = ("train_loss", "train_acc", "val_loss", "val_acc", "epoch_time")


def draw_configs(n: int, seed: int) -> list[dict[str, float]]:
    """``n`` configurations, log-uniform learning rate and weight decay, width and depth."""
    rng = np.random.default_rng(seed)
    return [
        {
            "lr": float(10 ** rng.uniform(-3, 0)),
            "weight_decay": float(10 ** rng.uniform(-6, -2)),
            "width": int(round(2 ** rng.uniform(2, 5.6))),
            "depth": int(rng.integers(1, 4)),
        }
        for _ in range(n)
    ]


def train_all(configs: list[dict[str, float]], epochs: int, seed: int) -> pd.DataFrame:
    """Every configuration trained for ``epochs``: the long frame of their curves."""
    data = load_dataset("mnist1d", val_fraction=0.2, seed=seed)
    rows = []
    for i, params in enumerate(configs):
        result = train_trial(params, data, epochs, seed + i)
        n = len(result.curves["val_acc"])
        print(f"run c{i:02d} {params}: {result.status}, val_acc "
              f"{result.curves['val_acc'][-1]:.1f} after {n} epochs", flush=True)
        for e in range(n):
            row = {"run": f"c{i:02d}", "epoch": e + 1, **params}
            row.update({name: float(result.curves[name][e]) for name in CURVES})
            rows.append(row)
    return pd.DataFrame(rows)


def split(frame: pd.DataFrame, finished: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The first ``finished`` runs whole, the others cut at a random epoch (still running)."""
    runs = list(dict.fromkeys(frame["run"]))
    done = frame[frame["run"].isin(runs[:finished])]
    rng = np.random.default_rng(seed)
    top = int(frame["epoch"].max())
    cut = {r: int(rng.integers(2, max(3, top // 2))) for r in runs[finished:]}
    now = frame[frame["run"].isin(cut) & (frame["epoch"] <= frame["run"].map(cut))]
    return done, now


def run_nasperf(*args: str) -> None:
    print("\n$ nasperf " + " ".join(args), flush=True)
    code = nasperf(list(args))
    if code:
        sys.exit(code)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--configs", type=int, default=40)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--finished", type=int, default=28, help="runs in finished.csv")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--out", type=Path, default=Path("runs/mnist1d-curves"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    logging.getLogger("nasperf").setLevel(logging.WARNING)
    args.out.mkdir(parents=True, exist_ok=True)

    tick = time.perf_counter()
    frame = train_all(draw_configs(args.configs, args.seed), args.epochs, args.seed)
    curves = args.out / "curves.csv"
    frame.to_csv(curves, index=False)
    print(f"{args.configs} runs trained in {time.perf_counter() - tick:.0f} s: {curves}")

    fids = ",".join(str(f) for f in (1, 2, 3, 5, 8) if f < args.epochs)
    train = max(3, (args.configs - 4) // 2)
    run_nasperf("evaluate", "-b", f"curves:{curves}", "--fidelities", fids,
                "-p", "early-stop-acc,early-stop-loss,lce,lcsvr",
                "--train-sizes", f"{max(3, train // 2)},{train}", "--test-size", "all",
                "--trials", str(args.trials), "--seed", str(args.seed))

    done, now = split(frame, args.finished, args.seed)
    history, running = args.out / "finished.csv", args.out / "running.csv"
    done.to_csv(history, index=False)
    now.to_csv(running, index=False)
    run_nasperf("stop-check", "--history", str(history), "--running", str(running))

    finals = frame[frame["epoch"] == frame["epoch"].max()].set_index("run")["val_acc"]
    print("\nthe running jobs' true finals (they were trained to the end):")
    for d in stop_check(history, running):
        print(f"  {d.run}: {d.action:8s} at epoch {d.epochs:2d}, predicted {d.mean:6.2f}, "
              f"true final {finals.get(d.run, float('nan')):6.2f} (best finished {d.best:.2f})")


if __name__ == "__main__":
    main()
