"""Learning curves of small MLPs on scikit-learn's digits, with several optimisers and learning
rates (a development set for the curve predictors, issue 23): one long CSV in the format of
``curves:PATH`` (``run, epoch, train_loss, val_loss, val_acc`` and the configuration).

    python experiments/mlp_curves.py --runs 120 --epochs 40 --out runs/pfn/mlp_digits.csv

Each run draws an optimiser (SGD with momentum, Adam, RMSprop, Adagrad), a log-uniform learning
rate over four decades (the high ones diverge), a width, a depth and a batch size, and is
trained with one torch thread from its own seed. Deterministic for a given ``--seed``.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from sklearn.datasets import load_digits

OPTIMISERS = ("sgd", "adam", "rmsprop", "adagrad")


def draw(rng: np.random.Generator) -> dict[str, object]:
    opt = OPTIMISERS[int(rng.integers(len(OPTIMISERS)))]
    centre = {"sgd": -1.5, "adam": -2.5, "rmsprop": -2.8, "adagrad": -1.5}[opt]
    return {
        "optimiser": opt,
        "lr": float(10 ** rng.uniform(centre - 2.0, centre + 1.5)),
        "width": int(2 ** rng.integers(3, 8)),
        "depth": int(rng.integers(1, 4)),
        "batch": int(2 ** rng.integers(4, 8)),
    }


def train(cfg: dict, data: tuple, epochs: int, seed: int) -> list[dict[str, float]]:
    xtr, ytr, xva, yva = data
    torch.manual_seed(seed)
    layers, width_in = [], xtr.shape[1]
    for _ in range(cfg["depth"]):
        layers += [torch.nn.Linear(width_in, cfg["width"]), torch.nn.ReLU()]
        width_in = cfg["width"]
    net = torch.nn.Sequential(*layers, torch.nn.Linear(width_in, 10))
    params, lr = net.parameters(), cfg["lr"]
    opt = {
        "sgd": lambda: torch.optim.SGD(params, lr=lr, momentum=0.9),
        "adam": lambda: torch.optim.Adam(params, lr=lr),
        "rmsprop": lambda: torch.optim.RMSprop(params, lr=lr),
        "adagrad": lambda: torch.optim.Adagrad(params, lr=lr),
    }[cfg["optimiser"]]()
    loss_fn = torch.nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(seed)
    rows = []
    for epoch in range(1, epochs + 1):
        net.train()
        total, seen = 0.0, 0
        for idx in torch.randperm(len(xtr), generator=gen).split(cfg["batch"]):
            loss = loss_fn(net(xtr[idx]), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
            seen += len(idx)
        net.eval()
        with torch.no_grad():
            out = net(xva)
            val_loss = float(loss_fn(out, yva))
            val_acc = 100.0 * float((out.argmax(1) == yva).float().mean())
        rows.append(
            {"epoch": epoch, "train_loss": total / seen, "val_loss": val_loss, "val_acc": val_acc}
        )
        if not math.isfinite(val_loss):
            break  # diverged: the run ends here, as a real job would
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=120)
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    torch.set_num_threads(1)
    x, y = load_digits(return_X_y=True)
    order = np.random.default_rng(args.seed).permutation(len(x))
    x = torch.tensor(x[order] / 16.0, dtype=torch.float32)
    y = torch.tensor(y[order])
    cut = int(0.7 * len(x))
    data = (x[:cut], y[:cut], x[cut:], y[cut:])
    rng = np.random.default_rng(args.seed)
    frames = []
    for run in range(args.runs):
        cfg = draw(rng)
        rows = train(cfg, data, args.epochs, args.seed * 10_000 + run)
        frame = pd.DataFrame(rows)
        frame.insert(0, "run", f"r{run:03d}")
        for k, v in cfg.items():
            frame[k] = v
        frames.append(frame)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    pd.concat(frames).to_csv(args.out, index=False)
    print(f"wrote {args.out}: {args.runs} runs of up to {args.epochs} epochs")


if __name__ == "__main__":
    main()
