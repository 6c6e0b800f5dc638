"""A Ray Tune search on a real small training task, early-stopped by nasperf's scheduler.

Tunes the 1-D CNN of ``optuna_mnist1d.py`` on MNIST-1D (learning rate, weight decay, width,
depth; Ray's random sampling with a fixed seed) for ``--epochs`` epochs a trial, ``--cpus``
trials at a time, one torch thread each. Each epoch's validation accuracy is reported to Ray
Tune; :class:`nasperf.integrations.ray_tune.PredictiveScheduler` (Baker et al.'s rule) stops a
trial at a checkpoint epoch once P(final >= best) <= delta. The same search is then run without
early stopping (Ray's FIFO scheduler) on the same configurations and seed, so every trial's
curve is the same in both and the two are compared epoch for epoch.

    python examples/ray_tune_mnist1d.py --trials 24 --epochs 20
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time

import ray
import torch
from mnist1d_common import train_trial
from ray import tune
from ray.tune.schedulers import FIFOScheduler, TrialScheduler
from ray.tune.search import BasicVariantGenerator

from nasperf.data import ArrayDataset, load_dataset
from nasperf.integrations.ray_tune import PredictiveScheduler
from nasperf.search import dense_checkpoints
from nasperf.training import Callback

SPACE = {
    "lr": tune.loguniform(1e-3, 1.0),
    "weight_decay": tune.loguniform(1e-6, 1e-2),
    "width": tune.lograndint(4, 49),
    "depth": tune.randint(1, 4),
}


class ReportToTune(Callback):
    """Reports each epoch's validation accuracy (Ray counts the epochs: training_iteration)."""

    def on_epoch_end(self, trainer, model, epoch, logs):  # noqa: ANN001, ANN201
        tune.report({"val_acc": float(logs["val_acc"])})


def trial(config: dict, data: ArrayDataset, epochs: int, seed: int) -> None:
    """One Ray Tune trial: the same seed for every configuration, so runs repeat exactly."""
    torch.set_num_threads(1)
    train_trial(config, data, epochs, seed, [ReportToTune()])


def search(args: argparse.Namespace, data: ArrayDataset, scheduler: TrialScheduler) -> dict:
    """Run the search with ``scheduler``; what it found and what it cost."""
    trainable = tune.with_parameters(trial, data=data, epochs=args.epochs, seed=args.seed)
    with tempfile.TemporaryDirectory() as storage:
        tuner = tune.Tuner(
            tune.with_resources(trainable, {"cpu": 1}),
            param_space=SPACE,
            tune_config=tune.TuneConfig(
                metric="val_acc",
                mode="max",
                scheduler=scheduler,
                search_alg=BasicVariantGenerator(random_state=args.seed),
                num_samples=args.trials,
                reuse_actors=True,  # a new process per trial would cost seconds (torch import)
            ),
            run_config=tune.RunConfig(storage_path=storage, name="mnist1d", verbose=0),
        )
        tick = time.perf_counter()
        grid = tuner.fit()
        seconds = time.perf_counter() - tick
    runs = {
        tuple(sorted(r.config.items())): (
            r.metrics.get("training_iteration", 0),
            r.metrics.get("val_acc", float("nan")),
        )
        for r in grid
    }
    best = grid.get_best_result(scope="last")
    return {
        "runs": runs,
        "epochs": sum(e for e, _ in runs.values()),
        "short": sum(e < args.epochs for e, _ in runs.values()),
        "best": tuple(sorted(best.config.items())),
        "best_acc": best.metrics["val_acc"],
        "seconds": seconds,
        "trial_seconds": sum(r.metrics.get("time_total_s", 0.0) for r in grid),
    }


def describe(name: str, found: dict, args: argparse.Namespace) -> None:
    full = args.trials * args.epochs
    print(
        f"{name}: {found['short']} of {args.trials} trials ended early; {found['epochs']} of "
        f"{full} epochs trained ({found['epochs'] / full:.0%}); best {found['best_acc']:.2f}% "
        f"({dict(found['best'])}); {found['seconds']:.0f} s wall-clock, "
        f"{found['trial_seconds']:.0f} s in the trials"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=24)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--delta", type=float, default=0.05)
    parser.add_argument("--min-completed", type=int, default=8)
    parser.add_argument("--cpus", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-fifo", action="store_true", help="skip the FIFO comparison")
    args = parser.parse_args()
    logging.getLogger("nasperf").setLevel(logging.WARNING)
    data = load_dataset("mnist1d", val_fraction=0.2, seed=args.seed)
    # a private instance of --cpus CPUs, even where a Ray head runs on the machine
    ray.init(address="local", num_cpus=args.cpus, include_dashboard=False, log_to_driver=False)
    try:
        baker = PredictiveScheduler(
            max_t=args.epochs,
            delta=args.delta,
            min_completed=args.min_completed,
            checkpoints=dense_checkpoints(args.epochs),
            log_params=("lr", "weight_decay", "width"),
        )
        stopped = search(args, data, baker)
        describe(f"PredictiveScheduler(delta={args.delta})", stopped, args)
        print(f"  {len(baker.stopped)} trials stopped by the rule in {baker.decisions} decisions")
        if args.no_fifo:
            return
        fifo = search(args, data, FIFOScheduler())
        describe("FIFO (no early stopping)", fifo, args)
    finally:
        ray.shutdown()
    kept = stopped["runs"][fifo["best"]]
    print(
        f"saving: {1 - stopped['epochs'] / fifo['epochs']:.0%} of the epochs "
        f"({fifo['epochs'] / stopped['epochs']:.1f}x fewer), "
        f"{1 - stopped['seconds'] / fifo['seconds']:.0%} of the wall-clock, "
        f"{1 - stopped['trial_seconds'] / fifo['trial_seconds']:.0%} of the trials' time; "
        "FIFO's best trial "
        f"ran {kept[0]} of {args.epochs} epochs with the scheduler ({kept[1]:.2f}% at the end)"
    )


if __name__ == "__main__":
    main()
