"""The feature-history estimator on real small networks and digits."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from nasperf.exceptions import ConfigurationError

torch = pytest.importorskip("torch")

from nasperf.data import load_dataset  # noqa: E402
from nasperf.predictors import make_predictor  # noqa: E402
from nasperf.predictors.training_based import (  # noqa: E402
    VARIANTS,
    FeatureHistoryEstimator,
    FeatureHistorySettings,
    proxy_accuracy,
)
from nasperf.spaces import get_space  # noqa: E402
from nasperf.training import TrainConfig, seeded  # noqa: E402

GOOD = (
    "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_1x1~1|+|skip_connect~0|nor_conv_3x3~1|nor_conv_1x1~2|"
)
POOR = "|avg_pool_3x3~0|+|none~0|avg_pool_3x3~1|+|none~0|none~1|avg_pool_3x3~2|"


@pytest.fixture(scope="module")
def data():  # noqa: ANN201
    return load_dataset("digits", limit=300, val_fraction=0.2)


def net(arch: str, seed: int = 0):  # noqa: ANN201
    with seeded(seed):
        return get_space("nb201").build(arch, C=4, N=1, in_channels=1, num_classes=10)


def test_estimates_rank_a_good_cell_above_a_poor_one(data) -> None:  # noqa: ANN001
    config = TrainConfig(epochs=6, batch_size=32, lr=0.05)
    settings = FeatureHistorySettings(epochs=3, variant="concat", k=2, probe_size=128)
    est = FeatureHistoryEstimator(settings, train_config=config)
    good, poor = est.estimate(net(GOOD), data), est.estimate(net(POOR), data)
    for res in (good, poor):
        assert res.status == "ok" and res.epochs == 3 and len(res.curves["val_acc"]) == 3
        assert set(res.variants) == set(VARIANTS) and res.estimate == res.variants["concat"]
        assert all(0 <= v <= 100 for v in res.variants.values())
        # float16 features of 128 probe + val images, 3 epochs, 16 features (C=4 x 4)
        assert res.feature_bytes == 3 * (128 + len(data.y_val)) * 16 * 2
    assert good.estimate > poor.estimate + 10


def test_proxy_accuracy_variants_on_separable_features(caplog) -> None:  # noqa: ANN001
    rng = np.random.default_rng(0)
    labels = np.tile(np.arange(3), 40)
    centres = rng.normal(size=(3, 8)) * 3
    hist = np.stack([centres[labels] + rng.normal(size=(120, 8)) * s for s in (3.0, 1.0, 0.3)])
    for variant in VARIANTS:
        acc = proxy_accuracy(hist[:, :60].astype(np.float16), labels[:60],
                             hist[:, 60:].astype(np.float16), labels[60:], variant, k=2)
        assert acc > 80
    # features that overflowed float16 do not break the classifier
    hist16 = hist.astype(np.float16)
    hist16[0, 0, 0] = np.inf
    hist16[1, 0, 1] = np.nan
    with caplog.at_level(logging.WARNING):
        assert proxy_accuracy(hist16[:, :60], labels[:60], hist16[:, 60:], labels[60:], "ema") > 80
    assert "1 NaN and 1 infinite values" in caplog.text  # replaced, and said so
    # with decay 0 only the last epoch counts, and the inf of the first must not become NaN
    assert proxy_accuracy(hist16[:, :60], labels[:60], hist16[:, 60:], labels[60:], "ema",
                          ema_decay=0.0) > 80
    with pytest.raises(ConfigurationError, match="variant must be one of"):
        proxy_accuracy(hist[:, :60], labels[:60], hist[:, 60:], labels[60:], "mean")


def test_bad_requests_are_clear(data) -> None:  # noqa: ANN001
    with pytest.raises(ConfigurationError, match="no module named 'head'"):
        FeatureHistoryEstimator(
            FeatureHistorySettings(epochs=1, layer="head", probe_size=16)
        ).estimate(net(GOOD), data)
    with pytest.raises(ConfigurationError, match="longer than the run"):
        FeatureHistoryEstimator(FeatureHistorySettings(epochs=5), TrainConfig(epochs=3))
    with pytest.raises(ConfigurationError, match="epochs must be"):
        FeatureHistorySettings(epochs=0)
    with pytest.raises(ConfigurationError, match="variant must be one of 'concat'"):
        FeatureHistorySettings(variant="knn")
    # the proxy classifier's settings are checked before any training, not after E epochs
    for kwargs, match in [({"k": 0}, "k must be"), ({"ema_decay": 1.0}, "ema_decay"),
                          ({"c": 0.0}, "c must be a finite number > 0")]:
        with pytest.raises(ConfigurationError, match=match):
            FeatureHistorySettings(**kwargs)
        with pytest.raises(ConfigurationError, match=match):  # the predictor, before any work
            make_predictor("feature-history", **kwargs).fit([])


def test_a_diverging_candidate_is_a_recorded_failure(data) -> None:  # noqa: ANN001
    config = TrainConfig(epochs=3, batch_size=32, lr=1e6)
    res = FeatureHistoryEstimator(
        FeatureHistorySettings(epochs=2, probe_size=16), train_config=config
    ).estimate(net(GOOD), data)
    assert res.status == "diverged" and res.estimate is None and "non-finite" in res.reason


def test_estimate_and_sample_and_estimate_cli(tmp_path, capsys) -> None:  # noqa: ANN001
    import csv

    from nasperf.cli import main

    code = main(["estimate", "--cells", "3", "--short-epochs", "1", "--epochs", "3",
                 "--nb201-c", "4", "--nb201-n", "1", "--limit", "200", "--probe-size", "32",
                 "--workers", "1", "--out", str(tmp_path / "est.csv")])
    assert code == 0
    rows = list(csv.DictReader((tmp_path / "est.csv").open()))
    assert len(rows) == 3 and all(r["status"] == "ok" and float(r["estimate"]) > 0 for r in rows)
    code = main(["search", "sample-and-estimate", "--live", "--cells", "3",
                 "--epochs", "3", "--short-epochs", "1", "--top-k", "1", "--nb201-c", "4",
                 "--nb201-n", "1",
                 "--limit", "200", "--workers", "1", "--out", str(tmp_path / "s")])
    assert code == 0 and (tmp_path / "s" / "estimates.json").exists()
    capsys.readouterr()
    code = main(["estimate", "--short-epochs", "5", "--epochs", "3", "--cells", "1"])
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert code == 2 and len(err) == 1 and "longer than a full run" in err[0]


def test_the_predictor_gives_the_estimators_figures(data, caplog) -> None:  # noqa: ANN001
    from functools import partial

    from nasperf.predictors import make_predictor
    from nasperf.records import Record

    config = TrainConfig(epochs=6, batch_size=32, lr=0.05)
    records = [
        Record(arch=a, space="nb201", info={"model": partial(net, a), "data": data})
        for a in (POOR, GOOD)
    ]
    pred = make_predictor("feature-history").set_params(
        epochs=2, probe_size=64, train_config=config, random_state=0
    )
    scores = pred.fit([]).predict(records)
    direct = FeatureHistoryEstimator(
        FeatureHistorySettings(epochs=2, probe_size=64), train_config=config, random_state=0
    )
    assert scores[1] > scores[0]
    assert scores[1] == direct.estimate(net(GOOD), data).estimate  # the factory, built seeded
    assert [r.status for r in pred.estimate(records)] == ["ok", "ok"]
    # predict sets no learned state
    assert not [k for k in vars(pred) if k.endswith("_") and k != "is_fitted_"]

    # a candidate that diverges scores chance accuracy, and its record says why
    pred.set_params(train_config=TrainConfig(epochs=3, batch_size=32, lr=1e6))
    with caplog.at_level(logging.WARNING):
        scores = pred.predict(records[1:])
    assert scores[0] == 10.0 and pred.estimate(records[1:])[0].status == "diverged"
    assert "scored at chance" in caplog.text
