"""Column baselines."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import spearmanr

from nasperf.exceptions import MissingRequirementError
from nasperf.predictors import ColumnBaseline
from nasperf.records import Record


def recs(values: list[float]) -> list[Record]:
    return [
        Record(arch=i, space="custom", target=float(i), scores={"c": v})
        for i, v in enumerate(values)
    ]


def test_infinite_scores_keep_their_rank() -> None:
    values = [-np.inf, 1.0, 2.0, np.inf, 3.0]
    pred = ColumnBaseline("c").fit([]).predict(recs(values))
    assert np.all(np.isfinite(pred))
    assert list(np.argsort(pred)) == [0, 1, 2, 4, 3]
    assert spearmanr(pred, values)[0] == pytest.approx(1.0)


def test_sign_flips_order() -> None:
    pred = ColumnBaseline("c", sign=-1.0).fit([]).predict(recs([1.0, 2.0, 3.0]))
    assert list(pred) == [-1.0, -2.0, -3.0]


def test_nan_score_is_missing() -> None:
    with pytest.raises(MissingRequirementError, match="'c'"):
        ColumnBaseline("c").fit([]).predict(recs([1.0, float("nan")]))


def test_minus_before_the_column_means_lower_is_better() -> None:
    from nasperf.exceptions import UnknownNameError
    from nasperf.predictors import make_predictor
    from nasperf.predictors.baselines import parse_column

    pred = make_predictor("col:-c")
    assert (pred.column, pred.sign) == ("c", -1.0)
    assert list(pred.fit([]).predict(recs([1.0, 3.0, 2.0]))) == [-1.0, -3.0, -2.0]
    assert make_predictor("col:c").sign == 1.0
    assert parse_column("-latency") == ("latency", -1.0) and parse_column("p") == ("p", 1.0)
    with pytest.raises(UnknownNameError):
        make_predictor("col:-")
