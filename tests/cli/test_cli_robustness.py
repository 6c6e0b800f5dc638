"""Bad input to every command: exit code 2, one line ``error: ...`` on stderr, no traceback,
nothing written, and no work started (every case fails before the first unit of work)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cli_helpers import run, write_csv

import nasperf.benchmarks
import nasperf.search
from nasperf.cli import checks
from nasperf.execution import LocalExecutor
from nasperf.predictors import Predictor
from nasperf.search import TabularBackend
from nasperf.search.backends import ExecutorBackend


class WorkStarted(Exception):
    """Raised by the stand-ins of the first unit of work of each command."""


def _work(*args: object, **kwargs: object) -> None:
    raise WorkStarted


@pytest.fixture
def no_work(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first unit of work of every command fails the test if a case gets that far."""
    monkeypatch.setattr(Predictor, "fit", _work)
    monkeypatch.setattr(TabularBackend, "submit", _work)  # a search's first job
    monkeypatch.setattr(ExecutorBackend, "submit", _work)
    monkeypatch.setattr(LocalExecutor, "map_unordered", _work)  # the proxies' cells
    monkeypatch.setattr(nasperf.benchmarks, "make_benchmark", _work)
    names = ("estimate_cells", "sample_and_estimate", "sample_and_estimate_curves", "LiveBackend")
    for name in (*names, "run_seeds"):  # run_seeds: a table search's seeds
        monkeypatch.setattr(nasperf.search, name, _work)


@pytest.fixture
def place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The files the cases name: CSVs good and bad, an existing file and directory, a
    read-only directory, and an empty data directory."""
    write_csv(tmp_path / "ok.csv")
    header = "id,x1,x2,acc\n"
    files = {
        "inf.csv": header + "a,1,2,80\nb,2,-inf,81\nc,3,4,82\n",
        "dup.csv": header + "a,1,2,80\nb,2,3,81\na,1,2,80\n",
        "const.csv": header + "a,1,2,80\nb,2,3,80\nc,3,4,80\n",
        "text.csv": header + "a,1,2,80\nb,2,3,high\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "afile").write_text("keep me\n")
    (tmp_path / "adir").mkdir()
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    if os.geteuid() == 0:  # root writes anywhere: let the check see what a user would
        real = os.access
        monkeypatch.setattr(
            checks.os, "access", lambda p, mode, **kw: Path(p) != ro and real(p, mode, **kw)
        )
    (tmp_path / "data").mkdir()
    monkeypatch.setenv("NASPERF_DATA", str(tmp_path / "data"))
    return {"tmp": str(tmp_path), "out": str(tmp_path / "out"), "ro": str(ro)}


EVAL = "evaluate -b csv:{tmp}/ok.csv --target acc -p rf --train-sizes 10 --test-size 20 --trials 1"
EVAL_DIGITS = "evaluate -b nb201-digits --train-sizes 10 --test-size 20 --trials 1"
SEARCH = "search hyperband -b nb201-digits"
LIVE = "search hyperband --live --cells 4 --epochs 3"
TABLE = "-b nb201-digits"
LIVE_SAMPLE = "search sample-and-estimate --live --cells 4 --epochs 3"
ESTIMATE = "estimate --cells 2 --short-epochs 1 --epochs 2"
MAKE = "make-benchmark --cells 2 --epochs 1"
PROXIES = "proxies --cells 2"

#: (command line with {tmp} {out} {ro} filled in, a fragment of the one-line error)
CASES = [
    # -- --out: a file where a directory is wanted, the reverse, an unwritable place
    (f"{EVAL} --out {{tmp}}/afile", "is a file; give a directory"),
    (f"{EVAL} --out {{tmp}}/afile/sub", "is a file, so a directory cannot go there"),
    (f"{EVAL} --out {{ro}}/out", "cannot write in"),
    (f"{EVAL} --out /proc/nasperf-out", "cannot write in /proc"),
    (f"{SEARCH} --out {{tmp}}/afile", "is a file; give a directory"),
    (f"{ESTIMATE} --out {{tmp}}/adir", "is a directory; give a file"),
    (f"{ESTIMATE} --out {{ro}}/est.csv", "cannot write in"),
    (f"{MAKE} --out {{tmp}}/afile", "is a file; give a directory"),
    (f"{MAKE} --out /proc/nasperf-bench", "cannot write in /proc"),
    (f"{PROXIES} --out {{tmp}}/adir", "is a directory; give a file"),
    (f"{PROXIES} --out /proc/nasperf.csv", "cannot write in /proc"),
    (f"{LIVE} --out {{tmp}}/afile", "is a file; give a directory"),
    # -- --seed -1
    (f"{EVAL} --seed -1 --out {{out}}", "--seed must be >= 0"),
    (f"{SEARCH} --seed -1", "--seed must be >= 0"),
    (f"{PROXIES} --seed -1 --out {{out}}", "--seed must be >= 0"),
    (f"{ESTIMATE} --seed -1", "seed must be"),
    (f"{MAKE} --seed -1 --out {{out}}", "seed must be"),
    # -- what a benchmark records against what each predictor needs
    (f"{EVAL} -p col:x3 --out {{out}}", "has no column 'x3'; col:x3 needs it"),
    (f"{EVAL} -p early-stop-acc --train-sizes 0 --out {{out}}", "records no val_acc curve"),
    (f"{EVAL} -p sotl --train-sizes 0 --out {{out}}", "records no train_loss curve; sotl"),
    (f"{EVAL_DIGITS} -p col:-nwott --out {{out}}", "did you mean 'nwot'"),
    (f"{EVAL_DIGITS} -p early-stop-acc --fidelities 31 --out {{out}}", "exceed the 30 epochs"),
    # -- options that mean nothing for the command or combination
    (f"{EVAL_DIGITS} -p rf --target acc --out {{out}}", "only apply to csv:"),
    (f"{EVAL_DIGITS} -p rf --space nb201 --out {{out}}", "--space only applies to csv:"),
    (f"{EVAL} --fidelities 3 --out {{out}}", "--fidelities applies to learning-curve"),
    (f"{SEARCH} --dataset mnist", "--dataset only applies to --live"),
    (f"{SEARCH} --top-k 3", "No such option: --top-k"),
    (f"{SEARCH} --n 3", "No such option: --n"),
    (f"search re {TABLE} --rule baker", "No such option: --rule"),
    (f"{SEARCH} --rule median --delta 0.1", "--delta only applies to --rule baker"),
    (f"search asha {TABLE} --asha-workers 2", "No such option: --asha-workers"),
    ("search asha --live --cells 4 --in-flight 2 --out {out}", "--in-flight only applies to a"),
    (f"{SEARCH} --min-completed 3", "--min-completed only applies with a --rule"),
    (f"search re {TABLE} --cells 5", "No such option: --cells"),
    (f"search re {TABLE} --queries 20 --budget 600", "not both"),
    (f"{SEARCH} --live --out {{out}}", "not both"),
    (f"search sample-and-estimate {TABLE} --estimator sotl --budget 90", "No such option"),
    (f"search sample-and-estimate {TABLE} --estimator sotl --variant ema", "--variant"),
    (f"{LIVE} --address auto --out {{out}}", "only applies to the ray executor"),
    (f"{MAKE} --proxies none --proxy-batch 8 --out {{out}}", "--proxy-batch means nothing"),
    (f"{ESTIMATE} --variant concat --ema-decay 0.3", "--ema-decay only applies to --variant ema"),
    # -- estimator and trainer settings checked before any worker starts
    (f"{ESTIMATE} --variant foo", "variant must be one of"),
    (f"{ESTIMATE} --k 0", "k must be an integer >= 1"),
    (f"{ESTIMATE} --dataset cifar10", "CIFAR-10 is not bundled"),
    (f"{ESTIMATE} --short-epochs 3", "longer than a full run"),
    (f"{LIVE} --dataset cifar10 --out {{out}}", "CIFAR-10 is not bundled"),
    (f"{LIVE_SAMPLE} --k 0 --out {{out}}", "k must be an integer"),
    (f"{MAKE} --dataset cifar10 --out {{out}}", "CIFAR-10 is not bundled"),
    (f"{MAKE} --optimizer rmsprop --out {{out}}", "optimizer must be one of"),
    (f"{PROXIES} --dataset cifar10 --out {{out}}", "CIFAR-10 is not bundled"),
    (f"{PROXIES} --proxies synflow,nope --out {{out}}", "unknown proxy 'nope'"),
    # -- budgets too small for one run, bracket or rung
    (f"search sh {TABLE} --budget 300", "give a budget of at least 951"),
    (f"search hyperband {TABLE} --budget 50", "give a budget of at least 86"),
    (f"search asha {TABLE} --budget 50", "give a budget of at least 86"),
    (f"search random {TABLE} --budget 29", "give a budget of at least 30"),
    (f"search re {TABLE} --queries 20", "population of 30 is larger than the budget"),
    (f"{LIVE} --budget 2 --out {{out}}", "give a budget of at least 5"),
    # -- your own CSV: leakage and degenerate data
    (f"{EVAL} --features x1,acc --out {{out}}", "the target 'acc' is among the features"),
    ("evaluate -b csv:{tmp}/inf.csv --target acc -p rf --out {out}", "feature column 'x2'"),
    ("evaluate -b csv:{tmp}/dup.csv --target acc -p rf --out {out}", "repeat an earlier row"),
    ("evaluate -b csv:{tmp}/const.csv --target acc -p rf --out {out}", "nothing to rank"),
    ("evaluate -b csv:{tmp}/text.csv --target acc -p rf --out {out}", "is not numeric"),
    # -- names
    (f"{EVAL_DIGITS} -p rf -b nb201-imagenet16-120 --out {{out}}", "nb201_imagenet16-120"),
    (f"{EVAL} -b nope --out {{out}}", "unknown benchmark 'nope'"),
    (f"{EVAL} -p rf,nope --out {{out}}", "unknown predictor 'nope'"),
    (f"{EVAL} -p rf[depth=3] --out {{out}}", "has no parameter 'depth'"),
    (f"{EVAL} -p rf[n_estimators=0] --out {{out}}", "n_estimators"),
    (f"{EVAL} -p emprox --out {{out}}", "space 'custom' has no 'seq' encoding"),
    (f"search bohb {TABLE}", "No such command 'bohb'"),
    (f"search {TABLE} --strategy sh", "No such option: -b"),
    (f"search bananas {TABLE} --predictor nope --queries 20", "unknown predictor 'nope'"),
    # -- usage errors, in one line too
    ("benchmarks --bogus", "No such option: --bogus"),
    ("benchmarks extra", "unexpected extra argument"),
    ("predictors --verbose-listing", "No such option"),
    ("predictors extra", "unexpected extra argument"),
    (f"{EVAL} --trials many --out {{out}}", "Invalid value for '--trials'"),
    ("proxies --cells 2", "Missing option '--out'"),
    ("no-such-command", "No such command"),
]


def _listing(root: Path) -> dict[str, int | None]:
    """Every path under ``root`` with its size (None for a directory)."""
    return {
        str(p.relative_to(root)): (None if p.is_dir() else p.stat().st_size)
        for p in sorted(root.rglob("*"))
    }


@pytest.mark.parametrize("line, fragment", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_one_line_and_nothing_is_written(
    capsys, no_work, place: dict[str, str], line: str, fragment: str
) -> None:
    if "/proc/" in line and not Path("/proc").is_dir():
        pytest.skip("no /proc here")
    args = line.format(**place).split()
    before = _listing(Path(place["tmp"]))
    code, out, err = run(capsys, *args)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2, (code, err)
    assert len(lines) == 1 and lines[0].startswith("error:"), err
    assert fragment in lines[0], lines[0]
    assert "Traceback" not in err + out
    assert _listing(Path(place["tmp"])) == before  # nothing written, not even --out's parent
    assert not Path(place["out"]).exists()
    for proc in [a for a in args if a.startswith("/proc/")]:
        assert not Path(proc).exists()


def test_at_least_forty_cases_on_every_command() -> None:
    assert len(CASES) >= 40
    commands = {line.split()[0] for line, _ in CASES}
    expected = {"evaluate", "proxies", "make-benchmark", "search", "estimate"}
    assert expected | {"benchmarks", "predictors"} <= commands


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["evaluate", "-b", "nope", "-p", "rf"], "unknown benchmark 'nope'"),
        (["search", "sh", "-b", "nb201-digits", "--budget", "300"], "951"),
        (["search", "re", "-b", "nb201-digits", "--rule", "baker"], "No such option: --rule"),
        (["evaluate", "--trials", "many"], "Invalid value for '--trials'"),
    ],
)
def test_no_traceback_reaches_stderr_of_the_program(tmp_path, args, fragment) -> None:
    env = {**os.environ, "NASPERF_DATA": str(tmp_path)}
    proc = subprocess.run(
        [sys.executable, "-m", "nasperf", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 2, proc.stderr
    assert len(lines) == 1 and lines[0].startswith("error:") and fragment in lines[0], lines
    assert "Traceback" not in proc.stderr and proc.stdout == ""
