"""The options several commands share: one name, one meaning, one default; and the
live-training options as one object that builds the library's config."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
import typer

from nasperf.cli import app
from nasperf.cli.live import LiveTrainingOptions, with_live_training

LIVE_COMMANDS = ("make-benchmark", "search", "estimate")
LIVE_FLAGS = (
    "--space",
    "--dataset",
    "--cells",
    "--seed",
    "--epochs",
    "--batch-size",
    "--lr",
    "--optimizer",
    "--val-fraction",
    "--limit",
    "--nb201-c",
    "--nb201-n",
    "--size",
    "--channels",
    "--data-root",
)


def visible_options() -> dict[str, dict[str, Any]]:
    """``{flag: {command: option}}`` of every visible option of every command."""
    group: Any = typer.main.get_command(app)
    found: dict[str, dict[str, Any]] = {}
    for name, command in group.commands.items():
        for param in command.params:
            if param.param_type_name == "option" and not param.hidden:
                for flag in param.opts:
                    found.setdefault(flag, {})[name] = param
    return found


def test_every_shared_option_has_one_default_and_one_help() -> None:
    # the exceptions: --out says what each command writes (a file or a directory, required or
    # not); evaluate's --space is the space of a csv: benchmark's ids ('custom': any id);
    # search has no default benchmark (-b or --live), evaluate has one
    for flag, by_command in visible_options().items():
        if flag in ("--out", "--help", "--benchmark", "-b"):
            continue
        if flag == "--space":
            by_command = {k: v for k, v in by_command.items() if k != "evaluate"}
        defaults = {str(o.default) for o in by_command.values()}
        assert len(defaults) == 1, (flag, {k: o.default for k, o in by_command.items()})
        helps = {o.help for o in by_command.values()}
        if flag != "--cells":  # proxies also takes 'all'
            assert len(helps) == 1, (flag, helps)
    assert set(visible_options()["-b"]) == {"evaluate", "search"}


def test_the_live_commands_take_every_live_training_option() -> None:
    options = visible_options()
    for flag in LIVE_FLAGS:
        assert set(LIVE_COMMANDS) <= set(options[flag]), flag
    assert {"make-benchmark", "search", "estimate"} <= set(options["--workers"])
    assert {"search", "estimate"} <= set(options["--short-epochs"])
    assert "--full-epochs" not in options  # estimate's old name: hidden, an error with a hint


def test_the_unified_defaults() -> None:
    options = visible_options()

    def default(flag: str) -> object:
        return next(iter(options[flag].values())).default

    assert default("--nb201-c") == 16 and default("--nb201-n") == 5
    assert default("--epochs") == 30 and default("--short-epochs") == 2
    assert default("--val-fraction") == 0.1 and default("--batch-size") == 256
    assert default("--workers") == 1 and str(default("--cells")) == "100"
    assert default("--dataset") == "digits" and default("--limit") is None
    assert default("--size") is None and default("--channels") is None
    assert default("--proxy-batch") == 64


def test_live_training_defaults_are_the_librarys() -> None:
    from nasperf.benchmarks import LiveBenchmarkConfig
    from nasperf.training import TrainConfig

    library = LiveBenchmarkConfig()
    config = LiveTrainingOptions().config(proxies=library.proxies)
    assert config == library
    assert config.train == library.train and TrainConfig().lr == config.train.lr


def test_live_training_options_build_the_config() -> None:
    options = LiveTrainingOptions(
        dataset="mnist",
        cells=7,
        seed=3,
        epochs=9,
        batch_size=32,
        lr=0.05,
        optimizer="adam",
        val_fraction=0.25,
        limit=500,
        nb201_c=8,
        nb201_n=1,
        size=0,
        channels=3,
        data_root=Path("/data"),
    )
    config = options.config(proxies=("synflow",), proxy_batch=16)
    assert (config.dataset, config.cells, config.seed, config.C, config.N) == ("mnist", 7, 3, 8, 1)
    assert (config.size, config.channels, config.limit) == (None, 3, 500)
    assert (config.val_fraction, config.data_root) == (0.25, "/data")
    assert (config.proxies, config.proxy_batch) == (("synflow",), 16)
    t = config.train
    assert (t.epochs, t.batch_size, t.lr, t.optimizer) == (9, 32, 0.05, "adam")
    assert options.archs() == LiveTrainingOptions(cells=7, seed=3).archs()
    assert len(options.archs()) == 7


def test_with_live_training_checks_the_command() -> None:
    def no_parameter(x: int = 0) -> None: ...

    def clash(training: LiveTrainingOptions, seed: int = 0) -> None: ...

    with pytest.raises(TypeError, match="no 'training' parameter"):
        with_live_training(no_parameter)
    with pytest.raises(TypeError, match="seed"):
        with_live_training(clash)


def test_with_live_training_passes_one_object() -> None:
    got = []

    @with_live_training
    def command(training: LiveTrainingOptions, flag: bool = False) -> None:
        got.append((training, flag))

    defaults = LiveTrainingOptions()
    command(flag=True, **{f.name: getattr(defaults, f.name) for f in fields(defaults)})
    assert got == [(LiveTrainingOptions(), True)]


FEATURE_HISTORY_FLAGS = {
    "--short-epochs": "epochs",
    "--variant": "variant",
    "--k": "k",
    "--probe-size": "probe_size",
    "--layer": "layer",
    "--ema-decay": "ema_decay",
    "--c": "c",
}


def test_feature_history_options_are_the_settings_defaults_in_both_commands() -> None:
    from nasperf.predictors.training_based import FeatureHistorySettings

    library = FeatureHistorySettings()
    options = visible_options()
    for flag, field in FEATURE_HISTORY_FLAGS.items():
        assert {"search", "estimate"} <= set(options[flag]), flag
        assert options[flag]["estimate"].default == getattr(library, field), flag


@pytest.mark.parametrize(
    "extra, fragment",
    [
        (["--ema-decay", "1.5"], "ema_decay must be"),
        (["--c", "0"], "c must be a finite number > 0"),
        (["--variant", "knn"], "variant must be one of"),
        (["--k", "0"], "k must be an integer >= 1"),
    ],
)
@pytest.mark.parametrize("command", ["estimate", "search"])
def test_bad_feature_history_settings_fail_before_any_work(
    tmp_path: Path, capsys, command: str, extra: list[str], fragment: str
) -> None:
    from cli_helpers import assert_one_line_error, run

    live = ["--live", "--strategy", "sample-and-estimate"] if command == "search" else []
    out = tmp_path / "out"
    code, _, err = run(capsys, command, *live, "--cells", "2", *extra, "--out", str(out))
    assert_one_line_error(code, err, fragment)
    assert not out.exists()
