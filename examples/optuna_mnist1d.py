"""An Optuna study on a real small training task, pruned by nasperf's PredictivePruner.

Tunes a 1-D convolutional network on MNIST-1D (the installed ``mnist1d`` package's data, or
``$NASPERF_DATA/images/mnist1d_data.pkl``): learning rate, weight decay, width and depth, 20
epochs each with nasperf's Trainer. Each epoch's validation accuracy is reported to Optuna;
Baker et al.'s rule prunes a trial once P(final >= best) <= delta. Prints how many trials were
pruned and the epochs saved against training every trial to the end.

    python examples/optuna_mnist1d.py --trials 60 --epochs 20
"""

from __future__ import annotations

import argparse
import logging
import time

import optuna
import torch
from mnist1d_common import train_trial

from nasperf.data import load_dataset
from nasperf.integrations.optuna import PredictivePruner
from nasperf.training import Callback


class ReportToOptuna(Callback):
    """Reports each epoch's validation accuracy and stops the run when Optuna says prune."""

    def __init__(self, trial: optuna.Trial) -> None:
        self.trial = trial
        self.pruned = False

    def on_epoch_end(self, trainer, model, epoch, logs):  # noqa: ANN001, ANN201
        self.trial.report(logs["val_acc"], epoch)
        if self.trial.should_prune():
            self.pruned = True
            return True
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=60)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--delta", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-prune", action="store_true")
    args = parser.parse_args()
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    logging.getLogger("nasperf").setLevel(logging.WARNING)
    torch.set_num_threads(1)

    data = load_dataset("mnist1d", val_fraction=0.2, seed=args.seed)
    epochs_run = []

    def objective(trial: optuna.Trial) -> float:
        params = {
            "lr": trial.suggest_float("lr", 1e-3, 1.0, log=True),
            "weight_decay": trial.suggest_float("weight_decay", 1e-6, 1e-2, log=True),
            "width": trial.suggest_int("width", 4, 48, log=True),
            "depth": trial.suggest_int("depth", 1, 3),
        }
        callback = ReportToOptuna(trial)
        result = train_trial(params, data, args.epochs, args.seed + trial.number, [callback])
        epochs_run.append(result.epochs_completed)
        if callback.pruned:
            raise optuna.TrialPruned()
        if not result.ok:
            return 0.0  # diverged: the worst accuracy
        return float(result.curves["val_acc"][-1])

    pruner = optuna.pruners.NopPruner() if args.no_prune else PredictivePruner(delta=args.delta)
    sampler = optuna.samplers.RandomSampler(seed=args.seed)
    study = optuna.create_study(direction="maximize", sampler=sampler, pruner=pruner)
    tick = time.perf_counter()
    study.optimize(objective, n_trials=args.trials)
    states = [t.state for t in study.trials]
    pruned = sum(s == optuna.trial.TrialState.PRUNED for s in states)
    full = args.trials * args.epochs
    print(f"{args.trials} trials, {pruned} pruned ({pruned / args.trials:.0%}); "
          f"{sum(epochs_run)} of {full} epochs trained ({sum(epochs_run) / full:.0%}); "
          f"best value {study.best_value:.2f} (trial {study.best_trial.number}, "
          f"{study.best_trial.params}); {time.perf_counter() - tick:.0f} s")


if __name__ == "__main__":
    main()
