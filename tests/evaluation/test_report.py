"""The plot of an evaluation as a person reads it: fidelity as an axis, distinct lines, the
legend beside the data, no fake fit time on a log axis, no empty panel, no piled-up labels."""

from __future__ import annotations

import itertools

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from nasperf.evaluation import (  # noqa: E402
    WHITE_TRAIN_SIZES,
    EvaluationResult,
    ProtocolConfig,
    plot_result,
)
from nasperf.evaluation.report import INSTANT_FIT_S, result_figure  # noqa: E402


def result(
    names: list[str],
    sizes: tuple[int, ...] = (10, 50, 100),
    fidelities: tuple[int, ...] | None = None,
    fit_time: dict[str, float] | None = None,
) -> EvaluationResult:
    """Two trials of made-up rows; ``name@F`` names carry fidelity F."""
    rng = np.random.default_rng(0)
    rows = []
    for trial, n, name in itertools.product(range(2), sizes, names):
        base, _, fid = name.partition("@")
        row = {
            "kendall_tau": float(rng.uniform(0, 0.8)),
            "fit_time": (fit_time or {}).get(base, 0.01 * n),
            "query_time": 1e-4,
            "predictor": name,
            "train_size": n,
            "trial": trial,
        }
        if base == "gp":
            row.update(coverage_90=0.9, width_90=5.0)
        if fidelities is not None:
            row["fidelity"] = int(fid) if fid else None
        rows.append(row)
    return EvaluationResult("made-up", ProtocolConfig(sizes, 100, 2, fidelities=fidelities), rows)


def data_axes(fig):  # noqa: ANN001, ANN201
    return [ax for ax in fig.axes if ax.lines or ax.collections]


def test_many_lines_all_look_different() -> None:
    names = [f"p{i}" for i in range(23)]
    fig = result_figure(result(names))
    ax = fig.axes[0]
    looks = {(line.get_color(), line.get_marker(), line.get_linestyle()) for line in ax.lines}
    assert len(ax.lines) == 23 and len(looks) == 23


def test_the_legend_is_outside_every_panel(tmp_path) -> None:
    fig = result_figure(result(["xgb", "rf", "gp"]))
    fig.canvas.draw()
    (legend,) = fig.legends
    box = legend.get_window_extent()
    for ax in fig.axes:
        assert box.x0 >= ax.get_window_extent().x1
    assert [t.get_text() for t in legend.get_texts()] == ["xgb", "rf", "gp"]
    path = plot_result(result(["xgb"]), tmp_path / "p.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_instant_fits_are_not_drawn_at_a_made_up_time() -> None:
    fig = result_figure(result(["xgb", "col:a", "col:b"], fit_time={"col:a": 0.0, "col:b": 2e-5}))
    assert len(fig.axes) == 2
    timed = fig.axes[1]
    assert timed.get_xscale() == "log" and "< 1 ms" in timed.get_xlabel()
    on_axis = [ln for ln in timed.lines if ln.get_transform() == timed.transData]
    assert on_axis and all(np.min(ln.get_xdata()) >= INSTANT_FIT_S for ln in on_axis)
    at_edge = [ln for ln in timed.lines if ln not in on_axis]
    assert len(at_edge) == 2  # col:a and col:b, as markers on the left edge
    assert all(np.all(np.asarray(ln.get_xdata()) == 0) and not ln.get_clip_on() for ln in at_edge)


def test_no_fit_time_panel_when_nothing_takes_time() -> None:
    fig = result_figure(result(["col:a", "col:b"], fit_time={"col:a": 0.0, "col:b": 1e-5}))
    assert len(fig.axes) == 1 and fig.axes[0].get_xlabel() == "train size"


def test_fidelities_are_an_axis_with_a_panel_per_train_size() -> None:
    names = [f"{b}@{f}" for b in ("lce", "lcsvr") for f in (1, 3, 5, 10)] + ["rf"]
    fig = result_figure(result(names, sizes=(25, 100), fidelities=(1, 3, 5, 10)))
    assert len(fig.axes) == 2
    for ax, n in zip(fig.axes, (25, 100), strict=True):
        assert ax.get_title() == f"train size {n}"
        assert ax.get_xlabel().startswith("fidelity")
        fitted = [ln for ln in ax.lines if ln.get_label() in ("lce", "lcsvr")]
        assert [list(ln.get_xdata()) for ln in fitted] == [[1, 3, 5, 10]] * 2
        assert any(ln.get_label() == "rf (no fidelity)" for ln in ax.lines)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels == ["lce", "lcsvr", "rf (no fidelity)"]


@pytest.mark.parametrize("sizes", [(25, 100, 200), (25, 100, 200, 300, 400)])
def test_no_empty_panel(sizes) -> None:  # noqa: ANN001
    names = [f"lce@{f}" for f in (1, 3)]
    res = result(names, sizes=sizes, fidelities=(1, 3))
    for row in res.rows:  # a train size without any value: no panel for it
        if row["train_size"] == 100:
            row["kendall_tau"] = float("nan")
    fig = result_figure(res)
    assert [ax.get_title() for ax in fig.axes] == [f"train size {n}" for n in sizes if n != 100]
    # a metric only some predictors have: the others are not drawn as empty lines
    fig = result_figure(result(["gp", "rf"]), "coverage_90")
    assert [ln.get_label() for ln in fig.axes[0].lines] == ["gp"]


def _overlap(labels) -> bool:  # noqa: ANN001
    boxes = [t.get_window_extent() for t in labels if t.get_text() and t.get_visible()]
    return any(a.overlaps(b) for a, b in itertools.combinations(boxes, 2))


def test_tick_labels_do_not_overlap() -> None:
    sizes = tuple(WHITE_TRAIN_SIZES)
    spans = {"gp": 0.011, "xgb": 0.03}  # fit times within one decade: minor labels pile up
    fig = result_figure(result(["gp", "xgb"], sizes=sizes, fit_time=spans))
    fig.canvas.draw()
    for ax in fig.axes:
        assert not _overlap(ax.get_xticklabels(which="both"))
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == [str(n) for n in sizes]
