"""``nasperf train-pfn``: a tiny training, its files, a resumed rerun, bad options in one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cli_helpers import assert_one_line_error, run

pytest.importorskip("torch")

TINY = ["--width", "16", "--layers", "1", "--batch-runs", "32"]


def test_train_pfn_writes_weights_and_settings_and_resumes(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    out = tmp_path / "pfn"
    code, text, err = run(capsys, "train-pfn", "--out", str(out), "--steps", "4", *TINY)
    assert code == 0, err
    info = json.loads((out / "lc_pfn.json").read_text())
    assert info["steps"] == 4 and info["d"] == 16 and "check" in info and "machine" in info
    assert (out / "lc_pfn.pt").is_file() and "4 steps" in text
    first = (out / "lc_pfn.pt").read_bytes()
    # the same command again continues from the checkpoint: nothing left, the same weights
    code, _, err = run(capsys, "train-pfn", "--out", str(out), "--steps", "4", *TINY)
    assert code == 0, err
    assert (out / "lc_pfn.pt").read_bytes() == first
    # other settings on that checkpoint: refused in one line
    code, _, err = run(capsys, "train-pfn", "--out", str(out), "--steps", "4", "--width", "32",
                       "--layers", "1", "--batch-runs", "32")
    assert_one_line_error(code, err, "other settings")


def test_train_pfn_bad_options(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    code, _, err = run(capsys, "train-pfn", "--out", str(tmp_path / "x"), "--steps", "0")
    assert code == 2 and "--steps" in err
