"""``--executor ray`` from the command line: a cluster address that cannot be joined is one
line and exit code 2 within seconds; Ray's output stays off stdout (``--format json`` parses
while a worker dies); a table search's seeds on Ray give the process pool's rows; the help
marks the options only a live search reads."""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import typer
from cli_helpers import assert_one_line_error, run, write_csv

from nasperf.cli.search import search_app
from nasperf.predictors import ColumnBaseline
from nasperf.predictors.registry import PREDICTORS
from nasperf.registry import Entry

#: the longest a refused address may take, the Ray client's retries included
LIMIT_S = 30
#: the environment variable naming the marker of DiesOnce (set before Ray starts its workers)
MARKER = "NASPERF_TEST_DIE_ONCE"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _search(*more: str) -> list[str]:
    return ["search", "re", "-b", "nb201-digits", "--seeds", "2", "--executor", "ray", *more]


def _refused(capsys, args: list[str], fragment: str) -> str:  # noqa: ANN001 - capsys
    """Run ``args``: one ``error:`` line holding ``fragment``, exit 2, within LIMIT_S."""
    start = time.monotonic()
    code, out, err = run(capsys, *args)
    assert time.monotonic() - start < LIMIT_S
    assert out == ""
    assert_one_line_error(code, err, fragment)
    return err


# -- an address that cannot be joined: one line, at once ------------------------------------------
def test_an_address_where_nothing_listens_is_one_error(capsys) -> None:
    pytest.importorskip("ray")
    port = _free_port()
    err = _refused(capsys, _search("--address", f"127.0.0.1:{port}"), f"127.0.0.1:{port}")
    assert "ray start --head" in err and "leave out --address" in err


def test_auto_without_a_cluster_is_one_error(capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    services = pytest.importorskip("ray._private.services")
    # no cluster to find, even where someone runs one on this machine
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    monkeypatch.setattr(services, "find_gcs_addresses", lambda: [])
    monkeypatch.setattr(services, "find_bootstrap_address", lambda temp_dir: None)
    err = _refused(capsys, _search("--address", "auto"), "--address auto: no Ray cluster")
    assert "ray start --head" in err and "leave out --address" in err


def test_a_port_that_is_not_a_ray_cluster_is_one_error(
    capsys, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("ray")
    from nasperf.execution import _ray

    monkeypatch.setattr(_ray, "GCS_TIMEOUT", 3.0)
    with socket.socket() as server:  # accepts connections, never answers
        server.bind(("127.0.0.1", 0))
        server.listen(4)
        port = server.getsockname()[1]
        _refused(capsys, _search("--address", f"127.0.0.1:{port}"), "no Ray cluster answers")


@pytest.mark.parametrize("address", ["nonsense", "127.0.0.1", "host:port", "h:70000"])
def test_a_malformed_address_is_one_error(capsys, address: str) -> None:
    pytest.importorskip("ray")
    _refused(capsys, _search("--address", address), "is not a Ray cluster address")


# -- Ray's output off stdout ----------------------------------------------------------------------
class DiesOnce(ColumnBaseline):
    """A column baseline whose first fit kills its worker process (the marker file of the
    MARKER variable remembers it), so its task is retried once and then succeeds."""

    def _fit(self, records: list, y: np.ndarray | None) -> None:
        marker = Path(os.environ[MARKER])
        if not marker.exists():
            marker.touch()
            os._exit(3)


@pytest.fixture
def dies_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The predictor ``die-once`` (DiesOnce on column x1); yields its marker file."""
    marker = tmp_path / "died"
    monkeypatch.setenv(MARKER, str(marker))  # before Ray starts: its workers inherit it
    entry = Entry("die-once", DiesOnce, "kills its worker once", params={"column": "x1"})
    monkeypatch.setitem(PREDICTORS._entries, "die-once", entry)
    yield marker


@pytest.mark.ray
def test_json_stays_json_when_a_ray_worker_dies(tmp_path: Path, capsys, dies_once) -> None:
    write_csv(tmp_path / "r.csv")
    options = "-p die-once --train-sizes 10 --test-size 20 --trials 2 --format json"
    args = ["evaluate", "-b", f"csv:{tmp_path / 'r.csv'}", "--target", "acc", *options.split()]
    code, out, err = run(capsys, *args, "--executor", "ray", "--workers", "2")
    assert code == 0, err
    assert dies_once.exists()  # a worker died
    data = json.loads(out)  # stdout is the JSON document alone
    assert data["pool_size"] == 60
    (row,) = data["summary"]
    assert row["predictor"] == "die-once" and row["train_size"] == 10
    assert row["kendall_tau_mean"] > 0.5  # x1 predicts acc: both trials, the retried one too


# -- a table search's seeds on Ray ----------------------------------------------------------------
def _seed_rows(out_dir: Path) -> dict[int, dict]:
    lines = (out_dir / "seeds" / "seeds.jsonl").read_text().splitlines()
    return {row["seed"]: row for row in map(json.loads, lines)}


@pytest.mark.ray
def test_table_search_seeds_on_ray_equal_the_pools(tmp_path: Path, capsys) -> None:
    search = "search re -b nb201-digits --seeds 4 --queries 20 --population 5 --sample 3".split()
    results = {}
    for executor in ("local", "ray"):
        out_dir = tmp_path / executor
        more = ["--executor", executor, "--workers", "2", "--out", str(out_dir)]
        code, out, err = run(capsys, *search, *more)
        assert code == 0, err
        table = [line for line in out.splitlines() if line.startswith(("┃", "│"))]
        results[executor] = (table, _seed_rows(out_dir))
    (pool_table, pool_rows), (ray_table, ray_rows) = results["local"], results["ray"]
    assert sorted(ray_rows) == [0, 1, 2, 3]
    assert ray_rows == pool_rows  # every seed's best, trace and counts
    assert ray_table == pool_table and ray_table[1].startswith("│ 4 ")  # the summary's row


# -- the help says which options only a live search reads -----------------------------------------
#: a value for each option marked live only (flags take none)
VALUES = {"--dataset": "mnist", "--cells": "5", "--epochs": "3", "--batch-size": "8",
          "--lr": "0.5", "--optimizer": "adam", "--val-fraction": "0.2", "--limit": "50",
          "--nb201-c": "8", "--nb201-n": "1", "--size": "8", "--channels": "1",
          "--data-root": ".", "--device": "cpu", "--threshold": "0.5", "--stage2-epochs": "2",
          "--time-ratio": "2", "--variant": "ema", "--k": "3", "--probe-size": "16",
          "--layer": "stem", "--ema-decay": "0.3", "--c": "2"}  # fmt: skip


def _live_only() -> list[tuple[str, str]]:
    """(subcommand, option) of every option whose help says it is live only."""
    group = typer.main.get_command(search_app)
    return [
        (name, max(param.opts, key=len))
        for name, command in group.commands.items()
        for param in command.params
        if "(live only)" in (getattr(param, "help", None) or "")
    ]


def test_help_marks_the_live_only_options(capsys) -> None:
    marked = _live_only()
    assert {"--epochs", "--device", "--cells", "--threshold"} <= {o for _, o in marked}
    assert ("sample-and-estimate", "--variant") in marked
    assert ("sample-and-estimate", "--cells") not in marked  # on a table: the queries
    assert not {"--seed", "--workers", "--executor", "--address"} & {o for _, o in marked}
    code, out, _ = run(capsys, "search", "random", "--help")
    assert code == 0 and out.count("(live only)") >= 5  # some wrap at the terminal's width


@pytest.mark.parametrize("name, option", _live_only())
def test_a_live_only_option_on_a_table_is_one_error(capsys, name: str, option: str) -> None:
    code, _, err = run(capsys, "search", name, "-b", "nb201-digits", option, VALUES[option])
    assert code == 2
    (line,) = [ln for ln in err.splitlines() if ln.strip()]
    assert line.startswith("error:") and (option in line or "--live" in line), err
