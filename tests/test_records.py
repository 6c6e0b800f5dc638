"""The record (nasperf.records): encodings, curves at a fidelity, and the stacking helpers that
check what predictors read (encodings, targets, scores)."""

from __future__ import annotations

import numpy as np
import pytest

from nasperf.exceptions import (
    InvalidArchitectureError,
    InvalidDataError,
    MissingRequirementError,
    UnknownNameError,
)
from nasperf.records import Record, encode_records, scores_of, targets_of
from nasperf.spaces import get_space

CELL = "|nor_conv_3x3~0|+|none~0|skip_connect~1|+|avg_pool_3x3~0|none~1|nor_conv_1x1~2|"


def rec(arch: object = 0, **kwargs: object) -> Record:
    return Record(arch=arch, space=kwargs.pop("space", "custom"), **kwargs)


# -- the record ---------------------------------------------------------------------------------
def test_defaults_are_empty_and_not_shared() -> None:
    a, b = rec(1), rec(2)
    assert a.target is None and a.cost is None and a.features is None
    assert a.curves == {} and a.scores == {} and a.info == {}
    a.info["x"] = 1
    assert b.info == {}  # each record its own dicts


def test_records_compare_by_identity_and_are_hashable() -> None:
    a, b = rec(1, target=2.0), rec(1, target=2.0)
    assert a != b and a == a
    assert len({a, b}) == 2  # usable as dict keys and in sets, whatever their fields hold


# -- encodings ----------------------------------------------------------------------------------
def test_features_encoding_is_a_float_copy_of_the_vector() -> None:
    r = rec(features=[1, 2, 3])
    enc = r.encode("features")
    assert enc.dtype == np.float64 and enc.tolist() == [1.0, 2.0, 3.0]


def test_features_encoding_needs_a_feature_vector() -> None:
    with pytest.raises(MissingRequirementError, match="no feature vector.*--features"):
        rec("cand-7").encode("features")


def test_space_encodings_come_from_the_space_and_are_cached() -> None:
    r = rec(CELL, space="nb201")
    space = get_space("nb201")
    for kind in space.encodings:
        np.testing.assert_array_equal(r.encode(kind), space.encode(CELL, kind))
    assert r.encode("onehot") is r.encode("onehot")  # computed once per record
    with pytest.raises(UnknownNameError, match="onehot"):
        r.encode("no-such-encoding")
    with pytest.raises(InvalidArchitectureError):
        rec("not a cell", space="nb201").encode("onehot")


def test_encode_records_stacks_rows() -> None:
    recs = [rec(i, features=np.arange(3) + i) for i in range(4)]
    x = encode_records(recs, "features")
    assert x.shape == (4, 3) and x.dtype == np.float64
    assert x[:, 0].tolist() == [0.0, 1.0, 2.0, 3.0]
    with pytest.raises(InvalidDataError, match="no records"):
        encode_records([], "features")
    with pytest.raises(MissingRequirementError):
        encode_records([*recs, rec(9)], "features")  # one without features


# -- curves -------------------------------------------------------------------------------------
def test_curve_up_to_a_fidelity() -> None:
    r = rec(curves={"val_acc": [10, 20, 30]})
    whole = r.curve("val_acc")
    assert whole.dtype == np.float64 and whole.tolist() == [10.0, 20.0, 30.0]
    assert r.curve("val_acc", 2).tolist() == [10.0, 20.0]
    assert r.curve("val_acc", 3).tolist() == whole.tolist()


@pytest.mark.parametrize("upto", [0, -1, 4])
def test_curve_outside_its_epochs(upto: int) -> None:
    r = rec("c", curves={"val_acc": [10, 20, 30]})
    with pytest.raises(MissingRequirementError, match=f"3 epochs of 'val_acc'; fidelity {upto}"):
        r.curve("val_acc", upto)


def test_missing_curve_names_the_available_ones() -> None:
    r = rec("c", curves={"val_acc": [1.0], "train_loss": [2.0]})
    with pytest.raises(MissingRequirementError, match="no 'val_loss' curve; available: val_acc"):
        r.curve("val_loss")
    with pytest.raises(MissingRequirementError, match="available: none"):
        rec("d").curve("val_acc")


# -- targets and scores -------------------------------------------------------------------------
def test_targets_of_returns_floats() -> None:
    y = targets_of([rec(0, target=1), rec(1, target=2.5)])
    assert y.dtype == np.float64 and y.tolist() == [1.0, 2.5]
    assert targets_of([]).shape == (0,)


@pytest.mark.parametrize("bad", [None, float("nan"), float("inf"), -float("inf")])
def test_a_missing_or_non_finite_target_names_the_record(bad: object) -> None:
    with pytest.raises(InvalidDataError, match="record 'cand-2' has target"):
        targets_of([rec("cand-1", target=1.0), rec("cand-2", target=bad)])


def test_scores_of_reads_one_column() -> None:
    recs = [rec(i, scores={"s": float(i), "t": 1.0}) for i in range(3)]
    out = scores_of(recs, "s")
    assert out.dtype == np.float64 and out.tolist() == [0.0, 1.0, 2.0]


@pytest.mark.parametrize("value", [None, float("nan")])
def test_a_missing_or_nan_score_is_never_filled_in(value: object) -> None:
    scores = {} if value is None else {"s": value}
    recs = [rec("a", scores={"s": 1.0}), rec("b", scores=scores)]
    for allow_inf in (False, True):
        with pytest.raises(MissingRequirementError, match="record 'b' has no finite 's' score"):
            scores_of(recs, "s", allow_inf=allow_inf)


def test_infinite_scores_only_where_ranks_are_enough() -> None:
    recs = [rec("a", scores={"s": 1.0}), rec("b", scores={"s": -float("inf")})]
    with pytest.raises(MissingRequirementError, match="record 'b'"):
        scores_of(recs, "s")
    assert scores_of(recs, "s", allow_inf=True).tolist() == [1.0, -float("inf")]
