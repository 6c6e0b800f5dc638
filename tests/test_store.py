"""``nasperf.store``: atomic writes, settings checks, torn lines, append-only rows, the lock."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from nasperf.exceptions import ConfigurationError, InvalidDataError
from nasperf.store import (
    LOCK_FILE,
    CsvRowFile,
    JsonLinesFile,
    atomic_write,
    check_settings,
    complete_lines,
    flatten_settings,
    locked,
)


# -- atomic writes -------------------------------------------------------------------------------
def test_atomic_write_text_bytes_and_writer(tmp_path: Path) -> None:
    path = tmp_path / "meta.json"
    assert atomic_write(path, "λ old\n") == path
    assert path.read_text(encoding="utf-8") == "λ old\n"
    atomic_write(path, b"\x00new")
    assert path.read_bytes() == b"\x00new"
    atomic_write(path, lambda p: p.write_text("by a writer"))
    assert path.read_text() == "by a writer"
    assert [p.name for p in tmp_path.iterdir()] == ["meta.json"]  # no temporary file left
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # as a plain open() would make it


def test_a_failed_atomic_write_leaves_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "result.json"
    path.write_text("old")

    def crash(p: Path) -> None:
        p.write_text("half of the new")
        raise RuntimeError("killed mid-write")

    with pytest.raises(RuntimeError, match="killed"):
        atomic_write(path, crash)
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]
    with pytest.raises(TypeError):
        atomic_write(path, 3.5)  # type: ignore[arg-type]
    assert path.read_text() == "old"


def test_the_rename_is_the_only_change_a_reader_sees(tmp_path: Path, monkeypatch) -> None:
    """Until os.replace runs the old file is whole; after it the new one is."""
    path = tmp_path / "table.csv"
    path.write_text("old\n")
    seen = []
    real_replace = os.replace

    def spy(src, dst) -> None:  # noqa: ANN001
        seen.append((Path(src).parent, Path(src).read_text(), Path(dst).read_text()))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    atomic_write(path, "new\n")
    assert seen == [(tmp_path, "new\n", "old\n")]  # written beside it, then renamed over it
    assert path.read_text() == "new\n"


# -- settings ------------------------------------------------------------------------------------
def test_settings_mismatch_names_the_flattened_keys() -> None:
    saved = {"seed": 0, "cells": 4, "train": {"lr": 0.1, "epochs": 2}, "old": 1}
    wanted = {"seed": 0, "cells": 9, "train": {"lr": 0.05, "epochs": 3}}
    assert flatten_settings(wanted) == {"seed": 0, "cells": 9, "train.lr": 0.05, "train.epochs": 3}
    with pytest.raises(ConfigurationError) as info:
        check_settings(saved, wanted, where="runs/b", may_differ=("cells",))
    message = str(info.value)
    assert "runs/b was made with other settings (old, train.epochs, train.lr)" in message
    assert "cells" not in message.split("(")[1]
    # equal settings pass; tuples compare as the lists JSON stores; nested keys may differ
    check_settings({"proxies": ["a", "b"]}, {"proxies": ("a", "b")}, where="x")
    check_settings(saved, {**saved, "train": {"lr": 1.0}}, where="x", may_differ=("train",))
    with pytest.raises(ConfigurationError, match=r"other settings \(proxies\)"):
        check_settings({"proxies": ["a", "b"]}, {"proxies": ("b", "a")}, where="x")


# -- torn lines and row files --------------------------------------------------------------------
def test_a_torn_last_line_is_repaired_or_ignored(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    assert complete_lines(path) == b""  # no file yet
    path.write_bytes(b'{"a":1}\n{"a":2}\n{"a":')
    assert complete_lines(path, repair=False) == b'{"a":1}\n{"a":2}\n'
    assert path.read_bytes().endswith(b'{"a":')  # only read: a writer may be finishing it
    assert complete_lines(path) == b'{"a":1}\n{"a":2}\n'
    assert path.read_bytes() == b'{"a":1}\n{"a":2}\n'  # cut off the file
    path.write_bytes(b"no newline at all")
    assert complete_lines(path) == b"" and path.read_bytes() == b""


def test_json_rows_are_appended_read_back_and_rewritten(tmp_path: Path) -> None:
    rows = JsonLinesFile(tmp_path / "cells.jsonl", is_row=lambda r: "arch" in r, what="a cell")
    assert not rows.exists() and rows.read() == []
    with rows.appending() as out:
        out.append({"arch": "a", "v": 1.5})
        # each row is on disk before append returns
        assert rows.path.read_text() == '{"arch":"a","v":1.5}\n'
        out.append({"arch": "b", "v": None})
    with rows.appending() as out:  # a second run appends after the first
        out.append({"arch": "c", "v": 0})
    assert [r["arch"] for r in rows.read()] == ["a", "b", "c"]
    with rows.path.open("ab") as fh:
        fh.write(b'{"arch": "d", "v"')  # a kill mid-write
    assert [r["arch"] for r in rows.read(repair=True)] == ["a", "b", "c"]
    with rows.appending() as out:
        out.append({"arch": "d", "v": 2})
    assert [r["arch"] for r in rows.read()] == ["a", "b", "c", "d"]
    rows.rewrite([{"arch": "z"}])
    assert rows.read() == [{"arch": "z"}]
    with pytest.raises(ValueError), rows.appending() as out:
        out.append({"arch": "nan", "v": float("nan")})  # JSON has no NaN: write null
    rows.path.write_text('{"arch": "z"}\n{"other": 1}\n')
    with pytest.raises(InvalidDataError, match="line 2 is not a cell"):
        rows.read()
    rows.path.write_text("{not json\n")
    with pytest.raises(InvalidDataError, match="line 1 is not valid JSON"):
        rows.read()


def test_csv_rows_have_a_header_and_resume(tmp_path: Path) -> None:
    table = CsvRowFile(tmp_path / "zc.csv", ["arch", "zc_x", "errors"])
    table.create()
    assert table.path.read_bytes() == b"arch,zc_x,errors\r\n"
    with table.appending() as out:
        out.append({"arch": "a", "zc_x": "1.5", "errors": ""})
        out.append({"arch": "b,c", "zc_x": "", "errors": "x: no value"})
    assert table.read() == [
        {"arch": "a", "zc_x": "1.5", "errors": ""},
        {"arch": "b,c", "zc_x": "", "errors": "x: no value"},
    ]
    assert CsvRowFile(table.path).read() == table.read()  # any header, when none is given
    text = table.path.read_bytes()
    table.path.write_bytes(text + b"d,2.")
    assert len(table.read(repair=True)) == 2 and table.path.read_bytes() == text
    with pytest.raises(ValueError, match="outside the header"), table.appending() as out:
        out.append({"arch": "e", "zc_y": "1"})
    with pytest.raises(InvalidDataError, match="unexpected header"):
        CsvRowFile(table.path, ["arch", "zc_y", "errors"]).read()
    fresh = CsvRowFile(tmp_path / "new.csv", ["arch"])
    with fresh.appending() as out:  # a missing file gets its header first
        out.append({"arch": "a"})
    assert fresh.path.read_bytes() == b"arch\r\na\r\n"


# -- the lock ------------------------------------------------------------------------------------
def test_the_directory_lock_is_exclusive(tmp_path: Path) -> None:
    pytest.importorskip("fcntl")
    with locked(tmp_path, what="the benchmark"):
        assert (tmp_path / LOCK_FILE).exists()
        with pytest.raises(ConfigurationError, match="another process is writing the benchmark"):
            with locked(tmp_path, what="the benchmark"):
                pass  # pragma: no cover
    with locked(tmp_path):  # released
        pass


def test_read_settings_names_a_damaged_file(tmp_path) -> None:
    from nasperf.exceptions import InvalidDataError
    from nasperf.store import read_settings

    path = tmp_path / "settings.json"
    path.write_text('{"seed": 1}')
    assert read_settings(path) == {"seed": 1}
    path.write_text('{"seed": ')  # cut short
    with pytest.raises(InvalidDataError, match=f"settings file {path} is not valid JSON"):
        read_settings(path)
    path.write_text("[1, 2]")
    with pytest.raises(InvalidDataError, match="does not hold a JSON object"):
        read_settings(path)


def test_check_settings_names_each_setting_once_as_the_user_calls_it(tmp_path) -> None:
    from nasperf.evaluation._trials import option_of

    saved = {"config": {"seed": 0, "test_size": 100}, "predictors": {"rf": {"a": 1, "b": 2}}}
    wanted = {"config": {"seed": 1, "test_size": 50}, "predictors": {"rf": {"a": 2, "b": 3}}}
    with pytest.raises(ConfigurationError) as info:
        check_settings(saved, wanted, where=tmp_path, names=option_of)
    assert "(--predictors (rf), --seed, --test-size)" in str(info.value)
