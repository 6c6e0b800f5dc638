"""``nasperf map``: the predictor map from finished evaluations, and its refusals."""

from __future__ import annotations

import pandas as pd
from cli_helpers import run, write_csv


def test_map_command_writes_png_and_csv(tmp_path, capsys) -> None:
    csv = tmp_path / "c.csv"
    write_csv(csv)
    ev = tmp_path / "ev"
    code, _, err = run(
        capsys,
        "evaluate",
        "-b",
        f"csv:{csv}",
        "--target",
        "acc",
        "--features",
        "x1,x2",
        "-p",
        "rf,col:x1",
        "--train-sizes",
        "10,20",
        "--test-size",
        "20",
        "--trials",
        "2",
        "--out",
        str(ev),
    )
    assert code == 0, err
    out_dir = tmp_path / "map"
    code, out, err = run(capsys, "map", str(ev), "--epoch-seconds", "1", "--out", str(out_dir))
    assert code == 0, err
    table = pd.read_csv(out_dir / "map.csv")
    assert set(table["best"]) <= {"rf", "col:x1"} and len(table) > 0
    assert (out_dir / "map.png").stat().st_size > 0 and "wrote" in out
    code, _, err = run(capsys, "map", str(ev), "--exclude", "rf", "--out", str(tmp_path / "m2"))
    assert code == 0, err
    assert set(pd.read_csv(tmp_path / "m2" / "map.csv")["best"]) == {"col:x1"}
    code, _, err = run(
        capsys, "map", str(ev), "--exclude", "rf,col:x1", "--out", str(tmp_path / "m3")
    )
    assert code == 2 and "leaves no predictor" in err


def test_map_refuses_a_directory_without_a_finished_evaluation(tmp_path, capsys) -> None:
    code, out, err = run(capsys, "map", str(tmp_path), "--out", str(tmp_path / "m"))
    assert code == 2 and "holds no finished evaluation" in err
    assert len(err.strip().splitlines()) == 1 and not (tmp_path / "m").exists()
