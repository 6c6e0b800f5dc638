"""White et al.'s predictor map: budgets of each configuration, winners of each cell, the
command that writes it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nasperf.evaluation.budget_map import CostModel, best_predictor_map, budget_points


def rows() -> pd.DataFrame:
    """xgb learns (τ grows with n), col:s needs nothing (τ 0.5), sotl-e reads epochs."""
    out = []
    for trial in range(2):
        for n in (10, 100):
            out.append(
                dict(
                    predictor="xgb",
                    train_size=n,
                    fidelity=np.nan,
                    trial=trial,
                    kendall_tau=0.3 if n == 10 else 0.8,
                    fit_time=1.0,
                )
            )
            out.append(
                dict(
                    predictor="col:s",
                    train_size=n,
                    fidelity=np.nan,
                    trial=trial,
                    kendall_tau=0.5,
                    fit_time=0.0,
                )
            )
        for f in (1, 10):
            out.append(
                dict(
                    predictor=f"sotl-e@{f}",
                    train_size=10,
                    fidelity=f,
                    trial=trial,
                    kendall_tau=0.4 if f == 1 else 0.9,
                    fit_time=0.0,
                )
            )
    df = pd.DataFrame(out)
    df["benchmark"] = "b"
    return df


def test_budgets_of_each_configuration() -> None:
    points = budget_points([rows()], CostModel(epochs=10, epoch_seconds=2.0))
    by = {(r.name, r.train_size, r.fidelity): r for r in points.itertuples()}
    assert by[("xgb", 10, 0)].init_seconds == pytest.approx(10 * 20.0 + 1.0)
    assert by[("xgb", 100, 0)].init_seconds == pytest.approx(100 * 20.0 + 1.0)
    assert by[("sotl-e", 10, 10)].init_seconds == 0.0  # learns nothing: no training set paid
    assert by[("sotl-e", 10, 10)].query_epochs == 10
    assert (points["name"] == "col:s").sum() == 1  # scored once, whatever the train size
    assert by[("xgb", 100, 0)].family == "model-based"


def test_an_early_result_column_costs_its_epochs_per_candidate() -> None:
    df = rows()
    extra = df[df["predictor"] == "col:s"].assign(predictor="col:val_acc_12ep")
    points = budget_points([pd.concat([df, extra])], CostModel(epochs=10, epoch_seconds=2.0))
    early = points[points["name"] == "col:val_acc_12ep"].iloc[0]
    assert (early.query_epochs, early.init_seconds) == (12, 0.0)


def test_each_cell_is_won_by_the_best_affordable_predictor() -> None:
    points = budget_points([rows()], CostModel(epochs=10, epoch_seconds=2.0))
    table = best_predictor_map(points, init_budgets=[0, 300, 3000], query_budgets=[0, 1, 10])
    win = {(r.init_seconds, r.query_epochs): (r.best, r.tau) for r in table.itertuples()}
    assert win[(0, 0)] == ("col:s", 0.5)  # nothing that learns or reads epochs is affordable
    assert win[(300, 0)] == ("col:s", 0.5)  # xgb at n=10 (0.3) affordable but worse
    assert win[(3000, 0)] == ("xgb", 0.8)
    assert win[(0, 1)] == ("col:s", 0.5)  # sotl-e after 1 epoch: 0.4
    assert win[(0, 10)] == ("sotl-e", 0.9)


def test_a_predictor_on_two_benchmarks_is_kept_apart() -> None:
    other = rows().assign(benchmark="c", kendall_tau=0.95)
    points = budget_points([rows(), other], CostModel(epochs=10, epoch_seconds=2.0))
    assert {"xgb (b)", "xgb (c)", "sotl-e (b)"} <= set(points["name"])
