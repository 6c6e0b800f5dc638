"""``nasperf search STRATEGY``: one subcommand per strategy, each with its own options; the
shared options reach a live search; seeds on a table; errors before any training."""

from __future__ import annotations

import csv
import json
import re

import pytest
import typer
from cli_helpers import Stop, assert_one_line_error, run

import nasperf.search
from helpers import needs_data
from nasperf.cli import app
from nasperf.search import TabularBackend

SUBCOMMANDS = ("random", "sh", "hyperband", "asha", "re", "ls", "bananas", "npenas", "metaqnn",
               "fear", "sample-and-estimate")  # fmt: skip
RULE = {"--rule", "--delta", "--min-completed", "--dense"}
FEAR = {"--threshold", "--stage2-epochs", "--time-ratio"}
FITNESS = {"--fitness", "--short-epochs", "--top-k", *FEAR}
SURROGATE = {"--queries", "--budget", "--predictor", "--init", "--batch", "--candidates",
             "--parents", "--mutations"}  # fmt: skip
#: the options of each subcommand that not every subcommand has
OWN = {
    "random": {"--queries", "--budget", "--cells", *RULE, *FITNESS},
    "sh": {"--budget", "--cells", "--n", "--eta", "--min-epochs", *RULE},
    "hyperband": {"--budget", "--cells", "--eta", "--min-epochs", *RULE},
    "asha": {"--budget", "--cells", "--in-flight", "--eta", "--min-epochs", *RULE},
    "re": {"--queries", "--budget", "--population", "--sample", *FITNESS},
    "ls": {"--queries", "--budget", "--init", "--first-improvement", *FITNESS},
    "bananas": {*SURROGATE, "--acquisition", "--features", *FITNESS},
    "npenas": {*SURROGATE, "--features", *FITNESS},
    "metaqnn": {"--models", "--alpha", "--gamma", "--replay", *RULE, *FITNESS},
    "fear": {"--queries", "--cells", "--top-k", *FEAR},
    "sample-and-estimate": {
        "--cells",
        "--estimator",
        "--top-k",
        "--short-epochs",
        "--variant",
        "--k",
        "--probe-size",
        "--layer",
        "--ema-decay",
        "--c",
    },  # fmt: skip
}
for _name in SUBCOMMANDS:  # every search: seeds, in flight (an alias of random too)
    OWN[_name] = OWN[_name] | {"--seeds", "--in-flight"}
#: what every subcommand takes: where it runs, seeds, workers, curves: and live training
COMMON = {"--benchmark", "--live", "--out", "--workers", "--executor", "--address",
          "--seed", "--device", "--curve", "--minimize", "--run-column", "--epoch-column",
          "--space", "--dataset", "--epochs", "--batch-size", "--lr", "--optimizer",
          "--val-fraction", "--limit", "--nb201-c", "--nb201-n", "--size", "--channels",
          "--data-root"}  # fmt: skip


class WorkStarted(Exception):
    """Raised by the stand-ins of a search's first unit of work."""


def _work(*args: object, **kwargs: object) -> None:
    raise WorkStarted


@pytest.fixture
def no_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """A search that gets as far as its first seed, job or live run fails the test."""
    monkeypatch.setattr(nasperf.search, "run_seeds", _work)
    monkeypatch.setattr(TabularBackend, "submit", _work)
    monkeypatch.setattr(nasperf.search.backends.LiveBackend, "submit", _work)


@pytest.fixture
def live_config(monkeypatch: pytest.MonkeyPatch) -> list:
    """The config a live search hands its evaluator (the search stops there)."""
    seen = []

    def evaluator(config, executor, workdir, seed=0, device="cpu"):  # noqa: ANN001, ANN202
        seen.append((config, seed))
        raise Stop

    monkeypatch.setattr(nasperf.search.backends, "LiveBackend", evaluator)
    return seen


def _row(out: str) -> dict[str, str]:
    """The one row of the table printed in ``out``, by column name."""
    header = next(line for line in out.splitlines() if line.startswith("┃"))
    rows = [line for line in out.splitlines() if line.startswith("│")]
    assert len(rows) == 1, out
    names = [c.strip() for c in header.strip("┃").split("┃")]
    return dict(zip(names, (c.strip() for c in rows[0].strip("│").split("│")), strict=True))


# -- the subcommands and their options ------------------------------------------------------------
def test_search_is_a_group_of_one_subcommand_per_strategy(capsys) -> None:
    group = typer.main.get_command(app).get_command(None, "search")  # imported on first use
    assert tuple(group.commands) == SUBCOMMANDS
    code, out, _ = run(capsys, "search")  # no subcommand: the help, as typer's no_args_is_help
    assert code == 2
    assert all(name in out for name in SUBCOMMANDS)
    code, _, err = run(capsys, "search", "--strategy", "hyperband", "-b", "nb201-digits")
    assert_one_line_error(code, err, "No such option: --strategy")
    code, _, err = run(capsys, "search", "bohb", "-b", "nb201-digits")
    assert_one_line_error(code, err, "No such command 'bohb'")


def _listed(help_text: str) -> set[str]:
    """The options a help screen lists (the first column of its panels)."""
    return set(re.findall(r"^│ (--[a-z0-9-]+)", help_text, re.MULTILINE))


@pytest.mark.parametrize("name", SUBCOMMANDS)
def test_each_subcommand_lists_its_own_options_and_not_the_others(capsys, name: str) -> None:
    code, out, _ = run(capsys, "search", name, "--help")
    assert code == 0 and f"nasperf search {name}" in out
    listed = _listed(out)
    assert COMMON | OWN[name] <= listed, sorted(COMMON | OWN[name] - listed)
    others = set().union(*OWN.values()) - OWN[name]
    assert not listed & others, sorted(listed & others)


def test_help_examples(capsys) -> None:
    def listed(name: str) -> set[str]:
        code, out, _ = run(capsys, "search", name, "--help")
        assert code == 0
        return _listed(out)

    re_options = listed("re")
    assert "--population" in re_options and "--sample" in re_options
    assert not {"--rule", "--eta", "--predictor", "--n", "--asha-workers"} & re_options
    assert {"--acquisition", "--predictor", "--queries"} <= listed("bananas")
    assert {"--rule", "--models", "--dense"} <= listed("metaqnn")
    assert {"--in-flight", "--eta"} <= listed("asha") and "--asha-workers" not in listed("asha")
    assert "--n" in listed("sh") and "--n" not in listed("hyperband")
    assert {"--estimator", "--top-k", "--short-epochs"} <= listed("sample-and-estimate")


#: (subcommand, another strategy's option with a value)
FOREIGN = [
    ("random", ["--eta", "3"]),
    ("sh", ["--population", "5"]),
    ("hyperband", ["--n", "3"]),
    ("asha", ["--queries", "5"]),
    ("re", ["--rule", "baker"]),
    ("ls", ["--predictor", "rf"]),
    ("bananas", ["--dense"]),
    ("npenas", ["--acquisition", "ucb"]),
    ("metaqnn", ["--budget", "300"]),
    ("sample-and-estimate", ["--queries", "5"]),
    ("hyperband", ["--top-k", "3"]),
]


@pytest.mark.parametrize("name, option", FOREIGN, ids=[f"{n} {o[0]}" for n, o in FOREIGN])
def test_another_strategys_option_is_a_usage_error(capsys, no_work, name, option) -> None:
    code, _, err = run(capsys, "search", name, "-b", "nb201-digits", *option)
    assert_one_line_error(code, err, f"No such option: {option[0]}")


# -- live: the shared options reach the search ----------------------------------------------------
def test_live_search_uses_the_shared_defaults(tmp_path, capsys, live_config) -> None:
    with pytest.raises(Stop):
        run(capsys, "search", "hyperband", "--live", "--out", str(tmp_path))
    ((config, seed),) = live_config
    assert (config.C, config.N, config.val_fraction, config.train.batch_size) == (16, 5, 0.1, 256)
    assert (config.epochs, config.cells, config.dataset, seed) == (30, 100, "digits", 0)


def test_live_search_takes_the_shared_options(tmp_path, capsys, live_config) -> None:
    args = ["--val-fraction", "0.25", "--batch-size", "64", "--nb201-c", "8", "--nb201-n", "1"]
    args += ["--epochs", "9", "--cells", "27", "--seed", "4", "--lr", "0.05", "--limit", "300"]
    with pytest.raises(Stop):
        run(capsys, "search", "random", "--live", *args, "--out", str(tmp_path))
    ((config, seed),) = live_config
    assert (config.val_fraction, config.train.batch_size, config.C, config.N) == (0.25, 64, 8, 1)
    assert (config.epochs, config.cells, config.train.lr, config.limit, seed) == (
        9,
        27,
        0.05,
        300,
        4,
    )


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["hyperband", "--live"], "--live needs --out"),
        (["sample-and-estimate", "--live", "--estimator", "sotl"], "estimator"),
        (["hyperband", "--live", "--val-fraction", "1.5"], "--val-fraction must be"),
        (["asha", "--live", "--nb201-c", "0"], "--nb201-c must be"),
        (["hyperband"], "--benchmark"),
        (["hyperband", "-b", "nb201-digits", "--rule", "nope"], "unknown rule"),
        (["metaqnn", "-b", "nb201-digits", "--rule", "nope"], "unknown rule"),
        (["hyperband", "-b", "nb201-digits", "--rule", "baker:nope"], "unknown curve model"),
        (["hyperband", "-b", "nb201-digits", "--rule", "median:lc-pfn"], "only baker takes"),
        (["re", "--live", "--cells", "4"], "No such option: --cells"),
    ],
)
def test_bad_input_before_any_training(tmp_path, capsys, live_config, args, fragment) -> None:
    out = (
        ["--out", str(tmp_path / "s")]
        if "--live" in args and fragment != "--live needs --out"
        else []
    )
    code, _, err = run(capsys, "search", *args, *out)
    assert_one_line_error(code, err, fragment)
    assert live_config == [] and not (tmp_path / "s").exists()


# -- bad settings: one line, exit 2, before any work ----------------------------------------------
DIGITS = ["-b", "nb201-digits"]
BAD_SETTINGS = [
    (["re", *DIGITS, "--queries", "20"], "population of 30 is larger than the budget of 20"),
    (["bananas", *DIGITS, "--predictor", "no-such", "--queries", "20"], "unknown predictor"),
    (["bananas", *DIGITS, "--predictor", "sotl", "--queries", "20"], "use a model-based one"),
    (["npenas", *DIGITS, "--predictor", "sotl", "--queries", "20"], "use a model-based one"),
    (["re", *DIGITS, "--queries", "20", "--budget", "600"], "give --budget (epochs) or --queries"),
    (["ls", *DIGITS, "--queries", "0"], "--queries must be an integer >= 1"),
    (["hyperband", "-b", "nbgraph-cora"], "'nbgraph-cora' has no learning curves; hyperband"),
    (["sh", "-b", "nbgraph-cora"], "'nbgraph-cora' has no learning curves; sh"),
    (["asha", "-b", "nbgraph-cora"], "'nbgraph-cora' has no learning curves; asha"),
    (["random", "-b", "nbgraph-cora", "--rule", "baker"], "'nbgraph-cora' has no learning"),
    (["metaqnn", "-b", "nbgraph-cora", "--rule", "median"], "the median rule needs them"),
    (["re", *DIGITS, "--epochs", "3"], "--epochs only applies to --live"),
    (["re", *DIGITS, "--seeds", "0"], "--seeds must be >= 1"),
    (["asha", *DIGITS, "--in-flight", "0"], "--in-flight must be an integer >= 1, got 0"),
    (["hyperband", "--live", "--in-flight", "2"], "--in-flight only applies to a table"),
    (["hyperband", *DIGITS, "--dense"], "--dense only applies with a --rule"),
    (["metaqnn", *DIGITS, "--models", "0"], "a schedule needs at least one model, got 0"),
    (["sample-and-estimate", *DIGITS, "--variant", "ema"], "--variant only applies to a live"),
]


@pytest.mark.parametrize("args, fragment", BAD_SETTINGS, ids=[" ".join(a) for a, _ in BAD_SETTINGS])
def test_bad_settings_are_one_line_before_any_work(
    tmp_path, capsys, no_work, args, fragment
) -> None:
    out = tmp_path / "out"
    code, stdout, err = run(capsys, "search", *args, "--out", str(out))
    assert_one_line_error(code, err, fragment)
    assert stdout == "" and not out.exists()


@needs_data("nb201/nb201_cifar10_curves.json.gz")
def test_hyperband_runs_on_a_table_with_curves(capsys) -> None:
    code, out, err = run(capsys, "search", "hyperband", "-b", "nb201-cifar10-curves",
                         "--budget", "700")  # fmt: skip
    assert code == 0, err
    assert "hyperband on nb201-cifar10-curves" in out and int(_row(out)["epochs"]) <= 700


def test_asha_keeps_four_jobs_in_flight_by_default(capsys, monkeypatch) -> None:
    specs = []

    def spy(spec, *args: object, **kwargs: object) -> None:  # noqa: ANN001
        specs.append(spec)
        raise Stop

    monkeypatch.setattr(nasperf.search, "run_seeds", spy)
    for args in (["asha"], ["asha", "--in-flight", "2"], ["hyperband"], ["re"]):
        with pytest.raises(Stop):
            run(capsys, "search", *args, "-b", "nb201-digits")
    assert [s.in_flight for s in specs] == [4, 2, 1, 1]
    assert [s.strategy for s in specs] == ["asha", "asha", "hyperband", "re"]


# -- seeds on a table -----------------------------------------------------------------------------
def test_seeds_run_in_parallel_continue_and_refuse_other_settings(
    tmp_path, capsys, monkeypatch
) -> None:
    import nasperf.execution
    import nasperf.search.spec as seeds_module

    asked, ran = [], []
    real_executor, real_task = nasperf.execution.make_executor, seeds_module._seed_task

    def executor(name: str = "local", workers: int = 1, address: str | None = None):  # noqa: ANN202
        asked.append((name, workers))
        return real_executor(name, 1, address)  # in this process, so the test sees each seed

    def task(item):  # noqa: ANN001, ANN202
        ran.append(item[1])
        return real_task(item)

    monkeypatch.setattr(nasperf.execution, "make_executor", executor)
    monkeypatch.setattr(seeds_module, "_seed_task", task)
    out_dir = tmp_path / "out"
    args = ["search", "re", "-b", "nb201-digits", "--queries", "40", "--population", "10"]
    args += ["--sample", "3", "--workers", "2", "--out", str(out_dir)]

    code, out, err = run(capsys, *args, "--seeds", "3")
    assert code == 0, err
    assert asked == [("local", 2)] and sorted(ran) == [0, 1, 2]
    row = _row(out)
    assert row["seeds"] == "3" and "±" in row["final val acc"] and "±" in row["test"]
    assert row["completed"] == "40.0" and row["epochs"] == "1,200"  # 40 queries of 30 epochs
    rows = list(csv.DictReader((out_dir / "seeds.csv").open()))
    assert [r["seed"] for r in rows] == ["0", "1", "2"]
    assert all(r["completed"] == "40" and r["best"].startswith("|") for r in rows)
    assert (out_dir / "anytime.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    journal = out_dir / "seeds" / "seeds.jsonl"
    first = journal.read_text().splitlines()
    assert len(first) == 3

    ran.clear()
    code, out, err = run(capsys, *args, "--seeds", "4")
    assert code == 0, err
    assert ran == [3] and _row(out)["seeds"] == "4"  # seeds 0-2 read back from the journal
    lines = journal.read_text().splitlines()
    assert len(lines) == 4 and lines[:3] == first
    assert len(list(csv.DictReader((out_dir / "seeds.csv").open()))) == 4

    ran.clear()
    before = {p: p.read_bytes() for p in out_dir.rglob("*") if p.is_file()}
    code, _, err = run(capsys, *[a if a != "10" else "12" for a in args], "--seeds", "4")
    assert_one_line_error(code, err, "population")
    assert "other settings" in err and ran == []
    assert {p: p.read_bytes() for p in out_dir.rglob("*") if p.is_file()} == before


def test_one_seed_prints_one_row_and_writes_the_trace(tmp_path, capsys) -> None:
    code, out, err = run(capsys, "search", "ls", "-b", "nb201-digits", "--queries", "15",
                         "--out", str(tmp_path))  # fmt: skip
    assert code == 0, err
    row = _row(out)
    assert row["best"].startswith("|") and row["completed"] == "15" and row["test"] != "-"
    lines = (tmp_path / "trace.csv").read_text().splitlines()
    assert lines[0] == "epochs,seconds,arch,value,true_value,test_value,jobs" and len(lines) > 1
    assert not (tmp_path / "seeds.csv").exists()


# -- metaqnn with a stopping rule -----------------------------------------------------------------
def test_metaqnn_with_bakers_rule_stops_runs(capsys) -> None:
    args = ["search", "metaqnn", "-b", "nb201-digits", "--models", "40", "--rule", "baker"]
    code, out, err = run(capsys, *args, "--dense", "--min-completed", "5")
    assert code == 0, err
    assert "metaqnn+BakerRule on nb201-digits" in out
    row = _row(out)
    stopped, completed = int(row["stopped"]), int(row["completed"])
    assert stopped > 0 and completed >= 5
    assert stopped + completed + int(row["failed"]) == int(row["started"]) == 40
    assert int(row["epochs"]) < 40 * 30  # the stopped runs did not train to the end


# -- sample-and-estimate, time, progress and counts ------------------------------------------------
def test_sample_and_estimate_on_a_table_draws_cells(capsys) -> None:
    args = ["search", "sample-and-estimate", "-b", "nb201-digits"]
    args += ["--estimator", "early-stop-acc", "--cells", "10", "--short-epochs", "2"]
    code, out, err = run(capsys, *args)
    assert code == 0, err
    assert "random+early-stop-acc on nb201-digits" in out  # an alias of random --fitness
    row = _row(out)
    assert row["started"] == "10" and row["completed"] == "2" and row["failed"] == "0"


class Bars:
    """A stand-in of the progress bar: each task's total and what was last completed."""

    def __init__(self) -> None:
        self.tasks: dict[str, list] = {}

    def __call__(self) -> Bars:
        return self

    def __enter__(self) -> Bars:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def add_task(self, description: str, total: float | None = None, **_: object) -> str:
        self.tasks[description] = [total, 0]
        return description

    def update(self, task: str, completed: float | None = None, **_: object) -> None:
        if completed is not None:
            self.tasks[task][1] = completed


def test_search_progress_counts_seeds_and_the_budget_holds(capsys, monkeypatch) -> None:
    import nasperf.cli.search as command

    bars = Bars()
    monkeypatch.setattr(command, "progress", bars)
    code, out, err = run(capsys, "search", "hyperband", "-b", "nb201-digits", "--budget", "300")
    assert code == 0, err
    assert bars.tasks == {"hyperband on nb201-digits (seeds)": [1, 1]}  # done/total, not 0/?
    assert _row(out)["epochs"] == "270"  # of the 300 epochs: no bracket that would exceed it


def _curves_without_time(monkeypatch) -> None:  # noqa: ANN001
    """``load_benchmark`` gives a synthetic table with 10-epoch curves and no recorded time."""
    import nasperf.benchmarks
    from helpers import synthetic_records
    from nasperf.benchmarks import TabularBenchmark

    recs = synthetic_records(40)
    for r in recs:
        r.curves = {k: v for k, v in r.curves.items() if k != "train_loss"}
    bench = TabularBenchmark("untimed", "custom", "y", recs, max_fidelity=10)
    monkeypatch.setattr(nasperf.benchmarks, "load_benchmark", lambda name, **_: bench)


def test_a_table_without_recorded_time_counts_in_epochs(capsys, monkeypatch) -> None:
    from nasperf.benchmarks import load_benchmark
    from nasperf.search import records_time

    assert records_time(load_benchmark("nb201-digits"))
    _curves_without_time(monkeypatch)
    code, out, err = run(capsys, "search", "random", "-b", "untimed")
    assert code == 0, err
    assert "no recorded time: cost in epochs" in out and "seconds" not in out
    args = ["sample-and-estimate", "--estimator", "early-stop-acc", "--cells", "8"]
    code, out, err = run(capsys, "search", *args, "-b", "untimed")
    assert code == 0, err
    assert "no recorded time: cost in epochs" in out and "seconds" not in out


def test_a_table_estimator_needs_what_the_table_records(capsys, monkeypatch) -> None:
    _curves_without_time(monkeypatch)
    args = ["sample-and-estimate", "--estimator", "sotl", "--cells", "8"]
    code, _, err = run(capsys, "search", *args, "-b", "untimed")
    assert_one_line_error(code, err, "untimed records no train_loss curve; sotl needs it")


def test_every_started_run_is_counted_once(capsys) -> None:
    code, out, err = run(capsys, "search", "sh", "-b", "nb201-digits")
    assert code == 0, err
    values = _row(out)
    counts = [int(values[k]) for k in ("completed", "stopped", "failed", "left at a rung")]
    assert sum(counts) == int(values["started"]) == 300 and int(values["left at a rung"]) > 0


def test_any_strategy_with_a_short_budget_fitness_on_a_table(capsys) -> None:  # noqa: ANN001
    args = ["search", "re", "-b", "nb201-digits", "--fitness", "early-stop-acc",
            "--short-epochs", "3", "--top-k", "2", "--queries", "40", "--population", "10",
            "--sample", "3"]  # fmt: skip
    code, out, err = run(capsys, *args)
    assert code == 0, err
    assert "re+early-stop-acc on nb201-digits" in out
    # 40 estimates of 3 epochs, then 2 runs continued to 30 epochs
    assert "│ 174 " in out or " 174 " in out


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["re", "--fitness", "feature-history", "--queries", "4"], "give feature histories"),
        (["re", "--top-k", "3", "--queries", "40"], "--top-k only applies with --fitness"),
        (["random", "--fitness", "early-stop-acc", "--rule", "baker"], "no rule with it"),
        (["re", "--fitness", "sotl", "--short-epochs", "30", "--queries", "40"], "epochs=30"),
        (["bananas", "-b", "nbgraph-cora", "--fitness", "early-stop-acc"], "no learning curves"),
        (["re", "--fitness", "fear", "--queries", "40"], "cannot give FEAR scores"),
        (["random", "--threshold", "0.5"], "--threshold only applies with --fitness"),
        (["re", "--fitness", "sotl", "--time-ratio", "2", "--queries", "9"], "--fitness fear"),
        (["fear"], "needs --live"),
    ],
)
def test_bad_fitness_settings_are_one_line(capsys, args, fragment) -> None:  # noqa: ANN001
    if "-b" not in args:
        args = [*args, "-b", "nb201-digits"]
    code, out, err = run(capsys, "search", *args)
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and fragment in lines[0], err


def test_fear_random_search_live_end_to_end(tmp_path, capsys) -> None:  # noqa: ANN001
    """FEAR scores 4 small cells live (threshold calibrated on 5 reference cells), drops
    none it should not, and trains the best one to the end."""
    args = ["search", "fear", "--live", "--out", str(tmp_path), "--dataset", "digits",
            "--nb201-c", "4", "--nb201-n", "1", "--epochs", "4", "--batch-size", "64",
            "--limit", "200", "--cells", "4", "--stage2-epochs", "2", "--workers", "1",
            "--top-k", "1"]  # fmt: skip
    code, out, err = run(capsys, *args)
    assert code == 0, err
    values = _row(out)
    assert "random+fear on nb201/digits (live)" in out  # search fear: random --fitness fear
    assert values["completed"] == "1" and values["started"] == "4"
    assert float(values["final val acc"]) > 10.0
    estimates = json.loads((tmp_path / "estimates.json").read_text())
    assert len(estimates) == 4 and all("stage1_seconds" in r for r in estimates if r["estimate"])


@pytest.mark.parametrize("seeds", [1, 2])
def test_fear_live_out_holds_the_summary_trace_and_scores(tmp_path, capsys, seeds) -> None:  # noqa: ANN001
    """search fear --live --out writes what --help says it holds, for one seed and for many:
    summary.csv (the table printed), trace.csv (the returned candidate of each seed) and
    estimates.json (each candidate's FEAR score); many seeds add seeds.csv and the plot."""
    args = ["search", "fear", "--live", "--out", str(tmp_path), "--dataset", "digits",
            "--nb201-c", "4", "--nb201-n", "1", "--epochs", "2", "--batch-size", "64",
            "--limit", "100", "--cells", "2", "--stage2-epochs", "1", "--threshold", "0.2",
            "--time-ratio", "0", "--top-k", "1", "--seeds", str(seeds),
            "--device", "cpu"]  # fmt: skip
    code, out, err = run(capsys, *args)
    assert code == 0, err
    printed = _row(out)
    summary = list(csv.DictReader((tmp_path / "summary.csv").open()))
    assert len(summary) == 1 and list(summary[0]) == list(printed)  # the table printed
    best = summary[0].pop("best", "")  # one seed: the returned cell, cut short on screen
    assert best.startswith(printed.pop("best", "").rstrip("…")) and summary[0] == printed
    trace = list(csv.DictReader((tmp_path / "trace.csv").open()))
    assert len(trace) == seeds and all(r["arch"].startswith("|") for r in trace)
    estimates = json.loads((tmp_path / "estimates.json").read_text())
    assert len(estimates) == 2 * seeds  # --cells 2 scored under each seed
    assert all(r["arch"].startswith("|") and "stage1_seconds" in r for r in estimates)
    assert all(isinstance(r["estimate"], float) for r in estimates)  # none dropped: ratio 0
    if seeds == 1:
        assert not (tmp_path / "seeds.csv").exists()
        return
    assert [r["seed"] for r in trace] == ["0", "1"]
    assert sorted(r["seed"] for r in estimates) == [0, 0, 1, 1]
    assert len(list(csv.DictReader((tmp_path / "seeds.csv").open()))) == 2
    assert (tmp_path / "anytime.png").read_bytes()[:4] == b"\x89PNG"
