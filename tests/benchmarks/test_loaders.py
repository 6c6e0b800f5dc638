"""Loaders of the published tables and of a user's CSV."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import spearmanr

from helpers import needs_data
from nasperf.benchmarks import load_benchmark, load_csv
from nasperf.exceptions import (
    ConfigurationError,
    DataNotFoundError,
    InvalidArchitectureError,
    InvalidDataError,
    UnknownNameError,
)
from nasperf.spaces import get_space


@pytest.fixture(scope="module")
def nb201():
    return load_benchmark("nb201-cifar10")


@needs_data("nb201/nb201_cifar10.csv.gz")
def test_nb201_table(nb201) -> None:
    assert len(nb201) == 15625
    rec = nb201.query(
        "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|"
        "skip_connect~1|skip_connect~2|"
    )
    assert rec.target == pytest.approx(81.9)
    assert rec.info["index"] == 0
    assert "val_acc_200ep" not in rec.scores and "index" not in rec.scores
    assert rec.scores["params_m"] == pytest.approx(0.129306)
    with_sz = [r for r in nb201.records() if "sz_jacov" in r.scores]
    assert len(with_sz) == 9445
    assert rec.encode("onehot").shape == (30,)


@pytest.mark.quality
@needs_data("nb201/nb201_cifar10.csv.gz")
@pytest.mark.parametrize(
    "column, published",
    [("sz_jacov", 0.82), ("sz_nwot", 0.79), ("synflow", 0.73), ("val_acc_12ep", 0.81)],
)
def test_published_column_correlations(nb201, column: str, published: float) -> None:
    recs = [r for r in nb201.records() if column in r.scores]
    rho = spearmanr([r.scores[column] for r in recs], [r.target for r in recs])[0]
    assert rho == pytest.approx(published, abs=0.006)


@needs_data("nb201/nb201_cifar10_curves.json.gz")
def test_nb201_curves() -> None:
    bench = load_benchmark("nb201-cifar10-curves")
    assert len(bench) == 200 and bench.max_fidelity == 200
    rec = bench.records()[0]
    assert rec.curve("val_acc").shape == (200,)
    assert bench.metric(rec.arch, 12) == pytest.approx(rec.curves["val_acc"][11])
    assert bench.metric(rec.arch) == rec.target == rec.curves["val_acc"][-1]
    assert bench.cost(rec.arch, 50) == 50.0  # no recorded time: one unit per epoch
    with pytest.raises(ConfigurationError):
        bench.metric(rec.arch, 201)


@pytest.mark.parametrize(
    "which, n, space",
    [
        pytest.param(w, n, s, marks=needs_data(f"suite_zero/zc_nasbench{w[2:]}.json"))
        for w, n, s in [("nb101", 500, "nb101"), ("nb201", 491, "nb201"), ("nb301", 500, "darts")]
    ],
)
def test_suite_zero(which: str, n: int, space: str) -> None:
    bench = load_benchmark(f"suite-zero-{which}")
    assert len(bench) == n and bench.space == space
    rec = bench.records()[0]
    assert {"jacov", "synflow", "flops", "params"} <= set(rec.scores)
    assert rec.encode(get_space(space).default_encoding).ndim == 1


def test_nas_bench_graph_default_is_installed() -> None:
    bench = load_benchmark("nbgraph-cora")
    assert len(bench) > 20000
    targets = np.array([r.target for r in bench.records()])
    assert 0 < targets.min() and targets.max() <= 100
    rec = bench.records()[0]
    assert set(rec.scores) == {"test_acc", "latency", "params_m"}
    assert bench.query(rec.arch) is rec
    proteins = load_benchmark("nbgraph-proteins")
    assert proteins.space == "graph-proteins" and len(proteins) > 1000


def test_missing_data_file_names_file_and_variable(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("NASPERF_DATA", str(tmp_path))
    with pytest.raises(DataNotFoundError, match="nb201_cifar10.csv.gz.*NASPERF_DATA"):
        load_benchmark("nb201-cifar10")
    monkeypatch.delenv("NASPERF_DATA")
    with pytest.raises(DataNotFoundError, match="NASPERF_DATA variable is not set"):
        load_benchmark("suite-zero-nb101")


def test_unknown_benchmark() -> None:
    with pytest.raises(UnknownNameError, match="unknown benchmark 'nope'"):
        load_benchmark("nope")


def test_csv_of_own_results(tmp_path) -> None:
    path = tmp_path / "runs.csv"
    path.write_text("arch,lr,depth,acc,note\na,0.1,3,90.5,x\nb,0.01,5,91.0,y\nc,0.05,4,89.0,z\n")
    bench = load_csv(path, target="acc")
    assert len(bench) == 3 and bench.space == "custom"
    rec = bench.query("b")
    assert rec.target == 91.0
    np.testing.assert_array_equal(rec.encode("features"), [0.01, 5.0])
    assert set(rec.scores) == {"lr", "depth"}
    assert load_csv(path, target="acc", features=["depth"]).query("a").encode("features")[0] == 3


def test_csv_default_features_leave_out_other_results(tmp_path, caplog) -> None:
    path = tmp_path / "runs.csv"
    path.write_text(
        "arch,lr,depth,val_acc,test_acc,train_loss,interval\n"
        "a,0.1,3,90.5,90.1,0.3,2\nb,0.01,5,91.0,90.8,0.2,3\n"
    )
    with caplog.at_level("WARNING"):
        bench = load_csv(path, target="val_acc")
    rec = bench.query("b")
    np.testing.assert_array_equal(rec.encode("features"), [0.01, 5.0, 3.0])  # lr, depth, interval
    assert set(rec.scores) == {"lr", "depth", "test_acc", "train_loss", "interval"}
    assert "2 column(s) look like results" in caplog.text
    assert "(test_acc, train_loss)" in caplog.text
    chosen = load_csv(path, target="val_acc", features=["lr", "test_acc"]).query("b")
    np.testing.assert_array_equal(chosen.encode("features"), [0.01, 90.8])


@pytest.mark.parametrize(
    "content, target, message",
    [
        ("a,b\n1,2\n", "acc", "no column 'acc'"),
        ("a,acc\n1,good\n2,bad\n", "acc", "not numeric"),
        ("a,acc\n1,90\n2,\n", "acc", "missing or infinite"),
    ],
)
def test_csv_bad_target(tmp_path, content: str, target: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(InvalidDataError, match=message):
        load_csv(path, target=target)


def test_csv_missing_file_and_duplicates(tmp_path) -> None:
    with pytest.raises(DataNotFoundError):
        load_csv(tmp_path / "none.csv", target="acc")
    path = tmp_path / "dup.csv"
    path.write_text("arch,acc\na,1\na,2\n")
    with pytest.raises(InvalidArchitectureError, match="twice"):
        load_csv(path, target="acc")


def test_csv_needs_target() -> None:
    with pytest.raises(ConfigurationError, match="--target"):
        load_benchmark("csv:whatever.csv")


def test_with_scores_adds_columns_by_candidate(tmp_path) -> None:
    from nasperf.benchmarks import load_csv, with_scores
    from nasperf.exceptions import InvalidArchitectureError, InvalidDataError

    table = tmp_path / "runs.csv"
    table.write_text("id,acc,p\na,90,1\nb,80,2\nc,70,3\n")
    bench = load_csv(table, "acc")
    extra = tmp_path / "extra.csv"
    extra.write_text("arch,proxy\nb,5.5\na,-inf\n")
    merged = with_scores(bench, extra)
    scores = {r.arch: r.scores for r in merged.records()}
    assert scores["a"] == {"p": 1.0, "proxy": float("-inf")}
    assert scores["b"]["proxy"] == 5.5 and "proxy" not in scores["c"]
    assert "proxy" not in bench.query("a").scores  # the original is untouched
    extra.write_text("arch,p\na,1\n")
    with pytest.raises(InvalidDataError, match="already has: p"):
        with_scores(bench, extra)
    extra.write_text("arch,proxy\nzzz,1\n")
    with pytest.raises(InvalidArchitectureError, match="zzz"):
        with_scores(bench, extra)


def _csv(tmp_path, text: str):  # noqa: ANN202 - a Path
    path = tmp_path / "runs.csv"
    path.write_text(text)
    return path


def test_csv_refuses_the_target_among_the_features(tmp_path) -> None:
    path = _csv(tmp_path, "id,x,acc\na,1,80\nb,2,81\nc,3,79\n")
    with pytest.raises(InvalidDataError, match="target 'acc' is among the features"):
        load_csv(path, target="acc", features=["x", "acc"])


def test_csv_names_the_column_of_an_infinite_feature(tmp_path) -> None:
    path = _csv(tmp_path, "id,x,y,acc\na,1,2,80\nb,2,-inf,81\nc,3,4,79\nd,4,,78\n")
    with pytest.raises(InvalidDataError, match=r"feature column 'y' .* 2 missing or infinite"):
        load_csv(path, target="acc")
    with pytest.raises(InvalidDataError, match=r"CSV line 3 holds -inf"):
        load_csv(path, target="acc")
    assert len(load_csv(path, target="acc", features=["x"])) == 4  # y left out: fine


def test_csv_refuses_rows_repeated_exactly(tmp_path) -> None:
    path = _csv(tmp_path, "x,y,acc\n1,2,80\n2,3,81\n1,2,80\n1,2,80\n")
    with pytest.raises(InvalidDataError, match=r"2 row\(s\) repeat an earlier row exactly"):
        load_csv(path, target="acc")


def test_csv_warns_of_rows_with_the_same_features(tmp_path, caplog) -> None:
    path = _csv(tmp_path, "id,x,y,acc\na,1,2,80\nb,2,3,81\nc,1,2,82\nd,1,2,83\n")
    with caplog.at_level("WARNING"):
        bench = load_csv(path, target="acc")
    assert len(bench) == 4
    assert "2 row(s) have the same features as an earlier row (CSV line 4, 5)" in caplog.text


def test_csv_refuses_a_constant_target(tmp_path) -> None:
    path = _csv(tmp_path, "id,x,acc\na,1,80\nb,2,80\nc,3,80\n")
    with pytest.raises(InvalidDataError, match=r"same value \(80\) in every row.*nothing to rank"):
        load_csv(path, target="acc")


def test_csv_warning_about_result_columns_is_a_summary(tmp_path, caplog) -> None:
    names = [f"val_acc_{i}" for i in range(40)]
    row = ",".join(str(i) for i in range(40))
    path = _csv(tmp_path, f"id,x,acc,{','.join(names)}\na,1,80,{row}\nb,2,81,{row}\n")
    with caplog.at_level("WARNING"):
        load_csv(path, target="acc")
    (message,) = [r.getMessage() for r in caplog.records]
    assert "40 column(s) look like results" in message
    assert "val_acc_0, val_acc_1, val_acc_2 and 37 more" in message
    assert "val_acc_39" not in message and "\n" not in message


def test_nb201_table_of_a_dataset_with_a_hyphen(tmp_path, monkeypatch) -> None:
    import gzip

    cells = [
        "|nor_conv_3x3~0|+|nor_conv_3x3~0|avg_pool_3x3~1|+|skip_connect~0|nor_conv_3x3~1|"
        "skip_connect~2|",
        "|none~0|+|none~0|none~1|+|none~0|none~1|avg_pool_3x3~2|",
    ]
    (tmp_path / "nb201").mkdir()
    with gzip.open(tmp_path / "nb201" / "nb201_imagenet16-120.csv.gz", "wt") as fh:
        fh.write("index,arch_str,val_acc_200ep,params_m\n")
        fh.writelines(f"{i},{c},{40 + i},{0.1 * i}\n" for i, c in enumerate(cells))
    monkeypatch.setenv("NASPERF_DATA", str(tmp_path))
    bench = load_benchmark("nb201-imagenet16-120")
    assert bench.name == "nb201-imagenet16-120" and len(bench) == 2
    with pytest.raises(DataNotFoundError, match="nb201_imagenet16-200"):
        load_benchmark("nb201-imagenet16-200")
