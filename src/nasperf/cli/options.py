"""Every option more than one command takes, defined once: one name, one meaning, one default.

A command reuses an option by using it as a parameter's default (typer copies it), e.g.
``seed: int = SEED``. The live-training options (``--space`` to ``--data-root``) reach a
command as one :class:`~nasperf.cli.live.LiveTrainingOptions` instead (see
:func:`~nasperf.cli.live.with_live_training`), and take their defaults from here.

Their defaults are those of :class:`nasperf.benchmarks.LiveBenchmarkConfig` and its
:class:`nasperf.training.TrainConfig` (NB201's recipe and network: C=16, N=5), so a command
and the library make the same cell from the same settings.
"""

from __future__ import annotations

from typing import Any

import typer

__all__ = [
    "SEED",
    "WORKERS",
    "EXECUTOR",
    "ADDRESS",
    "THREADS",
    "SPACE",
    "DATASET",
    "CELLS",
    "CELLS_OR_ALL",
    "EPOCHS",
    "SHORT_EPOCHS",
    "DEVICE",
    "FORMAT",
    "VARIANT",
    "K",
    "PROBE_SIZE",
    "LAYER",
    "EMA_DECAY",
    "C",
    "LIMIT",
    "VAL_FRACTION",
    "BATCH_SIZE",
    "LR",
    "OPTIMIZER",
    "NB201_C",
    "NB201_N",
    "SIZE",
    "CHANNELS",
    "DATA_ROOT",
    "PROXIES",
    "PROXY_BATCH",
    "LIVE_PANEL",
    "out_option",
    "CURVE",
    "MINIMIZE",
    "RUN_COLUMN",
    "EPOCH_COLUMN",
    "TARGET_EPOCH",
    "TARGET",
    "CURVES_PANEL",
    "FH_PANEL",
]

#: the help panel of the live-training options
LIVE_PANEL = "Live training"

# -- running -------------------------------------------------------------------------------------
SEED: Any = typer.Option(
    0, "--seed", help="seed of the cell sample, data splits, weights and order of candidates"
)
WORKERS: Any = typer.Option(
    1, "--workers", help="tasks run at once (processes or Ray workers; simulated on a table)"
)
EXECUTOR: Any = typer.Option("local", "--executor", help="where tasks run: local or ray")
ADDRESS: Any = typer.Option(
    None, "--address", help="ray: cluster address ('auto' or HOST:PORT; default: start one)"
)
THREADS: Any = typer.Option(1, "--threads", help="torch threads per cell")

# -- live training (the fields of LiveTrainingOptions) -------------------------------------------
SPACE: Any = typer.Option(
    "nb201", "--space", help="search space whose cells are built", rich_help_panel=LIVE_PANEL
)
DATASET: Any = typer.Option(
    "digits",
    "--dataset",
    help="digits, mnist or cifar10 (images; mnist1d: 1-D signals)",
    rich_help_panel=LIVE_PANEL,
)
CELLS: Any = typer.Option(
    100, "--cells", help="cells sampled (fixed by --seed)", rich_help_panel=LIVE_PANEL
)
#: ``--cells`` where every cell of the space may be asked for; same default as :data:`CELLS`
CELLS_OR_ALL: Any = typer.Option(
    str(CELLS.default), "--cells", help="cells sampled (fixed by --seed), or 'all'"
)
EPOCHS: Any = typer.Option(
    30,
    "--epochs",
    help="length of a full training run (its learning-rate schedule)",
    rich_help_panel=LIVE_PANEL,
)
LIMIT: Any = typer.Option(
    None, "--limit", help="cap the training split", rich_help_panel=LIVE_PANEL
)
VAL_FRACTION: Any = typer.Option(
    0.1,
    "--val-fraction",
    help="share of the data held out for validation",
    rich_help_panel=LIVE_PANEL,
)
BATCH_SIZE: Any = typer.Option(
    256, "--batch-size", help="training batch size", rich_help_panel=LIVE_PANEL
)
LR: Any = typer.Option(
    0.1, "--lr", help="initial learning rate (cosine to 0)", rich_help_panel=LIVE_PANEL
)
OPTIMIZER: Any = typer.Option(
    "sgd", "--optimizer", help="sgd, adam or adamw", rich_help_panel=LIVE_PANEL
)
NB201_C: Any = typer.Option(
    16, "--nb201-c", help="channels of the first NB201 stage", rich_help_panel=LIVE_PANEL
)
NB201_N: Any = typer.Option(
    5, "--nb201-n", help="NB201 cells per stage", rich_help_panel=LIVE_PANEL
)
SIZE: Any = typer.Option(
    None,
    "--size",
    help="resize inputs to SIZE x SIZE (default or 0: keep)",
    rich_help_panel=LIVE_PANEL,
)
CHANNELS: Any = typer.Option(
    None,
    "--channels",
    help="1 or 3 input channels (default or 0: keep)",
    rich_help_panel=LIVE_PANEL,
)
DATA_ROOT: Any = typer.Option(
    None,
    "--data-root",
    help="directory of the dataset (default: under NASPERF_DATA)",
    rich_help_panel=LIVE_PANEL,
)

FORMAT: Any = typer.Option("table", "--format", help="table or json")
DEVICE: Any = typer.Option(
    "auto",
    "--device",
    help="where networks train and proxies run: auto (a GPU when there is one), cpu, cuda[:N]",
)

# -- short budgets and proxies -------------------------------------------------------------------
SHORT_EPOCHS: Any = typer.Option(
    2, "--short-epochs", help="short training budget E of an estimate (at most --epochs)"
)
# the proxy classifier of a feature-history estimate (defaults: FeatureHistorySettings')
FH_PANEL = "feature-history options"
VARIANT: Any = typer.Option(
    "concat", "--variant", help="concat, consensus or ema", rich_help_panel=FH_PANEL
)
K: Any = typer.Option(
    2, "--k", help="epochs of history used (concat, consensus)", rich_help_panel=FH_PANEL
)
PROBE_SIZE: Any = typer.Option(
    256, "--probe-size", help="training images whose features are kept", rich_help_panel=FH_PANEL
)
LAYER: Any = typer.Option(
    None,
    "--layer",
    help="module to capture (default: the classifier's input)",
    rich_help_panel=FH_PANEL,
)
EMA_DECAY: Any = typer.Option(
    0.5, "--ema-decay", help="ema: weight decay per epoch back, in [0, 1)", rich_help_panel=FH_PANEL
)
C: Any = typer.Option(
    1.0,
    "--c",
    help="inverse regularisation strength of the logistic proxy classifier",
    rich_help_panel=FH_PANEL,
)
PROXIES: Any = typer.Option(
    None, "--proxies", help="comma-separated zero-cost proxies (default: all 15)"
)
PROXY_BATCH: Any = typer.Option(
    64, "--proxy-batch", help="training examples in the batch the proxies are computed on"
)


# -- your own learning curves (curves:PATH, stop-check) ------------------------------------------
CURVES_PANEL = "curves files (curves:PATH)"
CURVE: Any = typer.Option(
    None,
    "--curve",
    help="the metric whose last epoch is the target (default: val_acc, else val_loss, else the "
    "only curve); the predictors that read val_acc read it",
    rich_help_panel=CURVES_PANEL,
)
MINIMIZE: Any = typer.Option(
    None,
    "--minimize/--maximize",
    help="lower or higher is better (default: the metric's name's way, loss/error/mse... or "
    "acc/auc/f1, else the way its runs clearly go, else an error asking for one)",
    rich_help_panel=CURVES_PANEL,
)
RUN_COLUMN: Any = typer.Option(
    None,
    "--run-column",
    help="the run id column (default: run, run_id, trial, trial_id, id, arch, ...)",
    rich_help_panel=CURVES_PANEL,
)
EPOCH_COLUMN: Any = typer.Option(
    None, "--epoch-column", help="the epoch column (default: epoch)", rich_help_panel=CURVES_PANEL
)
TARGET_EPOCH: Any = typer.Option(
    None,
    "--target-epoch",
    help="the epoch whose value of the curve is the target (default: the runs' last; an earlier "
    "one, as when every run diverged after it, only when named)",
    rich_help_panel=CURVES_PANEL,
)

TARGET: Any = typer.Option(
    None,
    "--target",
    help="csv: the column to predict (a search looks for its highest); curves: a column "
    "instead of --curve's last",
)


def out_option(what: str, *, required: bool = False) -> Any:
    """``--out``: what the command writes there (``what``), required or not."""
    return typer.Option(... if required else None, "--out", help=what)


def option(default: Any, flag: str, help: str, panel: str | None = None, **kw: Any) -> Any:
    """A typer option in one line: its default, flag, help and help panel."""
    return typer.Option(default, flag, help=help, rich_help_panel=panel, **kw)
