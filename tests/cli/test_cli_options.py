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

#: the strategies of ``nasperf search STRATEGY``, each a subcommand with its own options
SEARCH_STRATEGIES = ("random", "sh", "hyperband", "asha", "re", "ls", "bananas", "npenas",
                     "metaqnn", "fear", "sample-and-estimate")  # fmt: skip
SEARCH_COMMANDS = tuple(f"search {s}" for s in SEARCH_STRATEGIES)
LIVE_COMMANDS = ("make-benchmark", *SEARCH_COMMANDS, "estimate")
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


def _commands(group: Any, prefix: str = "") -> dict[str, Any]:
    """``{name: command}`` of every command under ``group``, a subcommand of a group named
    with its group (``search bananas``); a group itself is no command."""
    found: dict[str, Any] = {}
    for name in group.list_commands(None):  # the application's commands load on first use
        command = group.get_command(None, name)
        if hasattr(command, "commands"):
            found.update(_commands(command, f"{prefix}{name} "))
        else:
            found[prefix + name] = command
    return found


def visible_options() -> dict[str, dict[str, Any]]:
    """``{flag: {command: option}}`` of every visible option of every command (each search
    strategy counted as a command: ``search bananas``)."""
    found: dict[str, dict[str, Any]] = {}
    for name, command in _commands(typer.main.get_command(app)).items():
        for param in command.params:
            if param.param_type_name == "option" and not param.hidden:
                for flag in param.opts:
                    found.setdefault(flag, {})[name] = param
    return found


def test_the_search_subcommands_are_counted() -> None:
    commands = _commands(typer.main.get_command(app))
    assert set(SEARCH_COMMANDS) <= set(commands) and "search" not in commands
    assert {"evaluate", "estimate", "make-benchmark", "proxies"} <= set(commands)


#: flags whose help says what they mean in search, and another thing in the other commands:
#: search's --workers also runs a table's seeds at once; its --predictor is a search's
#: surrogate (stop-check's: a curve model), its --features a table's zero-cost columns
#: (evaluate's: a csv:'s feature columns). Each is one option within search, and one without.
SEARCH_MEANING = ("--workers", "--predictor", "--features")
#: --k: candidates per surrogate fit (default 10) in search bananas/npenas, epochs of feature
#: history (default 2) in search sample-and-estimate and estimate: two meanings in search too


def _one_default_and_one_help(flag: str, by_command: dict[str, Any]) -> None:
    defaults = {str(o.default) for o in by_command.values()}
    assert len(defaults) == 1, (flag, {k: o.default for k, o in by_command.items()})
    # a table search marks the options it refuses "(live only)": the same help otherwise
    helps = {(o.help or "").removesuffix(" (live only)") for o in by_command.values()}
    if flag != "--cells":  # proxies also takes 'all'
        assert len(helps) == 1, (flag, helps)


def test_every_shared_option_has_one_default_and_one_help() -> None:
    # the exceptions: --out says what each command writes (a file or a directory, required or
    # not); evaluate's --space is the space of a csv: benchmark's ids ('custom': any id);
    # search has no default benchmark (-b or --live), evaluate has one; SEARCH_MEANING
    for flag, by_command in visible_options().items():
        if flag in ("--out", "--help", "--benchmark", "-b"):
            continue
        if flag == "--space":
            by_command = {k: v for k, v in by_command.items() if k != "evaluate"}
        if flag in SEARCH_MEANING:
            search = {k: v for k, v in by_command.items() if k.startswith("search ")}
            others = {k: v for k, v in by_command.items() if k not in search}
            for group in (search, others):
                if group:
                    _one_default_and_one_help(flag, group)
        else:
            _one_default_and_one_help(flag, by_command)
    assert set(visible_options()["-b"]) == {"evaluate", *SEARCH_COMMANDS}
    workers = visible_options()["--workers"]
    assert {str(o.default) for o in workers.values()} == {"1"}


def test_k_means_one_thing() -> None:
    options = visible_options()["--k"]
    assert set(options) == {"estimate", "search sample-and-estimate"}
    _one_default_and_one_help("--k", options)
    assert {"search bananas", "search npenas"} <= set(visible_options()["--batch"])


def test_the_live_commands_take_every_live_training_option() -> None:
    options = visible_options()
    space_drawn = {f"search {s}" for s in ("re", "ls", "bananas", "npenas", "metaqnn")}
    for flag in LIVE_FLAGS:
        # the strategies that draw cells from the whole space as they go take no --cells
        expected = set(LIVE_COMMANDS) - (space_drawn if flag == "--cells" else set())
        assert expected <= set(options[flag]), flag
    assert not space_drawn & set(options["--cells"])
    assert {"make-benchmark", *SEARCH_COMMANDS, "estimate"} <= set(options["--workers"])
    fitness = {f"search {s}" for s in ("random", "re", "ls", "bananas", "npenas", "metaqnn")}
    short = {"search sample-and-estimate", "estimate", *fitness}
    assert short == set(options["--short-epochs"])
    for flag in ("--live", "--seed", "--executor"):
        assert set(SEARCH_COMMANDS) <= set(options[flag]), flag
    assert set(options["--seeds"]) == set(SEARCH_COMMANDS)  # the aliases of random too
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
        assert {"search sample-and-estimate", "estimate"} <= set(options[flag]), flag
        assert options[flag]["estimate"].default == getattr(library, field), flag
        search = options[flag]["search sample-and-estimate"]
        assert search.default == getattr(library, field), flag
        others = set(options[flag]) - {"search sample-and-estimate", "estimate"}
        # the strategies' short-budget fitness takes --short-epochs (the same option)
        fitness = {f"search {s}" for s in ("random", "re", "ls", "bananas", "npenas", "metaqnn")}
        assert others <= (fitness if flag == "--short-epochs" else set()), (flag, others)


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

    live = ["sample-and-estimate", "--live"] if command == "search" else []
    out = tmp_path / "out"
    code, _, err = run(capsys, command, *live, "--cells", "2", *extra, "--out", str(out))
    assert_one_line_error(code, err, fragment)
    assert not out.exists()
